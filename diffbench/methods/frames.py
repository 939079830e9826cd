"""What methods read: frames plus whatever geometry is known, streamed in batches.

Methods accept a numpy array ``(N, ny, nx)`` (or ``(N, d)`` features), a diffbench dataset (single
file or sharded index, opened or a path), or a :class:`Frames`. Through :func:`as_frames` they all
become a :class:`Frames`: a length, a frame shape, ``batches(size)`` that reads lazily (bounded
memory on files of any size), and the geometry when the source has it (valid-pixel mask, beam
centre, |q| per pixel in 1/m).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffbench.io.rows import read_rows


@dataclass
class Frames:
    """Frames and geometry, read in batches.

    data : array-like indexable by slices along axis 0 (numpy array or h5py dataset).
    valid : (ny, nx) bool, pixels to use (None: all). center_xy_px : beam centre (x, y) in pixels.
    q_m : (ny, nx) |q| per pixel in 1/m, or None when the geometry is unknown.
    """

    data: object
    valid: np.ndarray | None = None
    center_xy_px: tuple[float, float] | None = None
    q_m: np.ndarray | None = None
    source: str = "array"
    #: (Detector, Beam) of a diffbench dataset: what a method needs beyond |q| (3-D q-vectors on the
    #: Ewald sphere, solid angles, polarisation), or None
    geometry: tuple | None = None

    def __len__(self) -> int:
        return int(self.data.shape[0])

    @property
    def frame_shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape[1:])

    def batches(self, batch_size: int = 256, dtype=np.float32):
        """Yield (start, block) with block of shape (b, *frame_shape), as ``dtype`` (None: as stored,
        which saves a cast when the consumer takes counts as they are)."""
        for s in range(0, len(self), batch_size):
            block = read_rows(self.data, s, s + batch_size)
            yield s, block if dtype is None else block.astype(dtype, copy=False)

    def array(self, dtype=np.float64) -> np.ndarray:
        """Every frame in memory, (N, *frame_shape), as ``dtype``: for methods that need them all at
        once (a few hundred class averages, not a run's millions of frames)."""
        if len(self) == 0:
            return np.empty((0,) + self.frame_shape, dtype=dtype)
        return np.concatenate([b for _, b in self.batches(dtype=dtype)])

    def take(self, indices) -> "Frames":
        """The frames at ``indices`` (increasing), same geometry, still read lazily."""
        idx = np.asarray(indices, dtype=np.int64)
        if idx.ndim != 1 or (idx.size and (np.any(np.diff(idx) <= 0) or idx[0] < 0 or idx[-1] >= len(self))):
            raise ValueError(f"take() wants increasing frame indices within 0..{len(self) - 1}")
        return Frames(_Rows(self.data, idx), self.valid, self.center_xy_px, self.q_m, self.source, self.geometry)

    def source_rows(self) -> np.ndarray:
        """The row of the source (file or array) each of these frames is, (N,) int: what indexes
        the source's truth after :meth:`take` (of a take)."""
        data, rows = self.data, None
        while isinstance(data, _Rows):  # rows of rows: compose to rows of the source
            rows = data.idx if rows is None else data.idx[rows]
            data = data.data
        return np.arange(len(self), dtype=np.int64) if rows is None else np.asarray(rows, np.int64)

    def content_key(self) -> str:
        """A name for these frames' content, for in-process caches of what is computed from them:
        the source file (its path, size and modification time) and the rows taken from it. Empty
        ("do not cache") for arrays and anything that is not a file on disk."""
        import hashlib
        import os

        try:
            st = os.stat(self.source)
        except (OSError, TypeError, ValueError):
            return ""
        rows = self.source_rows() if isinstance(self.data, _Rows) else None
        h = hashlib.sha256(f"{os.path.abspath(self.source)}|{st.st_size}|{st.st_mtime_ns}|{len(self)}".encode())
        if rows is not None:
            h.update(np.ascontiguousarray(rows, np.int64).tobytes())
        return h.hexdigest()

    def center(self) -> tuple[float, float]:
        if self.center_xy_px is not None:
            return self.center_xy_px
        ny, nx = self.frame_shape[-2:]
        return ((nx - 1) / 2.0, (ny - 1) / 2.0)

    def require_q(self, method: str) -> np.ndarray:
        if self.q_m is None:
            raise ValueError(f"{method} needs the detector geometry (|q| per pixel): pass a diffbench dataset, "
                             "or Frames(data, q_m=...) for a plain array")
        return self.q_m


class _Rows:
    """Rows ``idx`` of an array-like, read on slicing as contiguous runs (one read per run)."""

    def __init__(self, data, idx: np.ndarray):
        self.data, self.idx = data, idx
        self.shape = (len(idx),) + tuple(data.shape[1:])
        self.dtype = data.dtype

    def __getitem__(self, key):
        if not isinstance(key, slice):
            raise TypeError(f"frame subsets are read by slices, got {key!r}")
        sub = self.idx[key]
        if sub.size == 0:
            return np.zeros((0,) + self.shape[1:], dtype=self.dtype)
        breaks = np.flatnonzero(np.diff(sub) != 1) + 1
        runs = np.split(sub, breaks)
        parts = [read_rows(self.data, r[0], r[-1] + 1) for r in runs]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


def as_frames(X) -> Frames:
    """Wrap any accepted input as :class:`Frames` (see the module docstring)."""
    if isinstance(X, Frames):
        return X
    if isinstance(X, (str, Path)):
        from diffbench.io.cxi import open_dataset

        X = open_dataset(X)
    if hasattr(X, "patterns") and hasattr(X, "detector"):  # a diffbench Dataset
        from diffbench.geometry.detector import q_vectors

        det = X.detector()
        q, geometry = None, None  # electron-diffraction files carry a wavelength but no X-ray beam
        if X.geometry.get("beam") is not None:
            geometry = (det, X.beam())
            q = np.linalg.norm(q_vectors(*geometry), axis=-1)
        data = X.patterns
        if getattr(X, "manifest", None) is not None:  # sharded index: shard by shard, bounded memory
            from diffbench.io.index import ShardFrames

            data = ShardFrames(X.path, X.manifest)
        return Frames(data, valid=det.valid(), center_xy_px=tuple(det.beam_center_xy_px), q_m=q,
                      source=str(X.path), geometry=geometry)
    arr = np.asarray(X)
    if arr.ndim < 2:
        raise ValueError(f"expected frames of shape (N, ny, nx) or features (N, d), got shape {arr.shape}")
    return Frames(arr)


def from_emc_export(folder) -> Frames:
    """The frames of a :func:`diffbench.io.emc.export_emc` folder (``photons.emc`` + ``det.h5``) as
    :class:`~diffbench.methods.frames.Frames` with their detector and beam: what
    :class:`~diffbench.methods.emc3d.EMC3D` (or any method) reads. A ``det.h5`` without diffbench's
    geometry attributes (written by another program) is refused, naming the file."""
    import json

    import h5py

    from diffbench.geometry.beam import Beam
    from diffbench.geometry.detector import q_vectors
    from diffbench.geometry.presets import detector_from_dict
    from diffbench.io.emc import read_emc

    folder = Path(folder)
    with h5py.File(folder / "det.h5", "r") as f:
        if "diffbench_detector" not in f.attrs:
            raise ValueError(f"{folder / 'det.h5'}: no diffbench_detector attribute (not a diffbench export); "
                             "re-export with diffbench export-emc")
        det = detector_from_dict(json.loads(f.attrs["diffbench_detector"]))
        beam = Beam(**json.loads(f.attrs["diffbench_beam"]))
    data = read_emc(folder / "photons.emc")
    if data.shape[1] != det.nx * det.ny:
        raise ValueError(f"{folder / 'photons.emc'}: {data.shape[1]} pixels per frame, det.h5 has {det.nx * det.ny}")
    return Frames(data.reshape(len(data), det.ny, det.nx), valid=det.valid(), center_xy_px=tuple(det.beam_center_xy_px),
                  q_m=np.linalg.norm(q_vectors(det, beam), axis=-1), source=str(folder / "photons.emc"),
                  geometry=(det, beam))

"""The index of a sharded run: one CXI file whose HDF5 virtual datasets present all shards.

The index has the same layout as a single diffbench CXI file (:mod:`diffbench.io.cxi`): the
frames at ``/entry_1/instrument_1/detector_1/data`` (linked from ``/entry_1/data_1/data``) and
every truth array under ``/entry_1/sample_1/truth`` are virtual datasets mapping the shards'
arrays in order; geometry and provenance are copied from the first shard. Shard paths are stored
relative to the index, so the index and its ``.shards`` folder can be moved together.

HDF5 reads a missing source file as the fill value *without any error*. Two guards:
the virtual datasets use sentinel fill values (the dtype's maximum for unsigned integers, −1 for
signed ones, NaN for floats), and :func:`validate_shards` — called by ``open_dataset`` — checks
every shard against the manifest stored in the index (present, same size; same SHA-256 whenever
the modification time differs from the recorded one) and names the shard that fails.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401
import numpy as np

from diffbench.io.cxi import DET, PARTICLES, SRC, TRUTH
from diffbench.io.rows import read_rows
from diffbench.utils.atomic import atomic_path

MANIFEST_ATTR = "diffbench_shard_manifest"


class ShardError(OSError):
    """A shard of a sharded dataset is missing or differs from its manifest entry."""


def file_sha256(path, block: int = 1 << 22) -> str:
    """SHA-256 of a file, read in 4 MB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            h.update(chunk)
    return h.hexdigest()


def sentinel(dtype) -> object:
    """Fill value of a virtual dataset: a value real data does not take (or NaN)."""
    dt = np.dtype(dtype)
    if dt.kind == "u":
        return np.iinfo(dt).max
    if dt.kind == "i":
        return -1
    if dt.kind == "f":
        return np.nan
    return None  # bool and strings: guarded by validate_shards only


def _virtual(group, name: str, parts: list[tuple[str, str, int]], shape_tail: tuple, dtype):
    """Create ``group[name]`` concatenating (file, dataset path, length) parts along axis 0."""
    total = sum(n for _, _, n in parts)
    layout = h5py.VirtualLayout(shape=(total,) + shape_tail, dtype=dtype)
    pos = 0
    for file, path, n in parts:
        if n:
            layout[pos:pos + n] = h5py.VirtualSource(file, path, shape=(n,) + shape_tail, dtype=dtype)
        pos += n
    fill = sentinel(dtype)
    return group.create_virtual_dataset(name, layout, fillvalue=fill)


def write_index(index_path, folder, manifest: dict):
    """Write the index of the shards in ``folder`` listed in ``manifest`` (atomically)."""
    index_path = Path(index_path)
    shards = sorted(manifest["shards"], key=lambda e: e["start"])
    rel = os.path.relpath(folder, index_path.parent)
    files = [f"{rel}/{e['file']}" for e in shards]
    n = shards[-1]["stop"] if shards else 0
    with atomic_path(index_path) as tmp:
        with h5py.File(tmp, "w") as f, h5py.File(Path(folder) / shards[0]["file"], "r") as first:
            for name in ("cxi_version", "number_of_entries"):
                first.copy(first[name], f, name)
            e = f.create_group("entry_1")
            first.copy(first["/entry_1/program_name"], e, "program_name")
            ids = np.array([f"{i:09d}".encode() for i in range(n)])
            e.create_dataset("experiment_identifier", data=ids)
            det = f.create_group(DET)
            for name, obj in first[DET].items():
                if name != "data":
                    first.copy(obj, det, name)
            for k, v in first[DET].attrs.items():
                det.attrs[k] = v
            if SRC in first:
                first.copy(first[SRC], f["/entry_1/instrument_1"], "source_1")
            src = first[DET]["data"]
            data = _virtual(det, "data", [(fl, DET + "/data", s["n_patterns"]) for fl, s in zip(files, shards)],
                            src.shape[1:], src.dtype)
            data.attrs["axes"] = "experiment_identifier:y:x"
            e.create_group("data_1")
            f["/entry_1/data_1/data"] = h5py.SoftLink(DET + "/data")
            truth = f.create_group(TRUTH)
            for name, ds in first[TRUTH].items():
                if isinstance(ds, h5py.Dataset):
                    _virtual(truth, name, [(fl, f"{TRUTH}/{name}", s["n_patterns"]) for fl, s in zip(files, shards)],
                             ds.shape[1:], ds.dtype)
            parts = truth.create_group("particles")
            for name, ds in first[PARTICLES].items():
                _virtual(parts, name, [(fl, f"{PARTICLES}/{name}", s["n_particles"]) for fl, s in zip(files, shards)],
                         ds.shape[1:], ds.dtype)
            for k, v in first[TRUTH].attrs.items():
                if k not in ("first_index", "shard"):
                    truth.attrs[k] = v
            truth.attrs["n_patterns"] = n
            f.attrs[MANIFEST_ATTR] = json.dumps(dict(manifest, shards=shards, folder=rel))


def read_manifest(f: h5py.File) -> dict | None:
    text = f.attrs.get(MANIFEST_ATTR)
    if text is None:
        return None
    return json.loads(text.decode() if isinstance(text, bytes) else text)


def validate_shards(index_path, manifest: dict, full: bool = False):
    """Raise :class:`ShardError` naming the first shard that is missing or altered.

    Cheap by default: existence and size, and the SHA-256 only where the modification time differs
    from the one recorded (a copy, or a change). ``full=True`` hashes every shard.
    """
    folder = Path(index_path).parent / manifest["folder"]
    for e in manifest["shards"]:
        p = folder / e["file"]
        what = f"shard {p} (patterns {e['start']}–{e['stop'] - 1})"
        if not p.is_file():
            raise ShardError(f"{what} is missing; re-run the simulate command to regenerate it")
        st = p.stat()
        if st.st_size != e["bytes"]:
            raise ShardError(f"{what} has {st.st_size} bytes, the manifest says {e['bytes']}: altered or truncated")
        if full or st.st_mtime_ns != e["mtime_ns"]:
            digest = file_sha256(p)
            if digest != e["sha256"]:
                raise ShardError(f"{what} has been altered: SHA-256 {digest[:12]}… does not match the "
                                 f"manifest's {e['sha256'][:12]}…")


class ShardFrames:
    """The frames of a sharded index read straight from the shard files, one file open at a time.

    Reading through the index's virtual dataset keeps every source file HDF5 has touched open, each
    with its own metadata cache (the chunk index of 20,000 frames is ~20 MB), so a pass over a
    1,000,000-frame index grew to 1.7 GB. This reader opens shard after shard and closes the last:
    memory stays at one shard's worth however many shards there are. Slices with step 1 only.
    """

    def __init__(self, index_path, manifest: dict, name: str = DET + "/data"):
        self.folder = Path(index_path).parent / manifest["folder"]
        self.shards = sorted(manifest["shards"], key=lambda e: e["start"])
        self.name = name
        self._open: tuple[int, h5py.File] | None = None
        ds = self._dataset(0)
        self.shape = (self.shards[-1]["stop"],) + tuple(ds.shape[1:])
        self.dtype = ds.dtype
        self.ndim = len(self.shape)

    def _dataset(self, k: int):
        if self._open is None or self._open[0] != k:
            self.close()
            self._open = (k, h5py.File(self.folder / self.shards[k]["file"], "r"))
        return self._open[1][self.name]

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, (int, np.integer)):
            k = int(key) + len(self) if key < 0 else int(key)
            if not 0 <= k < len(self):
                raise IndexError(f"frame {key} out of range for {len(self)} frames")
            return self[k:k + 1][0]
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError(f"ShardFrames reads integers and slices with step 1, got {key!r}")
        start, stop, _ = key.indices(len(self))
        parts = []
        for k, e in enumerate(self.shards):
            a, b = max(start, e["start"]), min(stop, e["stop"])
            if a < b:
                parts.append(read_rows(self._dataset(k), a - e["start"], b - e["start"]))
        if not parts:
            return np.zeros((0,) + self.shape[1:], dtype=self.dtype)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def close(self):
        if self._open is not None:
            self._open[1].close()
            self._open = None

    def __del__(self):
        self.close()

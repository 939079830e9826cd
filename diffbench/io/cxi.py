"""CXI 1.6 files with diffbench's ground truth (CXI 1.6: Maia, Nature Methods 9, 854, 2012; cxidb.org).

Layout::

    /cxi_version = 160, /number_of_entries = 1
    /entry_1/instrument_1/detector_1/{data (N, ny, nx), distance, x_pixel_size, y_pixel_size,
                                      mask (uint32 CXI bits), corner_position, basis_vectors,
                                      saturation_value}
    /entry_1/instrument_1/source_1/{energy (J), pulse_energy (J, nominal), wavelength (m)}
    /entry_1/data_1/data -> soft link to detector_1/data
    /entry_1/sample_1/truth/{<per-pattern arrays of length N>}
    /entry_1/sample_1/truth/particles/{<per-particle arrays>}

Truth is never under ``data_1``. Data are chunked one frame per chunk and compressed with
bitshuffle+LZ4 (hdf5plugin) by default, or gzip+shuffle for interchange; the choice is recorded in
the ``compression`` attribute of the truth group and of the frames, whose ``how_to_read`` attribute
says what a reader needs. Measured on 10^4 GroEL 128x128 frames (and 300 full PR772 panels):
bitshuffle-LZ4 7.7 MB (6.4 MB) written 4-8 % (3-19 %) faster than gzip, read in 0.37 s (0.25 s)
against gzip's 1.1 s (0.8 s); gzip files are 40 % smaller and need no plugin. Files are written under a temporary name in the
same directory and renamed only when complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import hdf5plugin  # noqa: F401  (registers the bitshuffle/LZ4 filters for reading and writing)
import numpy as np

from diffbench._version import __version__
from diffbench.io.frame_chunks import BSHUF_FILTER_ID, frame_encoder
from diffbench.utils.atomic import publish, temp_beside  # noqa: F401  (publish: old import path)

COMPRESSIONS = ("bitshuffle-lz4", "gzip", "none")
DET = "/entry_1/instrument_1/detector_1"
SRC = "/entry_1/instrument_1/source_1"
TRUTH = "/entry_1/sample_1/truth"
FRAMES = "/entry_1/data_1/data"
PARTICLES = TRUTH + "/particles"


#: how another program reads frames of each compression (also the frames' ``how_to_read`` attribute)
HOW_TO_READ = {
    "bitshuffle-lz4": "HDF5 filter 32008 (bitshuffle + LZ4): in Python import hdf5plugin before h5py; "
                      "h5dump, HDFView and C programs need HDF5_PLUGIN_PATH set to hdf5plugin.PLUGIN_PATH",
    "gzip": "standard HDF5 gzip + shuffle: any HDF5 reader",
    "none": "uncompressed: any HDF5 reader",
}


def compression_kwargs(compression: str) -> dict:
    if compression == "bitshuffle-lz4":
        return dict(hdf5plugin.Bitshuffle(cname="lz4"))
    if compression == "gzip":
        return {"compression": "gzip", "compression_opts": 4, "shuffle": True}
    if compression == "none":
        return {}
    raise ValueError(f"compression must be one of {', '.join(COMPRESSIONS)}, got {compression!r}")


#: Free space kept in reserve beyond what a write needs (bytes): HDF5's metadata is flushed
#: later, at eviction or close (the writer keeps no chunk cache: every chunk is written whole).
SPACE_MARGIN_BYTES = 4 * 2**20

#: The writer's cap on HDF5's metadata cache, whose default grows to 32 MB as a long run's chunk
#: index grows (10⁶ frames: +8 MB of resident memory midway through the run without the cap).
MDC_MAX_BYTES = 8 * 2**20


def _bitshuffle_block(dataset) -> int:
    """The block size (elements) of ``dataset``'s bitshuffle filter (0: bitshuffle's default), or
    0 where it has none."""
    plist = dataset.id.get_create_plist()
    for i in range(plist.get_nfilters()):
        code, _, values, _ = plist.get_filter(i)
        if code == BSHUF_FILTER_ID:
            return int(values[3]) if len(values) > 3 else 0
    return 0


def cap_metadata_cache(f: h5py.File) -> h5py.File:
    """Cap the open file's HDF5 metadata cache at :data:`MDC_MAX_BYTES` (a file streamed through
    once, written or read chunk by chunk, gains nothing from more); returns ``f``."""
    mdc = f.id.get_mdc_config()
    mdc.max_size = min(mdc.max_size, MDC_MAX_BYTES)
    mdc.initial_size = min(mdc.initial_size, mdc.max_size)
    f.id.set_mdc_config(mdc)
    return f


def ensure_free_space(where, nbytes: int, target) -> None:
    """Raise ``OSError(ENOSPC)`` naming ``target`` unless the file system holding ``where`` has
    ``nbytes`` + :data:`SPACE_MARGIN_BYTES` free.

    HDF5 cannot recover from a write that fails half-way on a full disk: the file's state in the
    library is corrupt and freeing its handles later can crash the process. Checking before each
    write turns a full disk into an ordinary, clean error (the temporary file is removed, a good
    file at ``target`` is kept). Concurrent writers to the same disk can still race past it.
    """
    import errno
    import os

    st = os.statvfs(Path(where).parent)
    free = st.f_bavail * st.f_frsize
    if free < nbytes + SPACE_MARGIN_BYTES:
        raise OSError(errno.ENOSPC, f"No space left on device for {target}: the next write needs "
                                    f"{(nbytes + SPACE_MARGIN_BYTES) / 1e6:.1f} MB, {free / 1e6:.1f} MB are free")


class CXIWriter:
    """Write N frames and their truth to ``path`` atomically.

    Use as a context manager; frames are written with :meth:`write_frames` (any order of
    contiguous blocks), or compressed first by :meth:`encode_frames` (in any thread) and stored by
    :meth:`write_encoded`; truth with :meth:`write_truth`. On a clean exit the temporary file is
    renamed to ``path``; on an exception it is deleted and ``path`` is left untouched.
    """

    def __init__(self, path, n_patterns: int, shape: tuple[int, int], dtype, compression="bitshuffle-lz4",
                 detector=None, beam=None, attrs: dict | None = None, first_index: int = 0):
        self.path = Path(path)
        kw = compression_kwargs(compression)
        self.compression = compression
        directory = self.path.parent if str(self.path.parent) else Path(".")
        if compression == "none":  # the size is known: refuse before any work rather than fill the disk
            ensure_free_space(directory / self.path.name,
                              n_patterns * int(np.prod(shape)) * np.dtype(dtype).itemsize, self.path)
        self.tmp = temp_beside(directory / self.path.name)
        self.f = None
        try:
            self._create(n_patterns, shape, dtype, kw, detector, beam, attrs, first_index)
        except BaseException:  # nothing half-made is left behind
            if self.f is not None:
                self.f.close()
            self.tmp.unlink(missing_ok=True)
            raise

    def _create(self, n_patterns, shape, dtype, kw, detector, beam, attrs, first_index):
        compression = self.compression
        # every dataset of the file is written in whole chunks (a frame per chunk, truth columns in
        # chunk-aligned blocks, the rest at once), so HDF5's chunk cache (8 MB per dataset) would
        # only hold memory: off, each chunk is compressed and written as it comes
        self.f = h5py.File(self.tmp, "w", rdcc_nbytes=0)
        f = self.f
        cap_metadata_cache(f)
        f.create_dataset("cxi_version", data=160)
        f.create_dataset("number_of_entries", data=1)
        e = f.create_group("entry_1")
        e.create_dataset("program_name", data=f"diffbench {__version__}")
        # "000000042": zero-padded to 9 digits (-n is at most 1e8), built without a Python object per frame
        ident = np.char.zfill(np.arange(first_index, first_index + n_patterns).astype("S9"), 9)
        e.create_dataset("experiment_identifier", data=ident)
        det = f.create_group(DET)
        self.data = det.create_dataset("data", shape=(n_patterns,) + tuple(shape), dtype=dtype,
                                       chunks=(1,) + tuple(shape), **kw)
        self.data.attrs["axes"] = "experiment_identifier:y:x"
        self.encoder = frame_encoder(compression, shape, dtype, _bitshuffle_block(self.data))
        self.data.attrs["compression"] = compression
        self.data.attrs["how_to_read"] = HOW_TO_READ[compression]
        e.create_group("data_1")
        f["/entry_1/data_1/data"] = h5py.SoftLink(DET + "/data")
        f.create_group(TRUTH)
        f.create_group(PARTICLES)
        if detector is not None:
            self._write_geometry(detector, beam)
        for k, v in (attrs or {}).items():
            f[TRUTH].attrs[k] = v
        f[TRUTH].attrs["compression"] = compression
        f[TRUTH].attrs["diffbench_version"] = __version__

    def _write_geometry(self, detector, beam):
        det = self.f[DET]
        det.create_dataset("distance", data=detector.distance_m).attrs["units"] = "m"
        det.create_dataset("x_pixel_size", data=detector.pixel_size_m).attrs["units"] = "m"
        det.create_dataset("y_pixel_size", data=detector.pixel_size_m).attrs["units"] = "m"
        det.create_dataset("mask", data=detector.mask(), compression="gzip")
        g = detector.cxi_geometry()
        det.create_dataset("corner_position", data=g["corner_position"])
        det.create_dataset("basis_vectors", data=g["basis_vectors"])
        det.create_dataset("beam_center_xy_px", data=np.array(detector.beam_center_xy_px, dtype=float))
        if detector.saturation_photons:
            det.create_dataset("saturation_value", data=int(detector.saturation_photons))
        det.attrs["diffbench_detector"] = json.dumps(detector.to_dict())
        det.attrs["description"] = detector.description or ""
        if beam is not None:
            src = self.f.require_group(SRC)
            src.create_dataset("energy", data=beam.photon_energy_j).attrs["units"] = "J"
            src.create_dataset("pulse_energy", data=beam.pulse_energy_j).attrs["units"] = "J"
            src.create_dataset("wavelength", data=beam.wavelength_m).attrs["units"] = "m"
            src.attrs["diffbench_beam"] = json.dumps({
                "photon_energy_ev": beam.photon_energy_ev, "pulse_energy_j": beam.pulse_energy_j,
                "focus_diameter_m": beam.focus_diameter_m, "profile": beam.profile,
                "pulse_energy_jitter": beam.pulse_energy_jitter, "polarisation": beam.polarisation})

    def write_frames(self, start: int, frames: np.ndarray):
        """Frames [start, start + len(frames)), through HDF5's filters."""
        ensure_free_space(self.tmp, frames.nbytes, self.path)
        self.data[start:start + len(frames)] = frames

    def encode_frames(self, frames: np.ndarray) -> list[bytes] | np.ndarray:
        """The frames as :meth:`write_encoded` takes them: their chunks, encoded outside HDF5
        (:mod:`diffbench.io.frame_chunks`; safe to call from several threads at once, and most of
        the work runs without the GIL), or the frames themselves where this compression has no
        encoder."""
        return frames if self.encoder is None else self.encoder.encode(frames)

    def write_encoded(self, start: int, encoded: list[bytes] | np.ndarray, masks=None):
        """Write what :meth:`encode_frames` returned as frames [start, ...): ready chunks are
        stored as they are (``write_direct_chunk``), the same bytes HDF5's filter would write.
        ``masks``: each chunk's HDF5 filter mask (default 0: every filter applied)."""
        if isinstance(encoded, np.ndarray):
            self.write_frames(start, encoded)
            return
        ensure_free_space(self.tmp, sum(len(c) for c in encoded), self.path)
        zeros = (0,) * (self.data.ndim - 1)
        write = self.data.id.write_direct_chunk
        for i, chunk in enumerate(encoded):
            write((start + i,) + zeros, chunk, 0 if masks is None else masks[i])

    def copy_chunks_from(self, src_dataset, start: int):
        """Copy already-compressed frames (same filters) without decompressing them, about
        :data:`COPY_BLOCK_BYTES` at a time (one free-space check per block, not per chunk)."""
        zeros = (0,) * (src_dataset.ndim - 1)
        read = src_dataset.id.read_direct_chunk
        first, masks, chunks, size = 0, [], [], 0
        for i in range(src_dataset.shape[0]):
            mask, chunk = read((i,) + zeros)
            masks.append(mask)
            chunks.append(chunk)
            size += len(chunk)
            if size >= COPY_BLOCK_BYTES:
                self.write_encoded(start + first, chunks, masks)
                first, masks, chunks, size = i + 1, [], [], 0
        if chunks:
            self.write_encoded(start + first, chunks, masks)

    def write_truth(self, patterns: np.ndarray, particles: np.ndarray | None = None):
        """Per-pattern truth (a structured array of length N) and, where the kind has them,
        per-particle truth (one row per particle, crystal, ...), written under ``truth/particles``."""
        nbytes = len(patterns) * patterns.dtype.itemsize + (0 if particles is None else len(particles) * particles.dtype.itemsize)
        ensure_free_space(self.tmp, nbytes, self.path)
        write_table(self.f[TRUTH], patterns)
        if particles is not None:
            write_table(self.f[PARTICLES], particles)

    @property
    def truth_group(self) -> h5py.Group:
        """The truth group, for a kind's own additions (e.g. the maps of an ED scan)."""
        return self.f[TRUTH]

    def source_group(self) -> h5py.Group:
        """The CXI source group (created if absent), for a kind's own beam records."""
        return self.f.require_group(SRC)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        # the file is published only when the body and the close both succeeded: a close that
        # fails (a full disk) must not replace a good file by a truncated one
        try:
            self.f.close()
        except BaseException:
            self.tmp.unlink(missing_ok=True)
            raise
        if exc_type is None:
            publish(self.tmp, self.path)
        else:
            self.tmp.unlink(missing_ok=True)
        return False


#: Compressed bytes per free-space check when frames are copied from a part file.
COPY_BLOCK_BYTES = 8 * 2**20

#: Rows per block when a truth table is read back from disk.
TABLE_BLOCK_ROWS = 1 << 13
#: Rows per read within a block: a column is assembled from reads of whole rows (~150 B each) this
#: many at a time, so that memory holds one column block and one small read, not a block of rows.
TABLE_READ_ROWS = 1 << 12


def write_table(group, table):
    """Write each field of the structured array ``table`` as a dataset of ``group``.

    ``table`` may also be a :class:`~diffbench.simulate.truth.SpilledTable` (rows on disk): each
    column is then written block by block, in whole chunks of the dataset (the chunk shape h5py
    chooses for the whole column, so the stored data are those of the array path), and memory
    holds one block, not the table nor a column: flat in the number of rows.
    """
    for name in table.dtype.names:
        if isinstance(table, np.ndarray):
            col = np.ascontiguousarray(table[name])
            group.create_dataset(name, data=col, compression="gzip" if col.size > 1024 else None)
            continue
        field = table.dtype[name]
        shape = (len(table),) + field.shape
        size = int(np.prod(shape))
        ds = group.create_dataset(name, shape=shape, dtype=field.base, compression="gzip" if size > 1024 else None)
        rows = TABLE_BLOCK_ROWS if ds.chunks is None else ds.chunks[0] * max(1, TABLE_BLOCK_ROWS // ds.chunks[0])
        col = np.empty((rows,) + field.shape, dtype=field.base)
        for s in range(0, len(table), rows):
            e = min(len(table), s + rows)
            for a in range(s, e, TABLE_READ_ROWS):  # whole rows are read, a few hundred kB at a time
                b = min(e, a + TABLE_READ_ROWS)
                col[a - s:b - s] = table.read(a, b)[name]
            ds[s:e] = col[:e - s]


def read_table(group) -> dict[str, np.ndarray]:
    """The datasets of ``group`` as a dict of arrays (byte strings decoded to str)."""
    out = {}
    for name, ds in group.items():
        if isinstance(ds, h5py.Dataset):
            arr = ds[()]
            if arr.dtype.kind == "S":
                arr = arr.astype(str)
            out[name] = arr
    return out


class Dataset:
    """A diffbench CXI file opened for reading.

    ``patterns`` is the lazy h5py dataset (slice it: ``ds.patterns[10:20]``); ``truth`` and
    ``particles`` are dicts of numpy arrays; ``geometry`` holds the detector and beam; ``attrs``
    the provenance (recipe, version, seed...). Use as a context manager or call :meth:`close`.
    """

    def __init__(self, path, verify: str = "quick"):
        from diffbench.io.index import read_manifest, validate_shards

        self.path = Path(path)
        try:
            self.file = h5py.File(self.path, "r")
        except OSError as exc:
            raise ValueError(f"{self.path}: not a file diffbench can read (not HDF5, truncated or empty: "
                             f"{exc})") from None
        f = self.file
        if FRAMES not in f:
            f.close()
            raise ValueError(f"{self.path}: a CXI/HDF5 file without frames at {FRAMES}")
        #: whether the file carries diffbench's truth (False: a CXI from elsewhere, frames and geometry only)
        self.has_truth = TRUTH in f and PARTICLES in f
        self.manifest = read_manifest(f)
        data = f["/entry_1/data_1/data"]
        if self.manifest is None and data.is_virtual:
            f.close()
            raise ValueError(f"{self.path}: a sharded index without its manifest: its shards cannot be checked, "
                             "and a missing one would read as fill values; rebuild it by running the same "
                             "simulate command again")
        #: how the shards were checked on opening: "none", "quick" (present, sizes, SHA-256 of those whose
        #: mtime changed), "full" (SHA-256 of all); None for a single file
        self.verified = verify if self.manifest is not None else None
        if self.manifest is not None and verify != "none":
            try:
                validate_shards(self.path, self.manifest, full=verify == "full")
            except BaseException:
                f.close()
                raise
        self.patterns = f[FRAMES]
        self.truth = read_table(f[TRUTH]) if self.has_truth else {}
        self.particles = read_table(f[PARTICLES]) if self.has_truth else {}
        self.attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f[TRUTH].attrs.items()} \
            if self.has_truth else {}
        det = f[DET] if DET in f else {}
        self.mask = det["mask"][()] if "mask" in det else None
        attrs = det.attrs if DET in f else {}
        self.geometry = {
            "distance_m": float(det["distance"][()]) if "distance" in det else None,
            "pixel_size_m": float(det["x_pixel_size"][()]) if "x_pixel_size" in det else None,
            "beam_center_xy_px": tuple(det["beam_center_xy_px"][()]) if "beam_center_xy_px" in det else None,
            "photon_energy_j": float(f[SRC]["energy"][()]) if SRC in f and "energy" in f[SRC] else None,
            "wavelength_m": float(f[SRC]["wavelength"][()]) if SRC in f and "wavelength" in f[SRC] else None,
            "detector": json.loads(attrs["diffbench_detector"]) if "diffbench_detector" in attrs else None,
            "beam": json.loads(f[SRC].attrs["diffbench_beam"]) if SRC in f and "diffbench_beam" in f[SRC].attrs else None,
        }

    def __len__(self):
        return self.patterns.shape[0]

    @property
    def shape(self):
        return self.patterns.shape

    def detector(self):
        """The :class:`~diffbench.geometry.detector.Detector` stored in the file; for a CXI file
        from elsewhere, one built from its standard fields (``distance``, ``x_pixel_size``, the
        beam centre where given, else the frame's centre; ``mask`` ≠ 0 marks bad pixels)."""
        from diffbench.geometry.presets import detector_from_dict

        if self.geometry["detector"] is not None:
            return detector_from_dict(self.geometry["detector"])
        from diffbench.geometry.detector import Detector

        g = self.geometry
        for key, field in (("distance_m", "distance"), ("pixel_size_m", "x_pixel_size")):
            if g[key] is None:
                raise ValueError(f"{self.path}: no detector geometry ({DET}/{field} is missing)")
        ny, nx = self.shape[1:]
        centre = g["beam_center_xy_px"] or ((nx - 1) / 2, (ny - 1) / 2)
        return Detector(nx=int(nx), ny=int(ny), pixel_size_m=g["pixel_size_m"], distance_m=g["distance_m"],
                        beam_center_xy_px=tuple(float(c) for c in centre), name="from-file")

    def beam(self):
        """The :class:`~diffbench.geometry.beam.Beam` stored in the file; for a CXI file from
        elsewhere, its photon energy (``source_1/energy`` or ``wavelength``) with a nominal focus."""
        from diffbench.geometry.beam import Beam

        if self.geometry["beam"] is not None:
            return Beam(**self.geometry["beam"])
        from diffbench.units import EV_J, HC_EV_M

        g = self.geometry
        if g["photon_energy_j"]:
            energy_ev = g["photon_energy_j"] / EV_J
        elif g["wavelength_m"]:
            energy_ev = HC_EV_M / g["wavelength_m"]
        else:
            raise ValueError(f"{self.path}: no photon energy ({SRC}/energy or wavelength is missing)")
        return Beam(photon_energy_ev=energy_ev, pulse_energy_j=1e-3, focus_diameter_m=1e-6)

    def iter_batches(self, batch_size: int = 256):
        """Yield (start, frames) blocks, reading lazily."""
        for s in range(0, len(self), batch_size):
            yield s, self.patterns[s:s + batch_size]

    def close(self):
        self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def open_dataset(path, verify: str = "quick") -> Dataset:
    """Open a diffbench CXI file (single or sharded index): lazy patterns, truth tables, geometry.

    verify (sharded indexes only): ``"quick"`` checks every shard's presence and size, and its
    SHA-256 where its modification time changed; ``"full"`` hashes every shard; ``"none"`` skips.
    A missing or altered shard raises :class:`diffbench.io.index.ShardError` naming it.
    """
    if verify not in ("quick", "full", "none"):
        raise ValueError(f"verify must be 'quick', 'full' or 'none', got {verify!r}")
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such dataset file: {p}")
    return Dataset(p, verify)

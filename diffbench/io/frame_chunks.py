"""Frames encoded as the HDF5 chunks the CXI writer stores, outside HDF5.

Why: a frame written through HDF5's dataset interface costs ~22 µs of HDF5 bookkeeping beside
its compression (a 128×128 uint16 frame: 28 µs in all, against 6 µs to store a ready chunk with
``write_direct_chunk``), and all of it runs on the writing thread, holding the GIL. Encoded
here, a batch's chunks are made by the render thread that made its frames, in parallel with the
others and without the GIL, and the writer only stores them.

The bytes are exactly those HDF5's filter writes (the tests compare them chunk by chunk):

- ``bitshuffle-lz4``: the bitshuffle HDF5 filter's chunk (Masui et al., Astronomy and Computing
  12, 181, 2015): a 12-byte header (the chunk's uncompressed size, uint64 big-endian, and the
  block size in bytes, uint32 big-endian) followed by ``bshuf_compress_lz4``'s blocks. The
  function is the one inside hdf5plugin's filter library, called through ctypes (which releases
  the GIL), so the two cannot drift apart;
- ``none``: the frame's bytes.

``gzip`` (the interchange option) has no encoder: those frames go through HDF5's own filters.
Where hdf5plugin's library or its symbols cannot be found, :func:`frame_encoder` returns None and
the writer falls back to HDF5 as well.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import numpy as np

BSHUF_FILTER_ID = 32008
_BSHUF_HEADER_BYTES = 12


@functools.lru_cache(maxsize=1)
def _bitshuffle_library():
    """hdf5plugin's bitshuffle filter library with the argument types of the three functions
    used here, or None where it or they are missing."""
    import hdf5plugin

    for path in sorted(Path(hdf5plugin.PLUGIN_PATH).glob("*h5bshuf*")):
        try:
            lib = ctypes.CDLL(str(path))
            compress, bound, default = lib.bshuf_compress_lz4, lib.bshuf_compress_lz4_bound, lib.bshuf_default_block_size
        except (OSError, AttributeError):
            continue
        size_t = ctypes.c_size_t
        compress.restype, compress.argtypes = ctypes.c_int64, [ctypes.c_void_p, ctypes.c_void_p, size_t, size_t, size_t]
        bound.restype, bound.argtypes = size_t, [size_t, size_t, size_t]
        default.restype, default.argtypes = size_t, [size_t]
        return lib
    return None


class FrameEncoder:
    """Encode frames of one shape and dtype into the chunks of a one-frame-per-chunk dataset
    compressed with ``compression``; :meth:`encode` may run in several threads at once."""

    def __init__(self, compression: str, frame_shape: tuple[int, ...], dtype, block_elements: int = 0):
        self.compression = compression
        self.dtype = np.dtype(dtype)
        self.n_elements = int(np.prod(frame_shape))
        self.frame_bytes = self.n_elements * self.dtype.itemsize
        if compression == "bitshuffle-lz4":
            self._lib = _bitshuffle_library()
            if self._lib is None:
                raise RuntimeError("compression: hdf5plugin's bitshuffle library (h5bshuf) was not found "
                                   "in hdf5plugin.PLUGIN_PATH; use frame_encoder(), which falls back to HDF5")
            es = self.dtype.itemsize
            self._block = int(block_elements) or int(self._lib.bshuf_default_block_size(es))
            self._bound = _BSHUF_HEADER_BYTES + int(self._lib.bshuf_compress_lz4_bound(self.n_elements, es, self._block))
            self._header = (self.frame_bytes.to_bytes(8, "big") + (self._block * es).to_bytes(4, "big"))
        elif compression != "none":
            raise ValueError(f"compression: no chunk encoder for {compression!r} (only 'bitshuffle-lz4' and 'none')")

    def encode(self, frames: np.ndarray) -> list[bytes]:
        """One chunk (bytes) per frame of ``frames`` (n, *frame_shape)."""
        if frames.dtype != self.dtype:  # no silent cast: HDF5 would convert differently (it clips)
            raise ValueError(f"frames: dtype {frames.dtype}, the dataset holds {self.dtype}")
        frames = np.ascontiguousarray(frames)
        n = len(frames)
        if frames.size != n * self.n_elements:
            raise ValueError(f"frames: shape {frames.shape} does not hold frames of {self.n_elements} elements")
        if self.compression == "none":
            flat = frames.reshape(n, -1)
            return [flat[i].tobytes() for i in range(n)]
        out = np.empty((n, self._bound), dtype=np.uint8)
        out[:, :_BSHUF_HEADER_BYTES] = np.frombuffer(self._header, dtype=np.uint8)
        src, dst, step, es = frames.ctypes.data, out.ctypes.data, self.frame_bytes, self.dtype.itemsize
        compress = self._lib.bshuf_compress_lz4
        sizes = [compress(src + i * step, dst + i * self._bound + _BSHUF_HEADER_BYTES, self.n_elements, es, self._block)
                 for i in range(n)]
        if min(sizes, default=0) < 0:
            raise RuntimeError(f"bitshuffle-lz4: compressing a frame failed (bshuf_compress_lz4 returned {min(sizes)})")
        view = memoryview(out).cast("B")
        return [bytes(view[i * self._bound:i * self._bound + _BSHUF_HEADER_BYTES + m]) for i, m in enumerate(sizes)]


def frame_encoder(compression: str, frame_shape, dtype, block_elements: int = 0) -> FrameEncoder | None:
    """The encoder of a dataset's chunks, or None where frames must go through HDF5 (gzip, or
    hdf5plugin's bitshuffle library not found). ``block_elements``: the filter's block size
    (its fourth option; 0, the default, lets bitshuffle choose, as the filter does)."""
    if compression == "none" or (compression == "bitshuffle-lz4" and _bitshuffle_library() is not None):
        return FrameEncoder(compression, tuple(frame_shape), dtype, block_elements)
    return None

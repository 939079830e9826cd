"""Chunks encoded outside HDF5 are byte for byte those HDF5's filters write, and the writer stores
them (or falls back to HDF5) so that readers see the same frames."""

import threading

import h5py
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from diffbench.io import cxi, frame_chunks
from diffbench.io.cxi import CXIWriter

SHAPES = [(128, 128), (150, 150), (7, 5), (1, 3)]  # whole bitshuffle blocks, a partial last block, tiny
DTYPES = [np.uint16, np.int32, np.float32]


def _frames(shape, dtype, n=5, seed=0):
    """Sparse photon-count-like frames, plus one dense frame and one of zeros."""
    rng = np.random.default_rng(seed)
    f = rng.poisson(0.05, size=(n,) + shape).astype(dtype)
    f[1] = rng.integers(0, 60000, size=shape).astype(dtype)
    f[2] = 0
    return f


def _hdf5_chunks(tmp_path, frames, compression):
    """The chunks HDF5 itself writes for ``frames`` (through the dataset interface)."""
    with h5py.File(tmp_path / "ref.h5", "w") as f:
        d = f.create_dataset("d", shape=frames.shape, dtype=frames.dtype, chunks=(1,) + frames.shape[1:],
                             **cxi.compression_kwargs(compression))
        d[...] = frames
        return [d.id.read_direct_chunk((i,) + (0,) * (frames.ndim - 1))[1] for i in range(len(frames))]


@pytest.mark.parametrize("compression", ["bitshuffle-lz4", "none"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_encoded_chunks_are_the_bytes_hdf5_writes(tmp_path, compression, dtype, shape):
    frames = _frames(shape, dtype)
    enc = frame_chunks.frame_encoder(compression, shape, dtype)
    assert enc is not None
    assert enc.encode(frames) == _hdf5_chunks(tmp_path, frames, compression)


@pytest.mark.parametrize("compression", ["bitshuffle-lz4", "none", "gzip"])
def test_writer_stores_encoded_frames_that_read_back_unchanged(tmp_path, compression):
    frames = _frames((33, 20), np.uint16, n=9)
    with CXIWriter(tmp_path / "x.cxi", 9, (33, 20), np.uint16, compression) as w:
        encoded = w.encode_frames(frames[:6])
        assert isinstance(encoded, np.ndarray) == (compression == "gzip")  # gzip: through HDF5
        w.write_encoded(0, encoded)
        w.write_encoded(6, w.encode_frames(frames[6:]))
        w.write_truth(np.zeros(9, dtype=[("a", "i4")]))
    with h5py.File(tmp_path / "x.cxi") as f:
        assert_array_equal(f[cxi.FRAMES][()], frames)


def test_without_the_bitshuffle_library_the_writer_goes_through_hdf5(tmp_path, monkeypatch):
    monkeypatch.setattr(frame_chunks, "_bitshuffle_library", lambda: None)
    assert frame_chunks.frame_encoder("bitshuffle-lz4", (4, 4), np.uint16) is None
    frames = _frames((4, 4), np.uint16)
    with CXIWriter(tmp_path / "x.cxi", 5, (4, 4), np.uint16) as w:
        assert w.encoder is None and w.encode_frames(frames) is frames
        w.write_encoded(0, w.encode_frames(frames))
        w.write_truth(np.zeros(5, dtype=[("a", "i4")]))
    with h5py.File(tmp_path / "x.cxi") as f:
        assert_array_equal(f[cxi.FRAMES][()], frames)
        assert cxi.BSHUF_FILTER_ID in [f[cxi.FRAMES].id.get_create_plist().get_filter(0)[0]]


def test_encoding_in_several_threads_at_once_gives_the_same_chunks():
    frames = _frames((64, 64), np.uint16, n=40, seed=3)
    enc = frame_chunks.frame_encoder("bitshuffle-lz4", (64, 64), np.uint16)
    serial = enc.encode(frames)
    results = {}

    def work(k):
        results[k] = enc.encode(frames[k * 10:(k + 1) * 10])

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sum((results[k] for k in range(4)), []) == serial


def test_frames_of_the_wrong_size_are_refused():
    enc = frame_chunks.frame_encoder("bitshuffle-lz4", (8, 8), np.uint16)
    with pytest.raises(ValueError, match="frames: shape"):
        enc.encode(np.zeros((2, 8, 7), np.uint16))
    with pytest.raises(ValueError, match="frames: dtype float32, the dataset holds uint16"):
        enc.encode(np.zeros((2, 8, 8), np.float32))
    with pytest.raises(ValueError, match="compression: no chunk encoder for 'gzip'"):
        frame_chunks.FrameEncoder("gzip", (8, 8), np.uint16)


def test_chunks_copied_from_a_part_file_in_several_blocks_are_the_same_chunks(tmp_path, monkeypatch):
    frames = _frames((16, 16), np.uint16, n=11, seed=5)
    with CXIWriter(tmp_path / "part.cxi", 11, (16, 16), np.uint16) as w:
        w.write_frames(0, frames)
        w.write_truth(np.zeros(11, dtype=[("a", "i4")]))
    monkeypatch.setattr(cxi, "COPY_BLOCK_BYTES", 100)  # a few chunks per block, the last one partial
    with h5py.File(tmp_path / "part.cxi") as src, CXIWriter(tmp_path / "all.cxi", 14, (16, 16), np.uint16) as w:
        w.write_frames(0, frames[:3])
        w.copy_chunks_from(src[cxi.FRAMES], 3)
        w.write_truth(np.zeros(14, dtype=[("a", "i4")]))
    with h5py.File(tmp_path / "part.cxi") as a, h5py.File(tmp_path / "all.cxi") as b:
        assert_array_equal(b[cxi.FRAMES][3:], frames)
        assert [b[cxi.FRAMES].id.read_direct_chunk((3 + i, 0, 0)) for i in range(11)] == \
               [a[cxi.FRAMES].id.read_direct_chunk((i, 0, 0)) for i in range(11)]

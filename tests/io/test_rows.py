"""read_rows gives exactly what slicing gives, for HDF5 datasets and arrays alike."""

import h5py
import hdf5plugin
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from diffbench.io.cxi import compression_kwargs
from diffbench.io.rows import read_rows


@pytest.mark.parametrize("compression", ["bitshuffle-lz4", "none"])
def test_read_rows_equals_slicing(tmp_path, compression):
    assert hdf5plugin  # the bitshuffle filter is registered on import
    data = np.random.default_rng(0).poisson(1.0, size=(10, 6, 5)).astype(np.uint16)
    with h5py.File(tmp_path / "a.h5", "w") as f:
        f.create_dataset("d", data=data, chunks=(1, 6, 5), **compression_kwargs(compression))
    with h5py.File(tmp_path / "a.h5", "r") as f:
        for a, b in [(0, 10), (3, 7), (8, 15), (10, 12), (4, 4)]:
            got = read_rows(f["d"], a, b)
            assert got.dtype == np.uint16
            assert_array_equal(got, data[a:b])
            assert_array_equal(read_rows(data, a, b), data[a:b])

"""The vectorised B-spline stencil sum against the same sum written with numpy."""

import numpy as np
from numpy.testing import assert_allclose

from diffbench.simulate.vector_kernels import stencil_sum


def test_stencil_sum_equals_numpy_for_every_corner_of_a_small_grid():
    rng = np.random.default_rng(3)
    n = 7
    grid = rng.normal(size=(n, n, n, 2)).astype(np.float32)  # (z, y, x, re/im)
    vol = grid.ravel()
    for iz, iy, ix in [(0, 0, 0), (3, 2, 1), (n - 4, n - 4, n - 4), (1, 3, 2)]:
        wx, wy, wz = (tuple(np.float32(v) for v in rng.random(4)) for _ in range(3))
        first = ((iz * n + iy) * n + ix) * 2
        re, im = stencil_sum(vol, first, n, wx, wy, wz)
        block = grid[iz:iz + 4, iy:iy + 4, ix:ix + 4].astype(np.float64)
        ref = np.einsum("a,b,c,abck->k", np.array(wz, float), np.array(wy, float), np.array(wx, float), block)
        # float32 accumulation of 64 terms of order one: a few 1e-7 relative to the largest term
        assert_allclose([re, im], ref, rtol=0, atol=2e-5)

"""The vectorised B-spline stencil sum against the same sum written with numpy."""

import numba as nb
import numpy as np
from numpy.testing import assert_allclose

from diffbench.simulate.spi.vector_kernels import (
    LANES,
    bspline_stencil_f32,
    bspline_weights_f32,
)


@nb.njit
def stencil_sum(vol, i, n, tx, ty, tz):
    """The kernel's two steps for one pixel on a cubic grid of side ``n``: its weights
    (:func:`bspline_weights_f32`), then the stencil sum from flat float index ``i``."""
    t = np.zeros((3, LANES), dtype=np.float32)
    t[0, 0], t[1, 0], t[2, 0] = tx, ty, tz
    w = np.empty((12, LANES), dtype=np.float32)
    bspline_weights_f32(t[0], t[1], t[2], np.int64(0), w, np.int64(0))
    return bspline_stencil_f32(vol, np.uint64(i), np.uint64(2 * n), np.uint64(2 * n * n), w, np.int64(0))


def bspline_weights(t: float) -> np.ndarray:
    """Cubic B-spline β₃ at the four grid points floor(u) − 1 … floor(u) + 2, t = u − floor(u)."""
    return np.array([(1 - t) ** 3, 3 * t**3 - 6 * t**2 + 4, -3 * t**3 + 3 * t**2 + 3 * t + 1, t**3]) / 6


def test_stencil_sum_equals_numpy_for_every_corner_of_a_small_grid():
    rng = np.random.default_rng(3)
    n = 7
    grid = rng.normal(size=(n, n, n, 2)).astype(np.float32)  # (z, y, x, re/im)
    vol = grid.ravel()
    for iz, iy, ix in [(0, 0, 0), (3, 2, 1), (n - 4, n - 4, n - 4), (1, 3, 2)]:
        tx, ty, tz = rng.random(3).astype(np.float32)
        first = ((iz * n + iy) * n + ix) * 2
        re, im = stencil_sum(vol, first, n, tx, ty, tz)
        block = grid[iz:iz + 4, iy:iy + 4, ix:ix + 4].astype(np.float64)
        ref = np.einsum("a,b,c,abck->k", bspline_weights(float(tz)), bspline_weights(float(ty)),
                        bspline_weights(float(tx)), block)
        # float32 weights and accumulation over 64 terms of order one: a few 1e-7 relative to the
        # largest term each, so 2e-5 absolute is loose by ×10 yet far below any wrong weight or index
        assert_allclose([re, im], ref, rtol=0, atol=2e-5)


def test_each_lane_weight_is_the_cubic_bspline():
    """A grid holding 1 at one stencil point returns that point's weight product: the Horner
    polynomials in the vector lanes are β₃ at each of the 4 × 4 × 4 offsets, including the ends
    t = 0 (weights 1/6, 2/3, 1/6, 0) and t → 1."""
    n = 4
    for t in (0.0, 0.25, 0.5, 0.9999):
        w = bspline_weights(t)
        assert_allclose(w.sum(), 1.0, rtol=1e-12)
        for a, b, c in [(0, 0, 0), (1, 2, 3), (3, 3, 3), (2, 0, 1), (0, 3, 2)]:
            grid = np.zeros((n, n, n, 2), dtype=np.float32)
            grid[a, b, c] = (1.0, -2.0)
            re, im = stencil_sum(grid.ravel(), 0, n, t, 1.0 - t, t / 2)
            expect = w[c] * bspline_weights(1.0 - t)[b] * bspline_weights(t / 2)[a]
            # float32 Horner: a few ulp of weights ≤ 2/3
            assert_allclose([re, im], [expect, -2 * expect], rtol=0, atol=3e-7)


def test_weights_pass_gives_each_of_eight_pixels_its_own_weights():
    """The weights pass evaluates eight pixels at once, one per lane, into columns r … r + 7 of the
    (12, CH) table: every column must hold β₃ of its own pixel's tx, ty, tz, and nothing outside
    those eight columns may be written."""
    @nb.njit
    def weights(tx, ty, tz, j, w, r):
        bspline_weights_f32(tx, ty, tz, j, w, r)

    rng = np.random.default_rng(5)
    t = rng.random((3, 20)).astype(np.float32)
    t[:, 3] = 0.0
    t[:, 4] = np.float32(0.9999)
    w = np.full((12, 24), -7.0, dtype=np.float32)
    weights(t[0], t[1], t[2], np.int64(2), w, np.int64(5))  # pixels 2 … 9 into columns 5 … 12
    for lane in range(LANES):
        for axis in range(3):
            # float32 Horner: a few ulp of weights ≤ 2/3
            assert_allclose(w[4 * axis:4 * axis + 4, 5 + lane], bspline_weights(float(t[axis, 2 + lane])),
                            rtol=0, atol=3e-7)
    untouched = np.ones(24, dtype=bool)
    untouched[5:13] = False
    assert np.all(w[:, untouched] == -7.0)

"""Numba kernels for trilinear reading from and adding into a cubic grid (EMC's slice and merge).

A point x (in voxels from the centre voxel n // 2, array axes (0, 1, 2)) lies in the cell of its 8
surrounding voxels; each gets the weight Π (1 − |x_a − v_a|). Voxels outside the grid get nothing
(a slice reads 0 there, a merge drops the value). ``merge`` is the adjoint of ``slice``, so the
EMC's maximisation step is the transpose of its expectation step, as in Dragonfly.

Serial loops: the EMC calls them on blocks of a few hundred thousand points, and a merge into one
grid from several threads would race. Kept apart so that importing :mod:`diffbench.methods` does
not import numba.
"""

from __future__ import annotations

import math

import numba as nb


@nb.njit(inline="always")
def _cell(points, p, c):
    """The lowest voxel (iz, iy, ix) of point p's cell and its fractions (tz, ty, tx) into it."""
    z = points[p, 0] + c
    y = points[p, 1] + c
    x = points[p, 2] + c
    fz = math.floor(z)
    fy = math.floor(y)
    fx = math.floor(x)
    return int(fz), int(fy), int(fx), z - fz, y - fy, x - fx


@nb.njit(nogil=True, cache=True)
def trilinear_slice(volume, points, out):
    """out[p] = the (n, n, n) ``volume`` read at ``points[p]`` (P, 3), by trilinear interpolation."""
    n = volume.shape[0]
    for p in range(points.shape[0]):
        iz, iy, ix, tz, ty, tx = _cell(points, p, n // 2)
        acc = 0.0
        for dz in range(2):
            kz = iz + dz
            if kz < 0 or kz >= n:
                continue
            wz = tz if dz else 1.0 - tz
            for dy in range(2):
                ky = iy + dy
                if ky < 0 or ky >= n:
                    continue
                wy = ty if dy else 1.0 - ty
                for dx in range(2):
                    kx = ix + dx
                    if 0 <= kx < n:
                        acc += wz * wy * (tx if dx else 1.0 - tx) * volume[kz, ky, kx]
        out[p] = acc


@nb.njit(nogil=True, cache=True)
def trilinear_merge(grid, points, values):
    """grid[v] += w_v(points[p]) · values[p] for the 8 voxels v about each point (in place)."""
    n = grid.shape[0]
    for p in range(points.shape[0]):
        iz, iy, ix, tz, ty, tx = _cell(points, p, n // 2)
        v = values[p]
        for dz in range(2):
            kz = iz + dz
            if kz < 0 or kz >= n:
                continue
            wz = tz if dz else 1.0 - tz
            for dy in range(2):
                ky = iy + dy
                if ky < 0 or ky >= n:
                    continue
                wy = ty if dy else 1.0 - ty
                for dx in range(2):
                    kx = ix + dx
                    if 0 <= kx < n:
                        grid[kz, ky, kx] += wz * wy * (tx if dx else 1.0 - tx) * v

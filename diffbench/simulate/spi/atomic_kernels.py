"""Numba kernel of the atomic-volume build: multiply a transform by its radial form-factor term.

Kept apart from :mod:`diffbench.simulate.spi.atomic` so that importing the physics does not import
numba. The numpy equivalent is a gather from the |q| table; tests compare the volume it builds
with the direct atomic sum.
"""

from __future__ import annotations

import math

import numba as nb


@nb.njit(parallel=True, cache=True)
def add_radial_product(out, transform, table, table_step_in_dq):
    """out[z, y, x] += φ(|q|) · transform[z, y, x] on a centred cubic grid of spacing dq.

    table : φ sampled at |q| = k · table_step (complex); ``table_step_in_dq`` = table_step / dq.
    φ is interpolated linearly between table entries (the table is fine: 8192 entries).
    """
    n = out.shape[0]
    half = (n - 1) // 2
    inv = 1.0 / table_step_in_dq
    last = table.size - 2
    for iz in nb.prange(n):
        z2 = (iz - half) * (iz - half)
        for iy in range(n):
            zy2 = z2 + (iy - half) * (iy - half)
            for ix in range(n):
                r = math.sqrt(zy2 + (ix - half) * (ix - half)) * inv
                i = min(int(r), last)
                w = r - i
                phi = table[i] + w * (table[i + 1] - table[i])
                out[iz, iy, ix] += phi * transform[iz, iy, ix]

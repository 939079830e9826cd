"""Numba kernels that sum detector pixels into bins: rings about a per-frame centre (ED beam
drift), and rings or cells given as a bin index per pixel (radial profiles, EM cells).

Kept apart so that importing :mod:`diffbench.methods` does not import numba.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(parallel=True, cache=True)
def radial_sums(frames, centres, valid, n_bins, bin_width_px, sums, counts):
    """sums[b, k] += frame b's valid pixels with ⌊r / bin_width⌋ = k, r from centres[b] = (x, y);
    counts[b, k] the number of those pixels. Pixels with k ≥ n_bins are left out."""
    n, ny, nx = frames.shape
    for b in nb.prange(n):
        cx = centres[b, 0]
        cy = centres[b, 1]
        for y in range(ny):
            dy2 = (y - cy) * (y - cy)
            for x in range(nx):
                if not valid[y, x]:
                    continue
                k = int(math.sqrt((x - cx) * (x - cx) + dy2) / bin_width_px)
                if k < n_bins:
                    sums[b, k] += frames[b, y, x]
                    counts[b, k] += 1.0


@nb.njit(parallel=True, nogil=True, cache=True)
def scaled_bin_sums(frames, bin_index, scale, out):
    """out[b, k] = scale[k] · Σ frames[b, p] over the pixels p with bin_index[p] = k (scale 1 / count:
    bin means; scale 1: sums).

    ``frames`` is (B, n_pixels) of any numeric dtype (photon counts are summed without a cast),
    ``bin_index`` (n_pixels,) int with −1 for pixels left out; sums are accumulated in float64.
    Parallel over frames; releases the GIL, so reading the next batch can overlap.
    """
    n, n_pix = frames.shape
    n_bins = scale.shape[0]
    for b in nb.prange(n):
        acc = np.zeros(n_bins)
        for p in range(n_pix):
            k = bin_index[p]
            if k >= 0:
                acc[k] += frames[b, p]
        for k in range(n_bins):
            out[b, k] = acc[k] * scale[k]

"""The numeric core of EMC (2-D and 3-D): the Poisson E-step, photons per detector cell, and
trilinear slicing and merging on a cubic reciprocal-space grid (the tomogram operations).

The grid has ``n`` voxels per side, odd, centred on voxel n // 2 (q = 0), ``dq`` per voxel. A
slice reads the volume at the points ``x`` (in voxels from the centre, shape (..., 3)) by trilinear
interpolation (0 outside); a merge is its transpose: it adds values at ``x`` into the grid with the
same trilinear weights. Kept apart from the EMC so that the interpolation can be tested alone
(a volume linear in x is sliced exactly; merging is the adjoint of slicing); the loops are numba
kernels in :mod:`diffbench.methods.trilinear_kernels`.
"""

from __future__ import annotations

import numpy as np


def slice_volume(volume: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The volume (n, n, n) read at points ``x`` (..., 3) in voxels from the centre, axis order
    (0, 1, 2) of the array; shape ``x.shape[:-1]``."""
    from diffbench.methods.trilinear_kernels import trilinear_slice

    pts = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(-1, 3))
    out = np.empty(len(pts))
    trilinear_slice(np.ascontiguousarray(volume, dtype=np.float64), pts, out)
    return out.reshape(np.shape(x)[:-1])


def merge_into(grid: np.ndarray, x: np.ndarray, values: np.ndarray) -> None:
    """Add ``values`` (shape ``x.shape[:-1]``) at points ``x`` into ``grid`` (n, n, n, float64,
    C-contiguous), in place, with the trilinear weights of :func:`slice_volume` (its adjoint)."""
    from diffbench.methods.trilinear_kernels import trilinear_merge

    if grid.dtype != np.float64 or not grid.flags.c_contiguous:
        raise ValueError("merge_into adds into a C-contiguous float64 grid")
    pts = np.ascontiguousarray(np.asarray(x, dtype=np.float64).reshape(-1, 3))
    vals = np.ascontiguousarray(np.broadcast_to(np.asarray(values, dtype=np.float64), np.shape(x)[:-1]).reshape(-1))
    trilinear_merge(grid, pts, vals)


def poisson_estep(K: np.ndarray, W: np.ndarray, log_prior, phi: np.ndarray, beta: np.ndarray):
    """EMC's E-step (Dragonfly's ``calculate_prob``): L_dr = log w_r + Σ_t K_dt log W_rt − φ_d Σ_t W_rt
    for counts K (frames × cells) and tomograms W (states × cells); probabilities P_dr ∝
    exp(β_d (L_dr − max_r L_dr)). Returns (P, per-frame log-likelihood at β = 1, log Σ_r exp L_dr)."""
    L = K @ np.log(W).T - phi[:, None] * W.sum(axis=1)[None, :] + log_prior
    lmax = L.max(axis=1, keepdims=True)
    loglik = lmax[:, 0] + np.log(np.exp(L - lmax).sum(axis=1))
    P = np.exp(beta[:, None] * (L - lmax))
    P /= P.sum(axis=1, keepdims=True)
    return P, loglik


def cell_counts(frames, cell_index: np.ndarray, n_cells: int) -> np.ndarray:
    """Photons per cell, (N, n_cells), summed from the frames as stored (no cast); ``cell_index`` the
    cell of each pixel (−1: none)."""
    from diffbench.methods.binning_kernels import scaled_bin_sums
    from diffbench.methods.features import pixel_rows

    ones = np.ones(n_cells)
    out = np.empty((len(frames), n_cells))
    for s, block in frames.batches(64, dtype=None):
        scaled_bin_sums(pixel_rows(block), cell_index, ones, out[s:s + len(block)])
    return out

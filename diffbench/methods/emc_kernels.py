"""Trilinear slicing and merging on a cubic reciprocal-space grid (the tomogram operations of EMC).

The grid has ``n`` voxels per side, odd, centred on voxel n // 2 (q = 0), ``dq`` per voxel. A
slice reads the volume at the points ``x`` (in voxels from the centre, shape (..., 3)) by trilinear
interpolation (0 outside); a merge is its transpose: it adds values at ``x`` into the grid with the
same trilinear weights. Kept apart from the EMC so that the interpolation can be tested alone
(a volume linear in x is sliced exactly; merging is the adjoint of slicing).
"""

from __future__ import annotations

import numpy as np


def _corners(x: np.ndarray, n: int):
    """Flat indices (8, P) and weights (8, P) of the 8 voxels around each point (weight 0 outside)."""
    c = n // 2
    p = x.reshape(-1, 3) + c
    f = np.floor(p)
    t = p - f
    f = f.astype(np.int64)
    idx, wts = [], []
    for dz in (0, 1):
        for dy in (0, 1):
            for dx in (0, 1):
                i = f + np.array([dz, dy, dx])
                w = (t[:, 0] if dz else 1 - t[:, 0]) * (t[:, 1] if dy else 1 - t[:, 1]) * (t[:, 2] if dx else 1 - t[:, 2])
                inside = np.all((i >= 0) & (i < n), axis=1)
                idx.append(np.where(inside, (i[:, 0] * n + i[:, 1]) * n + i[:, 2], 0))
                wts.append(np.where(inside, w, 0.0))
    return np.array(idx), np.array(wts)


def slice_volume(volume: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The volume (n, n, n) read at points ``x`` (..., 3) in voxels from the centre, axis order
    (0, 1, 2) of the array; shape ``x.shape[:-1]``."""
    n = volume.shape[0]
    idx, wts = _corners(np.asarray(x, dtype=np.float64), n)
    return np.einsum("kp,kp->p", volume.reshape(-1)[idx], wts).reshape(np.shape(x)[:-1])


def merge_into(grid: np.ndarray, x: np.ndarray, values: np.ndarray) -> None:
    """Add ``values`` (shape ``x.shape[:-1]``) at points ``x`` into ``grid`` (n, n, n), in place, with
    the trilinear weights of :func:`slice_volume` (its adjoint)."""
    n = grid.shape[0]
    idx, wts = _corners(np.asarray(x, dtype=np.float64), n)
    grid.reshape(-1)[:] += np.bincount(idx.ravel(), (wts * np.asarray(values, dtype=np.float64).reshape(1, -1)).ravel(),
                                       minlength=n**3)

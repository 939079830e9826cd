"""Near-uniform orientation samplings of SO(3): the refined 600-cell of EMC (Loh & Elser 2009, as
Dragonfly samples orientations; methods.md §2.1).

The 600-cell is the regular 4-D polytope with 120 vertices (unit quaternions), 720 edges, 1200
triangular faces and 600 tetrahedral cells. Refinement ``n`` puts the points (i v₀ + j v₁ + k v₂ +
l v₃)/n, i + j + k + l = n, on every cell and projects them onto the unit sphere S³; q and −q are
the same rotation, so half of them remain: 10 (5 n³ + n) orientations (n = 4: 3,240; 6: 10,860;
10: 50,100). Each carries the weight of the patch of S³ it stands for: radial projection of a
flat cell onto S³ scales volumes by h / |x|⁴ (h the cell's distance from the origin, the same for
every cell), so the weight of a point x is ∝ |x|⁻⁴, normalised to sum 1.
"""

from __future__ import annotations

import functools
import itertools
import math
from typing import NamedTuple

import numpy as np

from diffbench.geometry.orientation import canonical, quaternion_multiply

PHI = (1 + math.sqrt(5)) / 2


class OrientationSampling(NamedTuple):
    quaternions: np.ndarray  # (M, 4), w >= 0
    weights: np.ndarray  # (M,), sum 1


def _even_permutations():
    perms = []
    for p in itertools.permutations(range(4)):
        inversions = sum(1 for i in range(4) for j in range(i + 1, 4) if p[i] > p[j])
        if inversions % 2 == 0:
            perms.append(p)
    return perms


@functools.lru_cache(maxsize=1)
def cell600_vertices() -> np.ndarray:
    """The 120 vertices of the 600-cell as unit quaternions (the binary icosahedral group)."""
    v = set()
    for i in range(4):
        for s in (-1.0, 1.0):
            e = [0.0] * 4
            e[i] = s
            v.add(tuple(e))
    for signs in itertools.product((-0.5, 0.5), repeat=4):
        v.add(signs)
    base = (PHI / 2, 0.5, 1 / (2 * PHI), 0.0)
    for p in _even_permutations():
        for signs in itertools.product((-1.0, 1.0), repeat=3):
            vals = [base[0] * signs[0], base[1] * signs[1], base[2] * signs[2], 0.0]
            q = [0.0] * 4
            for k in range(4):
                q[p[k]] = vals[k]
            v.add(tuple(round(x, 15) + 0.0 for x in q))
    out = np.array(sorted(v))
    if len(out) != 120:
        raise RuntimeError(f"600-cell: {len(out)} vertices, not 120")
    return out


@functools.lru_cache(maxsize=1)
def cell600_cells() -> np.ndarray:
    """(600, 4) vertex indices of the tetrahedral cells: 4 vertices all at the edge length 1/φ."""
    v = cell600_vertices()
    d = np.linalg.norm(v[:, None] - v[None], axis=-1)
    adj = np.abs(d - 1 / PHI) < 1e-9
    cells = []
    for a in range(120):
        na = [b for b in np.flatnonzero(adj[a]) if b > a]
        for b, c, e in itertools.combinations(na, 3):
            if adj[b, c] and adj[b, e] and adj[c, e]:
                cells.append((a, b, c, e))
    cells = np.array(cells)
    if len(cells) != 600:
        raise RuntimeError(f"600-cell: {len(cells)} cells, not 600")
    return cells


@functools.lru_cache(maxsize=8)
def _sampling(n: int) -> OrientationSampling:
    v, cells = cell600_vertices(), cell600_cells()
    bary = np.array([c for c in itertools.product(range(n + 1), repeat=4) if sum(c) == n], dtype=np.float64) / n
    x = np.einsum("bk,ckd->cbd", bary, v[cells]).reshape(-1, 4)  # flat points of every cell
    norm = np.linalg.norm(x, axis=1)
    q = canonical(x / norm[:, None])
    w = norm ** -4.0
    # points on shared vertices, edges and faces appear once per cell: keep one (q and -q: canonical)
    key = np.round(q * 1e9).astype(np.int64)
    zero_w = np.abs(q[:, 0]) < 1e-12  # w = 0: q and -q both have w = 0, fix the sign on the next component
    if zero_w.any():
        q[zero_w] = _fix_sign(q[zero_w])
        key = np.round(q * 1e9).astype(np.int64)
    _, first = np.unique(key, axis=0, return_index=True)
    first = np.sort(first)
    q, w = q[first], w[first]
    expected = 10 * (5 * n**3 + n)
    if len(q) != expected:
        raise RuntimeError(f"600-cell refinement {n}: {len(q)} orientations, expected {expected}")
    q.setflags(write=False)
    w = w / w.sum()
    w.setflags(write=False)
    return OrientationSampling(q, w)


def _fix_sign(q: np.ndarray) -> np.ndarray:
    q = q.copy()
    for k in range(1, 4):
        lead = np.abs(q[:, :k]).max(axis=1) < 1e-12
        flip = lead & (q[:, k] < -1e-12)
        q[flip] *= -1
    return q


def cell600_sampling(n: int) -> OrientationSampling:
    """The refined 600-cell sampling of refinement ``n`` ≥ 1 (see the module docstring)."""
    if int(n) != n or n < 1:
        raise ValueError(f"num_div must be an integer >= 1, got {n!r}")
    return _sampling(int(n))


def reduce_to_asymmetric_unit(sampling: OrientationSampling, group: np.ndarray) -> OrientationSampling:
    """The orientations of one asymmetric unit of a point group (quaternions (|G|, 4), identity
    first): R and R g give the same pattern, so only the orientations nearer the identity than any
    other member of their coset {R g} are kept (about 1/|G| of them; those on the unit's boundary,
    within 1e-9, are kept too), their weights renormalised. A model built from them must be
    symmetrised over the group."""
    if len(group) == 1:
        return sampling
    q = sampling.quaternions
    w_of_members = np.abs(quaternion_multiply(q[:, None, :], group[None, :, :])[..., 0])  # |w| of q g
    keep = w_of_members[:, 0] >= w_of_members.max(axis=1) - 1e-9
    w = sampling.weights[keep]
    return OrientationSampling(q[keep], w / w.sum())


@functools.lru_cache(maxsize=8)
def asymmetric_sampling(num_div: int, group_name: str) -> tuple[OrientationSampling, np.ndarray]:
    """(the 600-cell sampling of refinement ``num_div`` reduced to the asymmetric unit of the point
    group ``group_name``, the group's quaternions): built once per process (for I at num_div 12,
    86,520 orientations reduced by 60 take about a second); read-only, so that no caller can change
    another's."""
    from diffbench.geometry.symmetry import point_group

    group = point_group(group_name)
    s = reduce_to_asymmetric_unit(cell600_sampling(num_div), group)
    for a in (s.quaternions, s.weights, group):
        a.setflags(write=False)
    return OrientationSampling(s.quaternions, s.weights), group

"""Real-space view of a shot: the particles' density projected along the beam (z), at their true
orientations and transverse positions, from the truth tables.

Lab frame: a particle of orientation R (quaternion w, x, y, z) at position p has density
ρ_lab(r) = ρ(Rᵀ (r − p)), the convention of the simulator (the particle frame sees q' = Rᵀ q).
Analytic shapes are sampled on a grid and summed along z; atomic models are projected atom by atom
(weighted by atomic number). Densities are relative (shell 1, capsid interior 0.5): for looking at,
not for quantitative use.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from diffbench.geometry.orientation import quaternion_to_matrix
from diffbench.simulate.spi.species import get_shape


def _shape(row, cfg):
    """The particle of a truth row as an analytic shape (relative densities), by its shape family."""
    return get_shape(cfg.shape).real_space(row, cfg)


@lru_cache(maxsize=8)
def _atoms(structure: str, assembly):
    import gemmi

    from diffbench.simulate.spi.atomic import load_structure, resolve_structure_path

    model = load_structure(resolve_structure_path(structure), assembly)
    z = np.array([gemmi.Element(e).atomic_number for e in model.elements], dtype=float) * model.occupancy
    pos = model.positions_m - (z[:, None] * model.positions_m).sum(0) / z.sum()
    radius = float(np.linalg.norm(pos, axis=1).max())
    # a picture needs no more than ~16k atoms: keep every k-th (its weight scaled), e.g. GroEL 58k → 14.6k
    k = max(1, len(z) // 16384)
    return pos[::k], z[::k] * k, radius


def bounding_radius_m(row, cfg) -> float:
    shape = _shape(row, cfg)
    if shape is None:  # an atomic model: its atoms
        return _atoms(cfg.structure, cfg.assembly)[2]
    return get_shape(cfg.shape).bounding_radius_m(row, cfg)


def projection(rows: list, species: dict, n_px: int = 64, fov_m: float | None = None, max_span_radii: float = 8.0):
    """Projected density of one shot's particles → (image (n_px, n_px), field of view in m).

    rows : the particle-truth rows of the shot (dicts or numpy records with species, size_m,
    shape_param, orientation_wxyz, position_m); species : name → SpeciesConfig of the recipe.
    The view is centred on the particles' mean transverse position and, unless given, spans all
    of them plus one bounding radius (at least 2.4 radii). When they are spread over more than
    ``max_span_radii`` radii (independent hits microns apart would be dots), the view is centred on
    the first particle instead and shows what lies within that span of it. Image row 0 is the most
    negative y.
    """
    img = np.zeros((n_px, n_px))
    if not rows:
        return img, fov_m or 1e-7
    cfgs = [species[_name(r["species"])] for r in rows]
    radii = [bounding_radius_m(r, c) for r, c in zip(rows, cfgs)]
    pos = np.array([r["position_m"] for r in rows], dtype=float)
    centre = pos[:, :2].mean(axis=0)
    if fov_m is None and np.abs(pos[:, :2] - centre).max() > max_span_radii / 2 * max(radii):
        centre = pos[0, :2]
        fov_m = 2.4 * radii[0] * 1.05
        near = np.abs(pos[:, :2] - centre).max(axis=1) < fov_m / 2 + np.array(radii)
        rows = [r for r, k in zip(rows, near) if k]
        cfgs = [c for c, k in zip(cfgs, near) if k]
        radii = [x for x, k in zip(radii, near) if k]
        pos = pos[near]
    if fov_m is None:
        span = max(np.abs(pos[:, :2] - centre).max() + max(radii), 1.2 * max(radii))
        fov_m = 2 * span * 1.05
    px = fov_m / n_px
    edges = centre[:, None] + (np.arange(n_px + 1) - n_px / 2) * px  # (2, n_px+1): x then y edges
    for r, cfg, rad, p in zip(rows, cfgs, radii, pos):
        rot = quaternion_to_matrix(np.asarray(r["orientation_wxyz"], dtype=float)[None])[0]
        shape = _shape(r, cfg)
        if shape is None:  # an atomic model: project its atoms
            atoms, z, _ = _atoms(cfg.structure, cfg.assembly)
            lab = atoms @ rot[:2].T + p[:2]  # only x, y are needed
            ix = np.floor((lab[:, 0] - edges[0, 0]) / px).astype(np.int64)
            iy = np.floor((lab[:, 1] - edges[1, 0]) / px).astype(np.int64)
            ok = (ix >= 0) & (ix < n_px) & (iy >= 0) & (iy < n_px)
            img += np.bincount(iy[ok] * n_px + ix[ok], weights=z[ok], minlength=n_px * n_px).reshape(n_px, n_px)
            continue
        cx = (edges[0, :-1] + edges[0, 1:]) / 2
        cy = (edges[1, :-1] + edges[1, 1:]) / 2
        ix = np.flatnonzero(np.abs(cx - p[0]) <= rad + px)
        iy = np.flatnonzero(np.abs(cy - p[1]) <= rad + px)
        if ix.size == 0 or iy.size == 0:
            continue
        nz = 32
        dz = 2 * rad / nz
        zs = p[2] - rad + (np.arange(nz) + 0.5) * dz
        Z, Y, X = np.meshgrid(zs, cy[iy], cx[ix], indexing="ij")
        lab = np.stack([X - p[0], Y - p[1], Z - p[2]], axis=-1)
        local = lab @ rot  # Rᵀ (r − p) for row vectors
        dens = np.zeros(X.shape)
        for level, density in shape.regions():
            dens += np.real(density) * (level(local[..., 0], local[..., 1], local[..., 2]) < 0)
        img[np.ix_(iy, ix)] += dens.sum(axis=0) * dz
    return img, fov_m


def _name(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)

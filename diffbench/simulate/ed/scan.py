"""Narrow-beam electron-diffraction scans of a holey-carbon grid (paper 002), with ground truth.

A scan = a synthetic grid map (carbon film; round holes filled with vitreous ice of random
thickness, thicker at the hole edge; flat crystalline-ice plates, each one crystal of random
orientation; sometimes a broken, empty patch in a hole) and a raster of beam positions over it.
Each frame's pattern is computed from the material under the beam footprint:

* amorphous carbon and vitreous ice: halos (:mod:`diffbench.physics.rings`), expected counts =
  N_e · Σ_cells w · t · n · dσ/dΩ · dΩ, with w the beam's normalised weight on a map cell, t its
  thickness and n the number density;
* crystals: their excited reflections as spots, with N_e · Σ_cells∈crystal w · t as the
  illuminated crystal volume per unit fluence;
* the direct beam: N_e · exp(−Σ w t / Λ) electrons in a spot of the convergence-disc size at the
  (drifting) beam centre, Λ a total mean free path per material (approximate, below).

N_e = dose × π (FWHM/2)²: the dose is the mean over the beam's FWHM disc.

**Label rule** (4 classes, plus "vacuum"): with footprint fractions f of vacuum, carbon, amorphous
and crystalline ice, a frame is ``crystalline-ice`` if f_crystal ≥ ``crystalline_min_fraction``;
else the material whose fraction is ≥ ``majority`` (``carbon``, ``amorphous-ice``, or ``vacuum``
for a frame almost entirely over a broken patch); else ``mixed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from diffbench.geometry.orientation import quaternion_to_matrix, random_quaternions

VACUUM, CARBON, AMORPHOUS_ICE, CRYSTALLINE_ICE = 0, 1, 2, 3
MATERIALS = ("vacuum", "carbon", "amorphous-ice", "crystalline-ice")
LABELS = ("carbon", "amorphous-ice", "crystalline-ice", "mixed", "vacuum")
#: Approximate total (elastic + inelastic) mean free paths at 200–300 kV, metres, for the
#: direct-beam attenuation only (amorphous carbon ≈ 150 nm, vitreous ice ≈ 300 nm).
MEAN_FREE_PATH_M = {CARBON: 150e-9, AMORPHOUS_ICE: 300e-9, CRYSTALLINE_ICE: 300e-9}
MAX_CRYSTALS = 64  # crystals hit are stored as a 64-bit mask per frame


@dataclass
class Crystal:
    crystal_id: int
    ice_type: str
    orientation_wxyz: np.ndarray
    centre_m: np.ndarray
    radius_m: float
    thickness_m: float


@dataclass
class GridMap:
    """Material codes, thickness (m) and crystal ids on a square grid of ``pixel_m`` cells whose
    cell (0, 0) centre sits at ``origin_m`` (x, y)."""

    material: np.ndarray
    thickness_m: np.ndarray
    crystal_id: np.ndarray
    pixel_m: float
    origin_m: np.ndarray
    crystals: list = field(default_factory=list)

    def image_mode(self) -> np.ndarray:
        """Bright-field image-mode map: transmitted fraction exp(−t / Λ) of each cell."""
        mfp = np.full(self.material.shape, np.inf)
        for code, lam in MEAN_FREE_PATH_M.items():
            mfp[self.material == code] = lam
        return np.exp(-self.thickness_m / mfp).astype(np.float32)


def beam_kernel(scan, pixel_m: float) -> np.ndarray:
    """Normalised beam weights on map cells, (2h+1)² around the beam centre."""
    if scan.profile == "gaussian":
        sigma = scan.beam_size_m / 2.354820045
        h = int(math.ceil(3.5 * sigma / pixel_m))
    else:
        h = int(math.ceil(scan.beam_size_m / 2 / pixel_m)) + 1
    y, x = (np.mgrid[-h:h + 1, -h:h + 1] * pixel_m)
    if scan.profile == "gaussian":
        w = np.exp(-0.5 * (x * x + y * y) / sigma**2)
    else:
        w = (np.hypot(x, y) <= scan.beam_size_m / 2).astype(float)
    return w / w.sum()


def scan_positions_m(scan) -> np.ndarray:
    """(n, 2) beam positions (x, y) in metres, raster order (row i, then column j), centred on 0."""
    i, j = np.divmod(np.arange(scan.nx * scan.ny), scan.nx)
    x = (j - (scan.nx - 1) / 2) * scan.step_m
    y = (i - (scan.ny - 1) / 2) * scan.step_m
    return np.stack([x, y], axis=1)


def grid_map(grid, scan, rng: np.random.Generator) -> GridMap:
    """Draw a grid map covering the scan plus the beam's reach."""
    p = grid.map_pixel_m
    half_x = (scan.nx - 1) / 2 * scan.step_m + 2 * scan.beam_size_m
    half_y = (scan.ny - 1) / 2 * scan.step_m + 2 * scan.beam_size_m
    nx, ny = int(math.ceil(2 * half_x / p)) + 1, int(math.ceil(2 * half_y / p)) + 1
    origin = np.array([-(nx - 1) / 2 * p, -(ny - 1) / 2 * p])
    xs = origin[0] + np.arange(nx) * p
    ys = origin[1] + np.arange(ny) * p
    X, Y = np.meshgrid(xs, ys)
    material = np.full((ny, nx), CARBON, dtype=np.uint8)
    thickness = np.full((ny, nx), grid.carbon_thickness_m, dtype=np.float32)
    crystal_id = np.full((ny, nx), -1, dtype=np.int16)
    h = grid.holes
    holes = []
    for _ in range(int(rng.integers(h.count[0], h.count[1] + 1))):
        radius = rng.uniform(*h.radius_m)
        c = rng.uniform([-half_x, -half_y], [half_x, half_y])
        t0 = rng.uniform(*h.ice_thickness_m)
        rho = np.hypot(X - c[0], Y - c[1])
        inside = rho < radius
        material[inside] = AMORPHOUS_ICE
        thickness[inside] = (t0 * (1.0 + h.meniscus * (rho[inside] / radius) ** 4)).astype(np.float32)
        holes.append((c, radius))
    if holes and rng.random() < grid.broken_probability:
        c, radius = holes[int(rng.integers(len(holes)))]
        r_b = rng.uniform(*grid.broken_radius_m)
        ang, dist = rng.uniform(0, 2 * math.pi), rng.uniform(0, max(radius - r_b, 0.0))
        bc = c + dist * np.array([math.cos(ang), math.sin(ang)])
        # an irregular patch: a disc with a wobbly edge
        phi = np.arctan2(Y - bc[1], X - bc[0])
        edge = r_b * (1 + 0.25 * np.sin(3 * phi + rng.uniform(0, 6.3)) + 0.15 * np.sin(5 * phi + rng.uniform(0, 6.3)))
        broken = (np.hypot(X - bc[0], Y - bc[1]) < edge) & (material == AMORPHOUS_ICE)
        material[broken] = VACUUM
        thickness[broken] = 0.0
    cc = grid.crystals
    n_cryst = min(int(rng.poisson(cc.mean_count)), MAX_CRYSTALS)
    types = list(cc.types)
    probs = np.array([cc.types[t] for t in types], dtype=float)
    crystals = []
    quats = random_quaternions(n_cryst, rng) if n_cryst else np.zeros((0, 4))
    for k in range(n_cryst):
        c = rng.uniform([-half_x, -half_y], [half_x, half_y])
        radius = rng.uniform(*cc.radius_m)
        t = rng.uniform(*cc.thickness_m)
        ice_type = types[int(rng.choice(len(types), p=probs / probs.sum()))]
        inside = np.hypot(X - c[0], Y - c[1]) < radius
        material[inside] = CRYSTALLINE_ICE
        thickness[inside] = t
        crystal_id[inside] = k
        crystals.append(Crystal(k, ice_type, quats[k], c, radius, t))
    return GridMap(material, thickness, crystal_id, p, origin, crystals)


@dataclass
class Footprints:
    """Per frame: fractions (n, 4) of vacuum/carbon/amorphous/crystalline ice, Σ w t per material
    (n, 4) in metres, Σ w t per crystal (n, n_crystals), mean amorphous-ice thickness (n,)."""

    fractions: np.ndarray
    weighted_thickness_m: np.ndarray
    crystal_thickness_m: np.ndarray
    ice_thickness_m: np.ndarray


def footprints(gmap: GridMap, positions_m: np.ndarray, kernel: np.ndarray) -> Footprints:
    """Beam-weighted material content under each beam position (exact sums over map cells)."""
    h = kernel.shape[0] // 2
    n = len(positions_m)
    nc = max(len(gmap.crystals), 1)
    frac = np.zeros((n, 4))
    wt = np.zeros((n, 4))
    cryst = np.zeros((n, nc))
    kw = kernel.ravel()
    for f, (x, y) in enumerate(positions_m):
        cx = int(round((x - gmap.origin_m[0]) / gmap.pixel_m))
        cy = int(round((y - gmap.origin_m[1]) / gmap.pixel_m))
        sl = (slice(cy - h, cy + h + 1), slice(cx - h, cx + h + 1))
        m = gmap.material[sl].ravel()
        t = gmap.thickness_m[sl].ravel().astype(float)
        frac[f] = np.bincount(m, weights=kw, minlength=4)
        wt[f] = np.bincount(m, weights=kw * t, minlength=4)
        cid = gmap.crystal_id[sl].ravel()
        if (cid >= 0).any():
            sel = cid >= 0
            cryst[f] = np.bincount(cid[sel], weights=(kw * t)[sel], minlength=nc)[:nc]
    with np.errstate(invalid="ignore", divide="ignore"):
        ice_t = np.where(frac[:, AMORPHOUS_ICE] > 0, wt[:, AMORPHOUS_ICE] / frac[:, AMORPHOUS_ICE], 0.0)
    return Footprints(frac, wt, cryst[:, :len(gmap.crystals)], ice_t)


def label_frames(fractions: np.ndarray, majority: float = 0.9, crystalline_min_fraction: float = 0.05) -> np.ndarray:
    """The footprint rule (module docstring) → label strings, shape (n,)."""
    f = np.asarray(fractions, dtype=float)
    out = np.full(len(f), "mixed", dtype=object)
    for code, name in ((CARBON, "carbon"), (AMORPHOUS_ICE, "amorphous-ice"), (VACUUM, "vacuum")):
        out[f[:, code] >= majority] = name
    out[f[:, CRYSTALLINE_ICE] >= crystalline_min_fraction] = "crystalline-ice"
    return out.astype(str)


def drift_walk(n: int, sd_px: float, correlation_frames: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 2) stationary AR(1) offsets: x_t = ρ x_{t−1} + √(1−ρ²) ε_t, ρ = exp(−1/corr), sd ``sd_px``."""
    rho = math.exp(-1.0 / correlation_frames)
    eps = rng.standard_normal((n, 2))
    out = np.empty((n, 2))
    out[0] = eps[0]
    a = math.sqrt(1.0 - rho * rho)
    for t in range(1, n):
        out[t] = rho * out[t - 1] + a * eps[t]
    return out * sd_px


def session_schedule(sessions: dict) -> list[str]:
    """Scan k belongs to ``schedule[k % len(schedule)]``: each session's ``scans`` in turn."""
    out = []
    for name, s in sessions.items():
        out += [name] * s.scans
    return out


def crystal_rotation(c: Crystal) -> np.ndarray:
    return quaternion_to_matrix(np.asarray(c.orientation_wxyz)[None])[0]

"""A flat pixel detector perpendicular to the beam, and the per-pixel physics of it.

Geometry (docs/conventions.md): the sample is at the origin, the beam travels along +z, the detector
plane is at z = ``distance_m``. Arrays are indexed ``[y, x]`` with x fastest. Pixel (ix, iy) has its
centre at ``x = (ix - cx) * pixel_size_m``, ``y = (iy - cy) * pixel_size_m``, where
``(cx, cy) = beam_center_xy_px`` is where the direct beam crosses the plane, in (fractional) pixel
coordinates of pixel centres. The array shape is fixed by ``nx, ny``: panel gaps and dead panels are
masked, never removed.

The mask is a CXI 1.6 bit field (docs/conventions.md): 0 is a good pixel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from diffbench.geometry.beam import Beam

# CXI 1.6 mask bits (cxi_file_format, "mask" of the Detector class).
MASK_INVALID = 0x1
MASK_SATURATED = 0x2
MASK_HOT = 0x4
MASK_DEAD = 0x8
MASK_SHADOWED = 0x10
MASK_BAD = 0x80
MASK_MISSING = 0x200
MASK_NOISY = 0x400
#: diffbench's own high bit: outside the analysis region (e.g. beyond 1.8° for paper 001).
MASK_OUTSIDE_REGION = 0x10000
#: Bits that mean "no photons are recorded here": such pixels always store 0.
MASK_NO_SIGNAL = MASK_INVALID | MASK_DEAD | MASK_SHADOWED | MASK_MISSING | MASK_OUTSIDE_REGION

@dataclass(frozen=True)
class Panel:
    """A rectangular sensitive area of the array: pixels ``[y0:y0+ny, x0:x0+nx]``."""

    x0: int
    y0: int
    nx: int
    ny: int
    dead: bool = False


@dataclass(frozen=True)
class Detector:
    """Detector geometry and its static mask.

    Parameters
    ----------
    nx, ny : array size in pixels (x fast, y slow).
    pixel_size_m : square pixel side in metres.
    distance_m : sample-to-detector-plane distance along the beam, metres.
    beam_center_xy_px : (cx, cy) where the beam crosses the plane, in pixel-centre coordinates.
    panels : sensitive rectangles; pixels in none of them are gaps (CXI 'missing'). Empty means the
        whole array is one panel.
    beamstop_radius_m : radius of the central beamstop / hole around the beam centre (CXI
        'shadowed'); 0 for none.
    saturation_photons : counts are clipped at this level (CXI 'saturated' per frame); None for none.
    max_scattering_angle_deg : pixels beyond this 2θ are outside the analysis region; None for none.
    solid_angle : ``"exact"`` (rectangle formula) or ``"centre"`` (p² D / r³ at the true centre).
    """

    nx: int
    ny: int
    pixel_size_m: float
    distance_m: float
    beam_center_xy_px: tuple[float, float]
    panels: tuple[Panel, ...] = ()
    beamstop_radius_m: float = 0.0
    saturation_photons: int | None = None
    max_scattering_angle_deg: float | None = None
    solid_angle: str = "exact"
    name: str = "custom"
    description: str = ""
    _cache: dict = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self):
        for attr in ("nx", "ny"):
            v = getattr(self, attr)
            if not (isinstance(v, (int, np.integer)) and v > 0):
                raise ValueError(f"detector.{attr} must be a positive integer, got {v!r}")
        for attr in ("pixel_size_m", "distance_m"):
            v = getattr(self, attr)
            if not (v > 0 and math.isfinite(v)):
                raise ValueError(f"detector.{attr} must be a finite number > 0, got {v!r}")
        if self.beamstop_radius_m < 0:
            raise ValueError(f"detector.beamstop_radius_m must be >= 0, got {self.beamstop_radius_m!r}")
        if self.solid_angle not in ("exact", "centre"):
            raise ValueError(f"detector.solid_angle must be 'exact' or 'centre', got {self.solid_angle!r}")
        if self.saturation_photons is not None and self.saturation_photons < 1:
            raise ValueError(f"detector.saturation_photons must be >= 1, got {self.saturation_photons!r}")
        for p in self.panels:
            if p.x0 < 0 or p.y0 < 0 or p.x0 + p.nx > self.nx or p.y0 + p.ny > self.ny:
                raise ValueError(f"detector.panels: {p} does not fit in the {self.ny}x{self.nx} array")

    @property
    def shape(self) -> tuple[int, int]:
        return (self.ny, self.nx)

    def pixel_positions_m(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of every pixel centre in metres, each of shape (ny, nx), in the detector plane."""
        cx, cy = self.beam_center_xy_px
        x = (np.arange(self.nx) - cx) * self.pixel_size_m
        y = (np.arange(self.ny) - cy) * self.pixel_size_m
        return np.broadcast_to(x[None, :], self.shape), np.broadcast_to(y[:, None], self.shape)

    def scattering_angle_rad(self) -> np.ndarray:
        """2θ of each pixel centre, shape (ny, nx)."""
        x, y = self.pixel_positions_m()
        return np.arctan2(np.hypot(x, y), self.distance_m)

    def solid_angle_sr(self) -> np.ndarray:
        """Solid angle of each pixel in steradians, shape (ny, nx).

        ``"exact"``: a rectangle [x1, x2]×[y1, y2] in a plane at distance D subtends
        Ω = Σ ± atan(x y / (D √(x² + y² + D²))) over its four corners (signs +, −, −, +).
        ``"centre"``: p² D / r³ at the true pixel centre (error O((p/D)²)).
        """
        key = "solid_angle"
        if key not in self._cache:
            x, y = self.pixel_positions_m()
            d = self.distance_m
            if self.solid_angle == "centre":
                r = np.sqrt(x * x + y * y + d * d)
                omega = self.pixel_size_m**2 * d / r**3
            else:
                h = self.pixel_size_m / 2.0

                def corner(u, v):
                    return np.arctan(u * v / (d * np.sqrt(u * u + v * v + d * d)))

                omega = (
                    corner(x + h, y + h) - corner(x - h, y + h) - corner(x + h, y - h) + corner(x - h, y - h)
                )
            self._cache[key] = np.ascontiguousarray(omega)
        return self._cache[key]

    def mask(self) -> np.ndarray:
        """Static CXI bit-field mask, uint32 of shape (ny, nx); 0 = good pixel."""
        if "mask" in self._cache:
            return self._cache["mask"]
        m = np.zeros(self.shape, dtype=np.uint32)
        if self.panels:
            covered = np.zeros(self.shape, dtype=bool)
            for p in self.panels:
                sl = (slice(p.y0, p.y0 + p.ny), slice(p.x0, p.x0 + p.nx))
                covered[sl] = True
                if p.dead:
                    m[sl] |= MASK_DEAD
            m[~covered] |= MASK_MISSING
        x, y = self.pixel_positions_m()
        if self.beamstop_radius_m > 0:
            m[np.hypot(x, y) <= self.beamstop_radius_m] |= MASK_SHADOWED
        if self.max_scattering_angle_deg is not None:
            m[np.degrees(self.scattering_angle_rad()) > self.max_scattering_angle_deg] |= MASK_OUTSIDE_REGION
        self._cache["mask"] = m
        return m

    def valid(self) -> np.ndarray:
        """Boolean (ny, nx): True where photons are recorded."""
        return (self.mask() & MASK_NO_SIGNAL) == 0

    def q_max_m(self, beam: Beam) -> float:
        """Largest |q| (1/m) over all pixel corners: bounds the reciprocal volume a species needs."""
        cx, cy = self.beam_center_xy_px
        xs = (np.array([-0.5, self.nx - 0.5]) - cx) * self.pixel_size_m
        ys = (np.array([-0.5, self.ny - 0.5]) - cy) * self.pixel_size_m
        r = max(math.hypot(a, b) for a in xs for b in ys)
        two_theta = math.atan2(r, self.distance_m)
        return 2.0 * beam.k_m * math.sin(two_theta / 2.0)

    def subdivided(self, k: int) -> "Detector":
        """The same plane cut into k × k sub-pixels per pixel (pixel k² times smaller, same
        centre of every pixel block): for integrating a pixel over its area. No mask of its own."""
        if k == 1:
            return self
        cx, cy = self.beam_center_xy_px
        return Detector(nx=self.nx * k, ny=self.ny * k, pixel_size_m=self.pixel_size_m / k, distance_m=self.distance_m,
                        beam_center_xy_px=((cx + 0.5) * k - 0.5, (cy + 0.5) * k - 0.5), solid_angle=self.solid_angle,
                        name=f"{self.name}/{k}x{k}")

    def pixel_q_step_m(self, beam: Beam) -> float:
        """|Δq| between neighbouring pixels near the beam centre, 1/m (k p / D)."""
        return beam.k_m * self.pixel_size_m / self.distance_m

    def cxi_geometry(self) -> dict:
        """CXI corner_position (m) and basis_vectors (2×3, m) for this array layout."""
        cx, cy = self.beam_center_xy_px
        p = self.pixel_size_m
        return {
            "corner_position": np.array([-cx * p, -cy * p, self.distance_m]),
            "basis_vectors": np.array([[0.0, p, 0.0], [p, 0.0, 0.0]]),
        }

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "nx": int(self.nx),
            "ny": int(self.ny),
            "pixel_size_m": float(self.pixel_size_m),
            "distance_m": float(self.distance_m),
            "beam_center_xy_px": [float(v) for v in self.beam_center_xy_px],
            "panels": [[p.x0, p.y0, p.nx, p.ny, bool(p.dead)] for p in self.panels],
            "beamstop_radius_m": float(self.beamstop_radius_m),
            "saturation_photons": self.saturation_photons,
            "max_scattering_angle_deg": self.max_scattering_angle_deg,
            "solid_angle": self.solid_angle,
        }


def pixel_major(sub: np.ndarray, k: int) -> np.ndarray:
    """Sub-pixel values (ny·k, nx·k, ...) of :meth:`Detector.subdivided` in pixel-major order
    (ny·nx·k², ...): the k² sub-pixels of each pixel contiguous, pixels in row order."""
    ny, nx = sub.shape[0] // k, sub.shape[1] // k
    rest = sub.shape[2:]
    a = sub.reshape((ny, k, nx, k) + rest)
    a = np.moveaxis(a, 2, 1)  # (ny, nx, k, k, ...)
    return np.ascontiguousarray(a.reshape((ny * nx * k * k,) + rest))


def q_vectors(detector: Detector, beam: Beam) -> np.ndarray:
    """Scattering vectors of the pixel centres on the exact Ewald sphere, 1/m, shape (ny, nx, 3).

    q = k (k̂_out − ẑ), with k = 2π/λ and k̂_out the unit vector from the sample to the pixel,
    so |q| = 4π sin θ / λ with 2θ the scattering angle.
    """
    x, y = detector.pixel_positions_m()
    d = detector.distance_m
    r = np.sqrt(x * x + y * y + d * d)
    k = beam.k_m
    q = np.empty(detector.shape + (3,), dtype=np.float64)
    q[..., 0] = k * x / r
    q[..., 1] = k * y / r
    q[..., 2] = k * (d / r - 1.0)
    return q


def polarisation_factor(detector: Detector, beam: Beam) -> np.ndarray:
    """Polarisation factor P of each pixel, shape (ny, nx).

    Linear polarisation along ê: P = 1 − (ê·k̂_out)². Unpolarised: P = (1 + cos² 2θ)/2.
    """
    x, y = detector.pixel_positions_m()
    d = detector.distance_m
    r = np.sqrt(x * x + y * y + d * d)
    e = beam.polarisation_vector
    if e is None:
        cos2t = d / r
        return 0.5 * (1.0 + cos2t * cos2t)
    proj = (e[0] * x + e[1] * y) / r
    return 1.0 - proj * proj

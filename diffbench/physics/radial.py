"""Radial tables: expected counts per pixel as a function of the distance r (pixels) from the beam
centre, for azimuthally symmetric scatterers (powder rings, amorphous halos) on a flat detector.

A table value is dσ/dΩ(q(r)) · dΩ(r) per unit amount of material; multiplied by (incident particles
per m² × amount) it gives expected counts. dΩ(r) = p² L / (L² + r²)^{3/2} is the solid angle of a
pixel at the true pixel centre (error O((p/L)²)); the pixel's own extent in q is folded into narrow
rings as a Gaussian of variance Δq_pix²/12 (a box of width Δq_pix has that variance), so that a ring
narrower than a pixel still deposits its total cross-section.
"""

from __future__ import annotations

import math

import numpy as np

from diffbench.physics.rings import (
    AmorphousMaterial,
    Radiation,
    powder_cross_section_per_m3,
)

#: Radial step of the tables, pixels (linear interpolation error ≪ 1 % for rings ≥ 1 px wide).
DR_PX = 0.25


def radial_grid(detector, margin_px: float = 64.0) -> np.ndarray:
    """Radii (pixels) from 0 to the farthest corner from any beam centre within ``margin_px``."""
    r_max = math.hypot(detector.nx, detector.ny) + margin_px
    return np.arange(0.0, r_max + 2 * DR_PX, DR_PX)


def solid_angle_at(r_px, detector) -> np.ndarray:
    p, L = detector.pixel_size_m, detector.distance_m
    r = np.asarray(r_px) * p
    return p * p * L / (L * L + r * r) ** 1.5


def q_at(r_px, detector, wavelength_m: float) -> np.ndarray:
    """|q| (1/m) at r pixels from the beam centre."""
    two_theta = np.arctan2(np.asarray(r_px) * detector.pixel_size_m, detector.distance_m)
    return 4.0 * math.pi * np.sin(two_theta / 2.0) / wavelength_m


def pixel_dq(r_px, detector, wavelength_m: float) -> np.ndarray:
    """Radial extent of one pixel in |q| at r: dq/dr · p = k cos θ L p / (L² + r²) (1/m)."""
    p, L = detector.pixel_size_m, detector.distance_m
    r = np.asarray(r_px) * p
    theta = np.arctan2(r, L) / 2.0
    return 2.0 * math.pi / wavelength_m * np.cos(theta) * L * p / (L * L + r * r)


def powder_table(detector, radiation: Radiation, phase_weights: dict, sigma_q_m: float, r_px,
                 d_min_m: float = 0.9e-10) -> np.ndarray:
    """Counts per pixel per (incident particle/m² × m³ of ice powder) at radii ``r_px``."""
    q = q_at(r_px, detector, radiation.wavelength_m)
    sig = np.sqrt(sigma_q_m**2 + pixel_dq(r_px, detector, radiation.wavelength_m) ** 2 / 12.0)
    out = np.zeros_like(q)
    for phase, w in phase_weights.items():
        if w > 0:
            out += w * powder_cross_section_per_m3(q, phase, radiation, sig, d_min_m=d_min_m)
    return out * solid_angle_at(r_px, detector)


def amorphous_table(detector, radiation: Radiation, material: AmorphousMaterial, r_px) -> np.ndarray:
    """Counts per pixel per (incident particle/m² × formula unit) at radii ``r_px``."""
    q = q_at(r_px, detector, radiation.wavelength_m)
    return material.cross_section_per_unit(q, radiation) * solid_angle_at(r_px, detector)


def spot_pixel(q_m, detector, radiation: Radiation, centre_xy_px) -> tuple[float, float]:
    """Detector position (x, y pixels) where scattering vector q lands: along k ẑ + q."""
    k = radiation.k_m
    kx, ky, kz = q_m[0], q_m[1], q_m[2] + k
    if kz <= 0:
        return math.nan, math.nan
    L, p = detector.distance_m, detector.pixel_size_m
    return centre_xy_px[0] + L * kx / kz / p, centre_xy_px[1] + L * ky / kz / p


def spot_sigma_px(sigma_q_m: float, detector, radiation: Radiation) -> float:
    """Spot width on the detector (pixels): σ_q L / (k p) near the axis, with a pixel's own 1/√12."""
    s = sigma_q_m * detector.distance_m / (radiation.k_m * detector.pixel_size_m)
    return math.sqrt(s * s + 1.0 / 12.0)

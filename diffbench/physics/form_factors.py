"""Closed-form shape amplitudes (pure numpy). Used directly for spheres and cubes, and as the
analytic reference the volume route is tested against.

Convention: F(q) = ∫ ρ(r) e^{i q·r} d³r. These functions return the *shape* integral
∫_shape e^{i q·r} d³r in m³; multiply by a scattering density (electrons/m³) for electrons.
"""

from __future__ import annotations

import numpy as np


def sphere_amplitude(q_m, radius_m: float) -> np.ndarray:
    """Shape amplitude of a homogeneous sphere, m³: V · 3[sin x − x cos x]/x³ with x = |q| R.

    ``q_m`` is |q| in 1/m (any shape). A 6th-order series is used for x < 1e-2, where the closed
    form loses digits to cancellation (the series error there is < x⁶/15120 < 1e-16).
    """
    q = np.asarray(q_m, dtype=np.float64)
    x = q * radius_m
    volume = 4.0 / 3.0 * np.pi * radius_m**3
    small = np.abs(x) < 1e-2
    xs = np.where(small, 1.0, x)
    closed = 3.0 * (np.sin(xs) - xs * np.cos(xs)) / xs**3
    x2 = x * x
    series = 1.0 - x2 / 10.0 + x2 * x2 / 280.0
    return volume * np.where(small, series, closed)


def _sinc(x):
    """sin(x)/x (unnormalised)."""
    return np.sinc(np.asarray(x) / np.pi)


def cube_amplitude(q_particle_m, edge_m: float) -> np.ndarray:
    """Shape amplitude of a cube of edge a with faces normal to the particle axes, m³.

    a³ sinc(q_x a/2) sinc(q_y a/2) sinc(q_z a/2), q in the particle frame (last axis = x, y, z).
    """
    q = np.asarray(q_particle_m, dtype=np.float64)
    h = edge_m / 2.0
    return edge_m**3 * _sinc(q[..., 0] * h) * _sinc(q[..., 1] * h) * _sinc(q[..., 2] * h)


def sphere_radius_of_gyration(radius_m: float) -> float:
    """R_g = √(3/5) R (used by the Guinier test)."""
    return np.sqrt(3.0 / 5.0) * radius_m

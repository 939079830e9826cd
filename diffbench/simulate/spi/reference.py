"""Plain-numpy reference of the rendering kernel (expected photons, no noise).

Independent of :mod:`diffbench.simulate.spi.kernels`: volumes are interpolated with
``scipy.ndimage.map_coordinates`` (order 1, or order 3 without prefilter for B-spline coefficients), analytic shapes use :mod:`form_factors`. Slow; for
tests only.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates

from diffbench.physics.form_factors import cube_amplitude, sphere_amplitude
from diffbench.simulate.spi.kernels_api import KIND_CUBE, KIND_SPHERE


def amplitude(p: np.ndarray, kind: int, size: float, volume) -> np.ndarray:
    """Complex amplitude of one table entry at particle-frame q ``p`` (npix, 3)."""
    if kind == KIND_SPHERE:
        return sphere_amplitude(np.linalg.norm(p, axis=1), size / 2).astype(complex)
    if kind == KIND_CUBE:
        return cube_amplitude(p, size).astype(complex)
    n = volume.data.shape[0]
    if volume.interpolation == "bspline3":
        # the data are cubic B-spline coefficients: map_coordinates(order=3, prefilter=False)
        # evaluates exactly Σ_j β₃(u − j) G_j
        u = np.abs(p) / volume.dq_m + 1 if volume.fold else p / volume.dq_m + (n - 1) / 2
        coords = u[:, ::-1].T
        inside = np.all((u >= 1) & (u < n - 2), axis=1)
        data = np.asarray(volume.data, dtype=np.float64)
        re = map_coordinates(data[..., 0], coords, order=3, prefilter=False, mode="constant")
        im = map_coordinates(data[..., 1], coords, order=3, prefilter=False, mode="constant")
        return np.where(inside, re + 1j * im, 0.0)
    if volume.fold:
        u = np.abs(p) / volume.dq_m
    else:
        u = p / volume.dq_m + (n - 1) / 2
    coords = u[:, ::-1].T  # (z, y, x)
    inside = np.all((u >= 0) & (u < n - 1), axis=1)
    data = np.asarray(volume.data, dtype=np.float64)
    re = map_coordinates(data[..., 0], coords, order=1, mode="constant", cval=0.0)
    im = map_coordinates(data[..., 1], coords, order=1, mode="constant") if data.shape[-1] == 2 else 0.0
    return np.where(inside, re + 1j * im, 0.0)


def expected_photons(sim, shot) -> np.ndarray:
    """Expected photons per pixel of one planned shot, (ny, nx), by the numpy route."""
    import math

    from diffbench.geometry.orientation import quaternion_to_matrix

    pixels = sim.pixel_arrays(sim.shot_samples(shot))  # the sub-pixels this shot is rendered on
    q = pixels.qvec
    tab = sim.table
    inten = np.zeros(len(q))
    groups: dict[int, np.ndarray] = {}
    for name, draw, quat, pos, flu, g in shot.particles:
        m = draw.scale * quaternion_to_matrix(quat).T
        p = q @ m.T
        i = draw.table_index
        a = amplitude(p, tab.kind[i], tab.size[i], tab.volumes[i])
        a = a * math.sqrt(flu) * draw.amplitude * np.exp(1j * (q @ pos))
        groups[g] = groups.get(g, 0) + a
    for a in groups.values():
        inten += np.abs(a) ** 2
    scale = shot.pulse_energy_j / sim.beam.pulse_energy_j
    lam = (pixels.factor * inten).reshape(-1, pixels.sub).sum(axis=1) + sim.bg_template * scale
    if sim.rings.active:
        lam = lam + scale * (shot.rings.weights() @ sim.rings.templates)
    lam[~sim.valid] = 0.0
    return lam.reshape(sim.detector.shape)

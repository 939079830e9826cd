"""Sphere-PSD size fit on patterns of known diameter."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.methods.frames import Frames
from diffbench.methods.size_fit import SizeFilter, SphereSizeFit, sphere_psd


def _frames(diameters, noise_photons=None, seed=0):
    n = 96
    y, x = np.mgrid[0:n, 0:n]
    cx = cy = (n - 1) / 2
    q = np.hypot(x - cx, y - cy) * 5e6  # 1/m per pixel (~paper 000's 0.005 nm^-1)
    imgs = np.array([sphere_psd(q, d) for d in diameters])
    if noise_photons:
        imgs = np.random.default_rng(seed).poisson(imgs * noise_photons).astype(float)
    return Frames(imgs, valid=np.ones((n, n), bool), center_xy_px=(cx, cy), q_m=q)


def test_noise_free_spheres_are_sized_to_a_fraction_of_the_grid_step():
    d = np.array([55e-9, 63.3e-9, 70e-9, 84e-9])
    est = SphereSizeFit(step_m=0.5e-9).fit(_frames(d))
    # parabolic refinement on a 0.5 nm grid: within 0.15 nm on exact profiles
    assert_allclose(est.predict(_frames(d)), d, atol=0.15e-9)


def test_noisy_spheres_within_one_nm():
    d = np.array([60e-9, 70e-9, 80e-9])
    f = _frames(d, noise_photons=2e3)
    assert_allclose(SphereSizeFit().fit(f).predict(f), d, atol=1e-9)


def test_size_filter_keeps_the_window():
    d = np.array([45e-9, 60e-9, 80e-9, 95e-9])
    f = _frames(d)
    assert SizeFilter().fit(f).predict(f).tolist() == [0, 1, 1, 0]


def test_size_fit_without_geometry_is_a_clear_error():
    with pytest.raises(ValueError, match="needs the detector geometry"):
        SphereSizeFit().fit(np.zeros((3, 8, 8)))

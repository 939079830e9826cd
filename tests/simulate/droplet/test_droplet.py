"""Droplet frames: classes, liquid halo position, ice modes, determinism."""

import math

import numpy as np
import pytest

from diffbench.physics.rings import ring_radius_m
from diffbench.recipes.catalogue import resolve
from diffbench.simulate.droplet.run import DropletSimulator


def test_liquid_halo_peaks_near_3p1_angstrom():
    recipe, _ = resolve("xfel-droplet-ice-v2", overrides=["classes={liquid: 1}", "noise=false",
                                                          "background={gas_photons: 0, flat_photons_per_pixel: 0}"])
    sim = DropletSimulator(recipe, seed=0)
    frames, t = sim.simulate(range(2))
    det = sim.detector
    yy, xx = np.mgrid[:det.ny, :det.nx]
    r = np.hypot(xx - det.beam_center_xy_px[0], yy - det.beam_center_xy_px[1]).astype(int)
    prof = np.bincount(r.ravel(), frames[0].ravel() / sim.pol.ravel()) / np.maximum(np.bincount(r.ravel()), 1)
    # per pixel the halo peak is pulled in by dΩ ∝ cos³2θ and f² falling; it stays within 10 % of 3.1 Å
    r_peak = (np.argmax(prof[20:250]) + 20) * det.pixel_size_m
    two_theta = math.atan(r_peak / det.distance_m)
    peak_d = sim.beam.wavelength_m / (2 * math.sin(two_theta / 2))
    assert peak_d == pytest.approx(3.1e-10, rel=0.1)


def test_empty_frames_carry_the_recipes_background_and_no_droplet():
    """Empty is a physical class: the gas and stray-light background (the recipe's expectation,
    scaled by each pulse) and its Poisson noise, no halo. Counted photons agree with the expectation
    to 5 sigma; the background is the same on every class of frame."""
    recipe, _ = resolve("xfel-droplet-ice-v2", overrides=["classes={empty: 1}"])
    sim = DropletSimulator(recipe, seed=0)
    frames, t = sim.simulate(range(8))
    assert (t["hit_class"] == b"empty").all() and (frames.reshape(8, -1).sum(axis=1) > 0).all()
    bg = recipe.background
    valid = sim.detector.valid().sum()
    nominal = bg.gas_photons + bg.flat_photons_per_pixel * valid
    scale = t["pulse_energy_j"] / sim.beam.pulse_energy_j
    np.testing.assert_allclose(t["background_expected_photons"], nominal * scale, rtol=1e-9)
    np.testing.assert_allclose(t["expected_photons_total"], t["background_expected_photons"], rtol=1e-9)
    assert (np.abs(t["photons_total"] - t["expected_photons_total"]) < 5 * np.sqrt(t["expected_photons_total"])).all()
    liquid, _ = resolve("xfel-droplet-ice-v2", overrides=["classes={liquid: 1}"])
    _, tl = DropletSimulator(liquid, seed=0).simulate(range(2))
    assert (tl["background_expected_photons"] > 0).all()
    assert (tl["expected_photons_total"] > tl["background_expected_photons"]).all()


def test_ice_frames_have_smooth_or_spotty_rings_by_crystallite_count():
    recipe, _ = resolve("xfel-droplet-ice-v2", overrides=["classes={ice: 1}", "crystallites=[5000, 5000]"])
    _, t = DropletSimulator(recipe, seed=1).simulate(range(2))
    assert (t["ring_mode"] == b"smooth").all() and t["is_ice"].all()
    recipe, _ = resolve("xfel-droplet-ice-v2", overrides=["classes={ice: 1}", "crystallites=[50, 50]",
                                                         "diameter_m=[5e-6, 5e-6]", "residual_liquid=[0, 0]"])
    _, t = DropletSimulator(recipe, seed=1).simulate(range(2))
    assert (t["ring_mode"] == b"spotty").all() and (t["n_spots"] > 0).all()


def test_frames_depend_only_on_seed_and_index():
    recipe, _ = resolve("xfel-droplet-ice-v2")
    a, ta = DropletSimulator(recipe, seed=3).simulate(range(4, 8))
    b, tb = DropletSimulator(recipe, seed=3).simulate([6])
    assert np.array_equal(a[2], b[0]) and ta[2].tobytes() == tb[0].tobytes()


def test_ice_lines_fall_on_the_wide_detector():
    recipe, _ = resolve("xfel-droplet-ice-v2")
    det = DropletSimulator(recipe).detector
    lam = 12398.42 / 8000 * 1e-10
    assert ring_radius_m(3.897e-10, lam, det.distance_m) / det.pixel_size_m < det.nx / 2

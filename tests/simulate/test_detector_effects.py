"""Detector effects: off by default (bit-identical frames), and when on, each does what it says,
measured on generated frames, with the maps in the truth."""

import h5py
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from diffbench.io.readers import open_any
from diffbench.simulate.driver import simulate_to_file

SMALL = ["detector.preset=square-64", "hits.classes={single: 1}"]


def _frames(tmp_path, name, extra, n=40, seed=3):
    p = simulate_to_file("sphere-calibration-v2", n, tmp_path / f"{name}.cxi", seed=seed, overrides=SMALL + extra,
                         progress=False)
    with open_any(p) as d:
        return np.asarray(d.patterns[:]), {k: np.asarray(v) for k, v in d.truth.items()}, p


def test_effects_do_what_they_say(tmp_path):
    clean, t0, _ = _frames(tmp_path, "clean", [])
    assert clean.dtype == np.uint16
    sigma = 0.3
    noisy, t1, path = _frames(tmp_path, "fx", [
        "detector_effects={gain_sigma: 0.02, readout_noise_photons: 0.3, dead_fraction: 0.01, hot_fraction: 0.005}"])
    assert noisy.dtype == np.float32
    # the truth keeps the photons that arrived: the same as without effects
    assert_array_equal(t1["photons_total"], t0["photons_total"])
    with h5py.File(path, "r") as f:
        g = f["/entry_1/sample_1/truth/detector_effects"]
        gain, dead, hot = g["gain"][()], g["dead"][()], g["hot"][()]
        assert g.attrs["readout_noise_photons"] == sigma
    assert abs(dead.mean() - 0.01) < 0.005 and abs(hot.mean() - 0.005) < 0.004  # 4096 pixels: ±2.5 sigma
    assert (noisy[:, dead] == 0).all()
    live = ~dead & ~hot
    residual = (noisy - clean * gain)[:, live]
    # readout noise: Gaussian of the stated rms (40 × ~4000 pixels: the rms within 1 %)
    assert abs(residual.std() / sigma - 1) < 0.01 and abs(residual.mean()) < 0.01
    assert abs(gain.std() - 0.02) < 0.003
    assert abs((noisy - clean * gain)[:, hot].mean() - 50.0) < 0.1


def test_adu_conversion_and_determinism(tmp_path):
    fx = "detector_effects={readout_noise_photons: 0.1, adu_per_photon: 12.5}"
    a, _, _ = _frames(tmp_path, "a", [fx])
    b, _, _ = _frames(tmp_path, "b", [fx])
    clean, _, _ = _frames(tmp_path, "clean", [])
    assert a.dtype == np.int32 and np.array_equal(a, b)  # the same seed, the same frames
    assert np.abs(a / 12.5 - clean).mean() == pytest.approx(0.1 * np.sqrt(2 / np.pi), rel=0.05)


def test_effects_do_not_depend_on_how_the_work_is_split(tmp_path):
    fx = ["detector_effects={gain_sigma: 0.05, readout_noise_photons: 0.2}"]
    one = simulate_to_file("sphere-calibration-v2", 12, tmp_path / "one.cxi", seed=5, overrides=SMALL + fx,
                           progress=False, batch_size=5)
    two = simulate_to_file("sphere-calibration-v2", 12, tmp_path / "two.cxi", seed=5, overrides=SMALL + fx,
                           progress=False, workers=2)
    with open_any(one) as d1, open_any(two) as d2:
        assert_array_equal(d1.patterns[:], d2.patterns[:])

"""ED scans: footprint fractions, the label rule, determinism, truth in the file, bad input."""

import h5py
import hdf5plugin  # noqa: F401
import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.recipes.catalogue import RecipeError, resolve
from diffbench.simulate.driver import simulate_to_file
from diffbench.simulate.ed import scan as eds
from diffbench.simulate.ed.run import EDScanSimulator

SMALL = ["scan.nx=8", "scan.ny=6"]


def test_footprint_fractions_sum_to_one_and_follow_the_map():
    recipe, _ = resolve("ed-holey-carbon-v1", overrides=SMALL)
    gmap = eds.grid_map(recipe.grid, recipe.scan, np.random.default_rng(4))
    fp = eds.footprints(gmap, eds.scan_positions_m(recipe.scan), eds.beam_kernel(recipe.scan, gmap.pixel_m))
    assert_allclose(fp.fractions.sum(axis=1), 1.0, rtol=1e-12)
    # a constructed map: left half carbon, right half ice; beam on the boundary → half/half
    m = eds.GridMap(np.ones((101, 101), np.uint8), np.full((101, 101), 10e-9, np.float32),
                    np.full((101, 101), -1, np.int16), 3e-9, np.array([-150e-9, -150e-9]))
    m.material[:, 51:] = eds.AMORPHOUS_ICE
    m.material[:, 50] = eds.CARBON  # the boundary column (the beam's centre) is carbon
    k = eds.beam_kernel(recipe.scan, 3e-9)
    f = eds.footprints(m, np.array([[0.0, 0.0], [-120e-9 + 60e-9, 0.0]]), k).fractions
    col = k.sum(axis=0)
    h = len(col) // 2
    assert f[0, eds.CARBON] == pytest.approx(col[:h + 1].sum(), rel=1e-12)
    assert f[1, eds.CARBON] > 0.99


def test_label_rule_on_constructed_fractions():
    fr = np.array([
        [0.0, 0.95, 0.05, 0.0],   # carbon
        [0.0, 0.05, 0.95, 0.0],   # amorphous ice
        [0.0, 0.5, 0.44, 0.06],   # crystal above 5 % wins
        [0.0, 0.6, 0.4, 0.0],     # mixed
        [0.92, 0.08, 0.0, 0.0],   # vacuum (broken patch)
        [0.0, 0.9, 0.1, 0.0],     # exactly at the majority threshold: carbon
    ])
    assert list(eds.label_frames(fr)) == ["carbon", "amorphous-ice", "crystalline-ice", "mixed", "vacuum", "carbon"]


def test_drift_is_correlated_with_the_requested_sd():
    d = eds.drift_walk(20000, 3.0, 50.0, np.random.default_rng(0))
    assert d.std() == pytest.approx(3.0, rel=0.1)
    lag1 = np.corrcoef(d[1:, 0], d[:-1, 0])[0, 1]
    assert lag1 == pytest.approx(np.exp(-1 / 50), abs=0.01)


def test_scan_depends_only_on_seed_and_index():
    recipe, _ = resolve("ed-holey-carbon-v1", overrides=SMALL)
    a = EDScanSimulator(recipe, seed=5)
    b = EDScanSimulator(recipe, seed=5)
    f2a, t2a, *_ = a.scan(2)
    b.scan(0)
    f2b, t2b, *_ = b.scan(2)
    assert np.array_equal(f2a, f2b) and t2a.tobytes() == t2b.tobytes()
    f3, *_ = a.scan(3)
    assert not np.array_equal(f2a, f3)


def test_scan_file_carries_truth_and_maps(tmp_path):
    out = simulate_to_file("ed-holey-carbon-v1", 2, tmp_path / "ed.cxi", seed=1, overrides=SMALL, progress=False)
    with h5py.File(out) as f:
        data = f["/entry_1/data_1/data"]
        t = f["/entry_1/sample_1/truth"]
        assert data.shape == (96, 512, 512) and data.dtype == np.uint16
        assert set(t["label"][()].astype(str)) <= set(eds.LABELS)
        fr = np.stack([t[k][()] for k in ("frac_vacuum", "frac_carbon", "frac_amorphous_ice", "frac_crystalline_ice")], 1)
        assert_allclose(fr.sum(axis=1), 1.0, rtol=1e-12)
        assert list(t["scan_index"][()]) == [0] * 48 + [1] * 48
        assert t["scan_maps/material"].shape[0] == 2
        counts = data[()].reshape(96, -1).sum(axis=1)
        assert np.array_equal(counts, t["counts_total"][()])
        # the direct beam saturates the 12-bit counters at 2 e/Å² (≈ 4.8e5 electrons in 55 nm)
        assert data[()].max() == 4095


def test_same_session_scans_share_camera_length_shifted_differs():
    recipe, _ = resolve("ed-holey-carbon-v1", overrides=SMALL)
    sim = EDScanSimulator(recipe, seed=0)
    t15 = sim.scan(15)[1]
    t16 = sim.scan(16)[1]
    assert t15["session"][0] == b"reference" and t16["session"][0] == b"shifted"
    assert t16["camera_length_m"][0] == pytest.approx(0.918)


def test_bad_ed_recipe_values_name_the_field():
    with pytest.raises(RecipeError, match=r"scan.step_m"):
        resolve("ed-holey-carbon-v1", overrides=["scan.step_m=-1"])
    with pytest.raises(RecipeError, match=r"grid.holes: .*radius_m must be \[low, high\]"):
        resolve("ed-holey-carbon-v1", overrides=["grid.holes.radius_m=[5e-7, 1e-7]"])

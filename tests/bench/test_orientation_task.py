"""The orientation task's scorer and controls on simulated GroEL singles: the truth scores 0°, a
symmetry-equivalent answer too, random orientations score chance, and the structure the true
orientations build correlates with the true volume where random ones do not."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def groel(tmp_path_factory):
    from diffbench.simulate.driver import simulate_to_file

    path = tmp_path_factory.mktemp("orient") / "groel.cxi"
    simulate_to_file("chaperonin-80-v6", 150, path, seed=5, progress=False,
                     overrides=["detector.preset=pnccd-amo86615-bin8", "hits.classes={single: 1.0}",
                                "beam.pulse_energy_j=3.0e-3"])
    return path


def _score(path, pred_fn):
    from diffbench.bench.datasets import target_values
    from diffbench.bench.scoring import score_predictions
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.frames import as_frames

    metrics = ["orientation_median_deg", "orientation_p90_deg", "shell_correlation", "resolution_nm"]
    with open_dataset(path) as ds:
        y = target_values(ds, "orientation")
        return score_predictions(None, as_frames(ds), y, pred_fn(y), metrics,
                                 options={"grid_radius": 14, "r_max_px": 28})


def test_true_and_symmetry_equivalent_orientations_score_zero_and_build_the_structure(groel):
    from diffbench.geometry.orientation import quaternion_multiply
    from diffbench.geometry.symmetry import point_group

    truth = _score(groel, lambda y: y)
    assert truth["orientation_median_deg"] < 1e-3 and truth["orientation_p90_deg"] < 1e-3
    # R g for a D7 element g, on every frame a different one: the same patterns, the same answer
    g = point_group("D7")
    k = np.arange(150) % len(g)
    equivalent = _score(groel, lambda y: quaternion_multiply(y, g[k]))
    assert equivalent["orientation_median_deg"] < 1e-3
    # 150 frames at their true orientations build the anisotropic structure (measured 0.6-0.7)
    assert truth["shell_correlation"] > 0.45, truth["shell_correlation"]
    assert np.isfinite(truth["resolution_nm"]) and truth["resolution_nm"] < 4.0


def test_random_orientations_score_chance(groel):
    """D7 with Friedel leaves 1/28 of SO(3) distinct: the median error of uniform random
    orientations is about 46 deg (measured on 10^5 draws: 46.5), and they build no structure."""
    from diffbench.bench.controls import RandomControl

    rand = _score(groel, lambda y: RandomControl(kind="orientation", random_state=1).fit(None, y).predict(y))
    assert 38 < rand["orientation_median_deg"] < 55
    truth = _score(groel, lambda y: y)
    assert rand["shell_correlation"] < 0.5 * truth["shell_correlation"]
    assert rand["resolution_nm"] > 2 * truth["resolution_nm"]


def test_orientation_controls_and_no_photon_count_rule():
    from diffbench.bench.controls import PrevalenceControl, controls_for

    assert controls_for("orientation", True) == ["prevalence", "random"]
    q = PrevalenceControl(kind="orientation").fit(None, np.zeros((5, 4))).predict(np.zeros((5, 4)))
    assert q.shape == (5, 4) and np.all(q == [1, 0, 0, 0])


def test_the_orientation_target_refuses_patterns_of_several_particles(tmp_path):
    from diffbench.bench.datasets import target_values
    from diffbench.io.cxi import open_dataset
    from diffbench.simulate.driver import simulate_to_file

    path = tmp_path / "mix.cxi"
    simulate_to_file("chaperonin-80-v6", 20, path, seed=1, progress=False,
                     overrides=["detector.preset=pnccd-amo86615-bin8", "hits.classes={multiple: 1.0}"])
    with open_dataset(path) as ds, pytest.raises(ValueError, match="particles: orientations are scored on single"):
        target_values(ds, "orientation")


def test_a_selection_is_scored_by_the_structure_emc_builds_from_it(groel):
    """All 150 singles through a short EMC: finite scores, orientations better than chance; a
    selection of fewer than MIN_FRAMES frames builds nothing (nan), and says how many it had."""
    from diffbench.bench.downstream import MIN_FRAMES, structure_of_selection
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.frames import as_frames

    params = {"grid_radius": 14, "r_max_px": 28, "num_div": 4, "n_iter": 8, "beta_jump": 2.0, "beta_period": 2}
    with open_dataset(groel) as ds:
        frames = as_frames(ds)
        out = structure_of_selection(frames, np.ones(150, bool), params)
        few = structure_of_selection(frames, np.arange(150) < MIN_FRAMES - 1, params)
    assert out["structure_n_frames"] == 150 and out["structure_n_singles"] == 150
    assert out["structure_orientation_median_deg"] < 35  # chance: 46 deg (D7, Friedel)
    assert 0.2 < out["structure_shell_correlation"] <= 1 and np.isfinite(out["structure_resolution_nm"])
    assert few["structure_n_frames"] == MIN_FRAMES - 1 and np.isnan(few["structure_shell_correlation"])


def test_the_truth_selection_oracle_answers_only_the_frames_it_was_fitted_on(groel):
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.frames import as_frames
    from diffbench.methods.truth_selection import TruthSelection

    y = np.arange(150) % 3 == 0
    with open_dataset(groel) as ds:
        frames = as_frames(ds)
        est = TruthSelection().fit(frames, y)
        assert np.array_equal(est.predict(frames), y.astype(int))
        with pytest.raises(ValueError, match="answers only the frames it was fitted on"):
            est.predict(frames.take(np.arange(10)))

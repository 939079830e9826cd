"""The orientation task's scorer and controls on simulated GroEL singles: the truth scores 0°, a
symmetry-equivalent answer too, random orientations score chance, and the structure the true
orientations build correlates with the true volume where random ones do not."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def groel(tmp_path_factory):
    from diffbench.simulate.driver import simulate_to_file

    path = tmp_path_factory.mktemp("orient") / "groel.cxi"
    simulate_to_file("chaperonin-80-v7", 150, path, seed=5, progress=False,
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
    simulate_to_file("chaperonin-80-v7", 20, path, seed=1, progress=False,
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


@pytest.fixture(scope="module")
def pr772_mix(tmp_path_factory):
    """PR772 singles among lone water droplets and mixed shots (capsid + contaminant)."""
    from diffbench.simulate.driver import simulate_to_file

    path = tmp_path_factory.mktemp("mix") / "pr772.cxi"
    simulate_to_file("pr772-spi-v6", 24, path, seed=2, progress=False,
                     overrides=["detector.preset=square-64",
                                "hits.classes={single: 0.4, contaminant: 0.3, mixed: 0.3}"])
    return path


def test_only_a_lone_particle_of_the_target_species_is_a_single_hit_with_an_orientation(pr772_mix):
    """A lone droplet is one particle but no single hit of the capsid: it has no orientation to
    score, and the structure to build is the capsid's (the recipe's target), not the droplet's."""
    from diffbench.bench.reconstruction import single_species, target_orientations
    from diffbench.io.cxi import open_dataset

    with open_dataset(pr772_mix) as ds:
        q = target_orientations(ds)
        single = np.asarray(ds.truth["is_single_hit"], bool)
        assert 0 < single.sum() < len(single)
        assert np.array_equal(np.isfinite(q[:, 0]), single)
        assert single_species(ds) == ("pr772", "I")


def test_the_typical_particle_of_a_size_distribution_is_its_median():
    """PR772's normal(70, 8) nm truncated to 45-95 nm: the median of 201 draws lies within
    8/sqrt(201)*1.25 ~ 0.7 nm of 70 nm (standard error of a median, 3 sigma -> 2.1 nm)."""
    from diffbench.bench.reconstruction import typical_draw
    from diffbench.recipes.catalogue import resolve
    from diffbench.simulate.spi.engine import Simulator

    recipe, _ = resolve("pr772-spi-v6", None, ["detector.preset=square-64"])
    sim = Simulator(recipe, 0)
    d = typical_draw(sim.species["pr772"])
    assert abs(d.size_m - 70e-9) < 2.1e-9
    assert typical_draw(sim.species["pr772"]).size_m == d.size_m  # deterministic


def test_the_truth_selection_oracle_with_a_field_reads_the_truth_of_any_frames_of_the_file(pr772_mix):
    """A split task fits its oracle on the training frames and asks it about the test frames:
    with ``field`` it answers each frame's own truth from the file, in the frames' order."""
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.frames import as_frames
    from diffbench.methods.truth_selection import TruthSelection

    with open_dataset(pr772_mix) as ds:
        frames = as_frames(ds)
        truth = np.asarray(ds.truth["is_single_hit"], bool)
        test = np.arange(1, 24, 2)
        est = TruthSelection(field="is_single_hit").fit(frames.take(np.arange(0, 24, 2)), truth[::2])
        assert np.array_equal(est.predict(frames.take(test)), truth[test].astype(int))
        # rows of rows: the composition of two takes
        assert np.array_equal(est.predict(frames.take(test).take(np.arange(3, 9))), truth[test[3:9]].astype(int))
        with pytest.raises(ValueError, match="field='nope' is not a truth field"):
            TruthSelection(field="nope").fit(frames, truth).predict(frames)


def test_a_selection_of_a_subset_is_scored_against_that_subset_s_truth(groel):
    """Downstream scoring of a split's test frames: the orientations of frames.take(rows) are the
    file's rows' (scoring them against the first rows of the file would give chance)."""
    from diffbench.bench.downstream import structure_of_selection
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.frames import as_frames

    params = {"grid_radius": 14, "r_max_px": 28, "num_div": 4, "n_iter": 8, "beta_jump": 2.0, "beta_period": 2}
    with open_dataset(groel) as ds:
        sub = as_frames(ds).take(np.arange(40, 150))
        assert np.array_equal(sub.source_rows(), np.arange(40, 150))
        out = structure_of_selection(sub, np.ones(110, bool), params)
    assert out["structure_orientation_median_deg"] < 35  # chance: 46 deg (D7, Friedel)


SPLIT_DOWNSTREAM = """
version: 1
recipes:
  tiny-capsids-v1:
    description: "test"
    detector: {preset: square-64}
    beam: {photon_energy_ev: 1700, pulse_energy_j: 2.0e-4, focus_diameter_m: 1.5e-6}
    species:
      capsid: {shape: icosahedral-virus, size_m: 60.0e-9, shell_thickness_m: 5.0e-9, material: protein,
               inner_material: virus-core}
      droplet: {shape: sphere, material: water, size_m: {distribution: uniform, low: 30.0e-9, high: 90.0e-9}}
    target: capsid
    hits: {classes: {single: 0.5, multiple: 0.2, contaminant: 0.3}, contaminants: {droplet: 1.0}}
    injection: {hit_diameter_m: 0.3e-6, depth_m: 0.0}
benchmarks:
  tiny-structure:
    description: "test task"
    recipe: tiny-capsids-v1
    n: {quick: 80, paper: 100}
    seeds: {quick: [1], paper: [1]}
    target: is_single_hit
    split: {test_fraction: 0.5}
    methods:
      radial-profile-classifier: {}
    oracles:
      true-selection: {field: is_single_hit}
    scoring: {emc3d: {grid_radius: 8, r_max_px: 30, num_div: 4, n_iter: 4}}
    metrics: [structure_shell_correlation, structure_orientation_median_deg, precision, recall]
"""


def test_a_split_task_scores_the_structure_of_each_test_selection(tmp_path):
    """Train on half, select on the other half, EMC the selection: the oracle's selection is the
    test half's true singles, and every one of them is found in the file's truth with its
    orientation (a misread row would be a double or a droplet: no orientation)."""
    import json

    from diffbench.cli.main import main

    cfg = tmp_path / "bench.yaml"
    cfg.write_text(SPLIT_DOWNSTREAM)
    assert main(["bench", "tiny-structure", "--config", str(cfg), "-o", str(tmp_path / "o")]) == 0
    runs = {r["method"]: r for r in json.loads((tmp_path / "o" / "scorecard.json").read_text())["runs"]}
    oracle = runs["true-selection"]
    assert oracle["precision"] == 1.0 and oracle["recall"] == 1.0
    assert oracle["structure_n_frames"] == oracle["structure_n_singles"] >= 20
    assert np.isfinite(oracle["structure_shell_correlation"])
    assert {"prevalence", "random", "radial-profile-classifier"} <= set(runs)

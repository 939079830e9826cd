"""Scores of a latent space against the truth (paper 001's landscape; nuisance leakage) and the
class-average items of a task, on cases whose answer is known."""

import re

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.bench.scoring import Case, LatentScorer, knn_r2

METRICS = ["knn_accuracy", "kmeans_ari", "spearman_abs", "structure_r2", "nuisance_r2"]


def test_knn_r2_is_one_for_a_latent_that_holds_the_field_and_minus_a_fifth_for_noise(rng):
    v = rng.normal(size=3000)
    assert knn_r2(v[:, None], v) > 0.99
    # 5 random neighbours: E (v - mean of 5)^2 = var (1 + 1/5), so R^2 = -0.2 (sd ~ 0.03 at N = 3000)
    assert_allclose(knn_r2(rng.normal(size=(3000, 2)), v), -0.2, atol=0.1)


def test_a_latent_that_follows_the_structure_and_not_the_photons_scores_so(rng):
    n = 400
    stage = np.repeat(np.array(["start", "between", "end", "contaminant"]), n // 4)
    melt = np.where(stage == "start", 0.0, np.where(stage == "end", 1.0, rng.uniform(0, 1, n)))
    melt[stage == "contaminant"] = np.nan
    photons = rng.lognormal(6, 0.5, n)
    centre = {"start": (0, 0), "between": (5, 0), "end": (10, 0), "contaminant": (5, 20)}
    z = np.array([centre[s] for s in stage], float) + rng.normal(0, 0.5, (n, 2))
    z[stage != "contaminant", 0] = 10 * melt[stage != "contaminant"] + rng.normal(0, 0.3, 300)
    opts = {"structure": "melt", "structure_groups": ["start", "between", "end"], "nuisances": ["photons"],
            "fields": {"melt": melt, "photons": photons}}
    case = Case(None, None, stage, z, np.ones(n, bool), options=opts)
    out = LatentScorer().score(case, METRICS)
    assert out["spearman_abs"] > 0.95 and out["structure_r2"] > 0.9
    assert out["knn_accuracy"] > 0.85 and out["kmeans_ari"] > 0.5
    assert out["nuisance_r2"] < 0.1 and set(out["leakage"]) == {"photons"}
    # the same latent with the photon count as a third axis leaks it
    leaky = np.c_[z, 50 * np.log(photons)]
    out2 = LatentScorer().score(Case(None, None, stage, leaky, np.ones(n, bool), options=opts), METRICS)
    assert out2["nuisance_r2"] > 0.8


def test_class_average_items_carry_the_majority_truth_of_their_frames(rng):
    from diffbench.bench.averaged import averaged_items

    size, n = 33, 240
    y, x = np.mgrid[0:size, 0:size] - size // 2
    r = np.hypot(x, y)
    wide = rng.random(n) < 0.4
    radius = np.where(wide, 11.0, 6.0) + rng.normal(0, 0.3, n)
    frames = rng.poisson(40 * np.exp(-((r[None] - radius[:, None, None]) ** 2) / 2.0) + 0.05).astype(np.float32)
    spec = {"n_runs": 2, "fraction": 0.8, "em2d_params": {"n_classes": 2, "n_angles": 4, "n_iter": 8, "grid_radius": 14}}
    items, truth, _ = averaged_items(frames, {"kind": np.where(wide, "wide", "narrow"), "radius": radius}, spec, 1)
    assert len(items) == 4 and items.frame_shape[0] == items.frame_shape[1]
    assert sorted(truth["kind"]) == ["narrow", "narrow", "wide", "wide"]
    assert (truth["kind_purity"] > 0.95).all()
    assert (truth["radius"][truth["kind"] == "wide"] > 10).all() and (truth["radius_sd"] < 1).all()


def test_a_constant_latent_scores_the_majority_not_the_storage_order(rng):
    """Ties at the k-th distance vote together: a latent that puts every item at one point gives each
    item all the others as neighbours, so its kNN accuracy is the majority class's share."""
    y = np.array(["a"] * 60 + ["b"] * 25 + ["c"] * 15)
    rng.shuffle(y)
    out = LatentScorer().score(Case(None, None, y, np.zeros((100, 1)), np.ones(100, bool)), ["knn_accuracy"])
    assert_allclose(out["knn_accuracy"], 0.6)  # leave-one-out: an "a" sees 59 a, a "b" or "c" still 60 a
    # every other item votes: its prediction is the mean of the others, (n v - S)/(n - 1) off: R^2 = 1 - (n/(n-1))^2
    assert_allclose(knn_r2(np.zeros((100, 1)), rng.normal(size=100)), 1 - (100 / 99) ** 2, rtol=1e-9)


def test_a_misspelt_scoring_option_fails_when_the_task_loads():
    import pytest

    from diffbench.bench.tasks import Task

    body = {"description": "d", "recipe": "gold-melt-v5", "n": {"quick": 10}, "seeds": {"quick": [1]},
            "target": "shape_stage", "methods": {"clpca": {}}, "metrics": ["knn_accuracy"]}
    Task.model_validate(dict(body, scoring={"structure": "target_shape_param", "nuisances": ["photons_total"]}))
    with pytest.raises(ValueError, match="unknown scoring options \\['nuisance'\\]"):
        Task.model_validate(dict(body, scoring={"nuisance": ["photons_total"]}))
    with pytest.raises(ValueError, match="unknown emc3d options \\['gridradius'\\]"):
        Task.model_validate(dict(body, scoring={"emc3d": {"gridradius": 3}}))


def test_the_scoring_options_list_is_emc3d_s_signature():
    import inspect

    from diffbench.bench.tasks import EMC3D_PARAMETERS, SCORING_TYPES
    from diffbench.methods.emc3d import EMC3D

    assert set(EMC3D_PARAMETERS) == set(inspect.signature(EMC3D.__init__).parameters) - {"self"}
    assert set(SCORING_TYPES) == set(EMC3D_PARAMETERS) | {"structure", "structure_groups", "nuisances"}


@pytest.mark.parametrize("scoring, message", [
    ({"grid_radius": "14"}, "scoring.grid_radius must be int, got '14'"),
    ({"emc3d": {"num_div": 4.5}}, "scoring.emc3d.num_div must be int, got 4.5"),
    ({"emc3d": {"n_iter": True}}, "scoring.emc3d.n_iter must be int, got True"),
    ({"emc3d": {"beta": "1"}}, "scoring.emc3d.beta must be int or float or none, got '1'"),
    ({"nuisances": "photons_total"}, "scoring.nuisances must be a list of field names, got 'photons_total'"),
    ({"emc3d": 12}, "scoring.emc3d must be a mapping of EMC3D parameters, got 12"),
])
def test_a_scoring_option_of_the_wrong_type_is_a_one_line_error_when_the_catalogue_loads(scoring, message):
    from diffbench.bench.tasks import Task

    body = {"description": "d", "recipe": "gold-melt-v5", "n": {"quick": 10}, "seeds": {"quick": [1]},
            "target": "shape_stage", "methods": {"clpca": {}}, "metrics": ["knn_accuracy"]}
    with pytest.raises(ValueError, match=re.escape(message)):
        Task.model_validate(dict(body, scoring=scoring))
    Task.model_validate(dict(body, scoring={"emc3d": {"num_div": 4, "beta": 1.0, "bin_px": None}, "r_max_px": 28}))


def test_a_method_may_name_the_tiers_it_runs_in():
    import pytest

    from diffbench.bench.tasks import Task

    body = {"description": "d", "recipe": "gold-melt-v5", "n": {"quick": 10, "paper": 20},
            "seeds": {"quick": [1], "paper": [1]}, "target": "shape_stage", "metrics": ["knn_accuracy"],
            "methods": {"clpca": {}, "absolute-embedding": {"tiers": ["paper"], "max_iter": 5}}}
    task = Task.model_validate(body)
    assert list(task.for_tier("quick").methods) == ["clpca"]
    assert task.for_tier("paper").methods["absolute-embedding"] == {"max_iter": 5}  # the key is the harness's
    with pytest.raises(ValueError, match="tiers must be a list of quick and paper"):
        Task.model_validate(dict(body, methods={"clpca": {"tiers": ["fast"]}}))

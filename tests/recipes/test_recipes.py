"""Every shipped recipe validates and makes a few patterns with complete truth; recipe errors."""

import numpy as np
import pytest

from diffbench import kinds
from diffbench.recipes.catalogue import RecipeError, resolve
from diffbench.simulate.spi.engine import PARTICLE_DTYPE, PATTERN_DTYPE, Simulator


def _spi_recipes():
    from diffbench.recipes.catalogue import load_catalogue

    return [n for n, r in load_catalogue()["recipes"].items() if kinds.of_recipe(r) is kinds.get("spi")]


@pytest.mark.parametrize("name", sorted(_spi_recipes()))
def test_every_shipped_spi_recipe_makes_patterns_with_complete_truth(name):
    """The ed-scan, mx-merged and xray-droplet kinds have their own tests (test_ed_scan, test_mx,
    test_droplet)."""
    recipe, _ = resolve(name)
    sim = Simulator(recipe, seed=11)
    idx = [0, 1, 2]
    imgs, truth, parts = sim.simulate(idx)
    assert imgs.shape == (3,) + sim.detector.shape
    assert truth.dtype == PATTERN_DTYPE and parts.dtype == PARTICLE_DTYPE
    assert (truth["multiplicity"] == np.bincount(parts["pattern_index"], minlength=3)).all()
    assert (truth["photons_total"] == imgs.reshape(3, -1).sum(axis=1)).all()
    assert np.isfinite(truth["expected_photons_total"]).all()
    assert (truth["photons_total"][truth["multiplicity"] > 0] > 0).all()
    assert np.allclose(np.linalg.norm(parts["orientation_wxyz"], axis=1), 1.0)
    single = truth["is_single_hit"]
    assert (single == ((truth["n_target"] == 1) & (truth["multiplicity"] == 1))).all()
    assert set(sim.point_groups().values()) <= {"I", "O", "D7", "SO(3)", "C1"}
    # same seed, same patterns: planning and rendering are pure in (seed, index)
    again, t2, _ = Simulator(recipe, seed=11).simulate(idx)
    np.testing.assert_array_equal(imgs, again)


def test_pr772_mix_is_about_one_in_two_hundred_single():
    recipe, _ = resolve("pr772-spi-v6")
    w = recipe.hits.classes
    assert 150 < (sum(w.values()) - w["single"]) / w["single"] < 250


def test_unknown_key_is_named_with_its_path():
    with pytest.raises(RecipeError, match=r"beam\.colour"):
        resolve("pr772-spi-v6", overrides=["beam.colour=red"])


def test_negative_size_is_named():
    with pytest.raises(RecipeError, match=r"species\.sphere\.size_m"):
        resolve("sphere-calibration-v2", overrides=["species.sphere.size_m=-70e-9"])


def test_unknown_recipe_lists_versions():
    with pytest.raises(RecipeError, match="available versions: pr772-spi-v6"):
        resolve("pr772-spi-v7")


def test_user_config_file(tmp_path):
    import yaml

    from diffbench.recipes.catalogue import load_catalogue

    cat = load_catalogue()
    mine = {"version": 1, "recipes": {"mine-v1": cat["recipes"]["sphere-calibration-v2"]}}
    p = tmp_path / "mine.yaml"
    p.write_text(yaml.safe_dump(mine))
    r, _ = resolve("mine-v1", config=p)
    assert r.target == "sphere"
    p.write_text("recipes: {Bad_Name: {}}")
    with pytest.raises(RecipeError, match="name-vN"):
        resolve("Bad_Name", config=p)


def test_set_reads_exponents_without_a_dot_as_numbers():
    from diffbench.recipes.catalogue import parse_override

    assert parse_override("species.s.size_m=70e-9") == (["species", "s", "size_m"], 70e-9)
    assert parse_override("detector.preset=square-64")[1] == "square-64"
    assert parse_override("hits.separation_m=[20e-9, 5.0e-8]")[1] == [20e-9, 5e-8]


def test_gold_melt_single_hits_carry_the_promised_photons(tmp_path):
    """gold-melt-v5 promises 10^2-10^3 photons per single hit (paper 001's weak regime), measured
    on generated frames with photon noise: the particle's photons are the counted total less the
    flat background the recipe adds (its expectation; its Poisson spread, ±4, is far inside the range)."""
    from diffbench.io.readers import open_any
    from diffbench.simulate.driver import simulate_to_file

    path = simulate_to_file("gold-melt-v5", 150, tmp_path / "g.cxi", seed=21, progress=False)
    recipe, _ = resolve("gold-melt-v5")
    with open_any(path) as d:
        single = np.asarray(d.truth["is_single_hit"], bool)
        counted = np.asarray(d.truth["photons_total"], float)
        valid = int((d.mask == 0).sum())
    particle = counted[single] - recipe.background.flat_photons_per_pixel * valid
    assert single.sum() > 100
    assert 100 <= np.median(particle) <= 1000
    assert np.mean((particle >= 100) & (particle <= 1000)) >= 0.95


def test_a_retired_version_says_which_release_made_it_and_what_replaces_it():
    with pytest.raises(RecipeError, match=r"gold-melt-v3 is retired: diffbench 0.1.0 and earlier produce it "
                                          r"\(pip install 'diffbench==0.1.0'\); it is replaced by gold-melt-v5"):
        resolve("gold-melt-v3")


def test_a_retired_entry_must_point_to_a_recipe(tmp_path):
    from diffbench.recipes.catalogue import load_catalogue

    p = tmp_path / "c.yaml"
    p.write_text("recipes: {a-v2: {kind: mx-merged}}\nretired: {a-v1: {release: '0.1.0', replaced_by: a-v3, why: x}}\n")
    with pytest.raises(RecipeError, match="retired.a-v1: must not be a recipe, and must name one that is"):
        load_catalogue(p)

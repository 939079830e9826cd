"""diffbench show, the recipe-key reference and the Python API to simulate."""

from pathlib import Path

import numpy as np
import yaml

import diffbench
from diffbench.cli.main import main
from diffbench.recipes.catalogue import resolve

ROOT = Path(__file__).resolve().parents[2]


def test_show_prints_every_key_resolved_with_overrides(capsys):
    assert main(["show", "chaperonin-90-v7", "--set", "detector.preset=pnccd-amo86615-bin8"]) == 0
    text = capsys.readouterr().out
    body = yaml.safe_load(text)
    model, _ = resolve("chaperonin-90-v7", overrides=["detector.preset=pnccd-amo86615-bin8"])
    assert body == model.model_dump(mode="json")  # every key, defaults included
    assert body["detector"]["preset"] == "pnccd-amo86615-bin8"
    assert body["pixel_integration"]["samples_per_fringe"] == 5  # the recipe's own value
    assert "volume" in body  # a default the recipe never states


def test_show_keys_lists_types_units_and_meanings(capsys):
    assert main(["show", "pr772-spi-v6", "--keys"]) == 0
    text = capsys.readouterr().out
    assert "beam.pulse_energy_j" in text and "float (J)  [default (required); > 0" in text
    assert "hits.classes" in text and "species.NAME.size_m" in text


def test_the_recipe_key_reference_is_current():
    from diffbench.recipes.reference import markdown_reference

    assert (ROOT / "docs" / "recipe-keys.md").read_text() == markdown_reference() + "\n", \
        "regenerate: python -m diffbench.recipes.reference > docs/recipe-keys.md"


def test_generate_returns_the_bytes_a_file_holds(tmp_path):
    ov = ["detector.preset=square-64"]
    g = diffbench.generate("pr772-spi-v6", 6, seed=2, overrides=ov)
    diffbench.simulate_to_file("pr772-spi-v6", 6, tmp_path / "a.cxi", seed=2, overrides=ov, progress=False)
    with diffbench.open_dataset(tmp_path / "a.cxi") as d:
        assert np.array_equal(g.frames, d.patterns[()])
        assert np.array_equal(g.truth["photons_total"], d.truth["photons_total"])
        assert np.array_equal(g.particles["diameter_m"], d.particles["diameter_m"])
    assert g.frames.shape == (6, 64, 64) and g.attrs["recipe"] == "pr772-spi-v6"


def test_generate_works_for_kinds_without_frames():
    g = diffbench.generate("mx-ice-rings-v2", 2, seed=1)
    assert g.frames is None and len(g.truth["d_min_m"]) == 2

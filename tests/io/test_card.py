"""Dataset cards: measured on the data, for any kind (issue 22 item 10)."""

import numpy as np

import diffbench
from diffbench.cli.main import main
from diffbench.io.card import card_markdown
from diffbench.simulate.driver import simulate_to_file


def test_card_states_what_the_data_hold(tmp_path):
    path = tmp_path / "c.cxi"
    simulate_to_file("chaperonin-90-v7", 80, path, seed=2, overrides=["detector.preset=square-64"], progress=False)
    text = card_markdown(path)
    with diffbench.open_dataset(path) as d:
        singles = int(np.sum(d.truth["is_single_hit"]))
        photons = np.asarray(d.truth["photons_total"], float)
    assert "# Dataset card: chaperonin-90-v7" in text and "paper 004" in text
    assert f"True: {singles} ({singles / 80:.1%})" in text  # the class balance, counted on the data
    assert f"| photons_total | {photons.min():.4g} /" in text
    assert "version 7" in text and "content hash" in text


def test_card_command_from_a_recipe_and_from_a_file(tmp_path, capsys):
    out = tmp_path / "card.md"
    assert main(["card", "sphere-calibration-v2", "-n", "20", "--set", "detector.preset=square-64",
                 "-o", str(out)]) == 0
    assert "# Dataset card: sphere-calibration-v2" in out.read_text()
    assert main(["card"]) == 2
    assert "give a recipe name or --file" in capsys.readouterr().err

"""A small mixed-hit SPI file (PR772 mix on the 64×64 test detector) shared by the viewer tests,
and the folder where browser screenshots are kept as test artefacts."""

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def spi_file(tmp_path_factory):
    from diffbench.simulate.driver import simulate_to_file

    out = tmp_path_factory.mktemp("view") / "pr772-small.cxi"
    simulate_to_file("pr772-spi-v6", 120, out, seed=5, overrides=["detector.preset=square-64"], progress=False)
    return out


@pytest.fixture(scope="session")
def artefacts():
    d = Path(os.environ.get("DIFFBENCH_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")) / "viewer"
    d.mkdir(parents=True, exist_ok=True)
    return d

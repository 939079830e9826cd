"""Test fixtures: the test seed and small recipes (the volume cache is in the root conftest)."""

import os

import numpy as np
import pytest
from hypothesis import settings

SEED = int(os.environ.get("DIFFBENCH_TEST_SEED", "42"))

# Property tests draw the same examples on every run ("ci", the default), so a red run can be
# reproduced and CI never fails by chance; HYPOTHESIS_PROFILE=explore searches afresh each run
# (how the γ pairing bug in bench.metrics.psd_contrast was found).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=500, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_report_header(config):
    return (f"diffbench test seed: {SEED} (set DIFFBENCH_TEST_SEED to change); hypothesis profile "
            f"{settings.get_current_profile_name()} (HYPOTHESIS_PROFILE=explore to search afresh)")


@pytest.fixture
def seed():
    return SEED


@pytest.fixture
def rng():
    return np.random.default_rng(SEED)


def small_recipe(**over):
    """A quick recipe dict on the 64×64 test detector (override any top-level section)."""
    base = dict(
        description="test",
        detector={"preset": "square-64"},
        beam=dict(photon_energy_ev=1700, pulse_energy_j=2e-4, focus_diameter_m=1.5e-6),
        species={"s": dict(shape="sphere", size_m=60e-9, material="protein")},
        target="s",
        hits={"classes": {"single": 1}},
        injection=dict(hit_diameter_m=0.0, depth_m=0.0),
    )
    base.update(over)
    return base

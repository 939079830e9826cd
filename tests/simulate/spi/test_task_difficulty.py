"""Recipe promises of the single/double tasks, measured on generated data (issue 22).

The paper-setting chaperonin recipes (top-hat beam, no jitter, every particle fully lit) are
solved by the photon count: a double has twice a single's photons. ``chaperonin-xfel-v3`` promises
the nuisances of a real XFEL run, so that the count alone no longer separates the classes.
"""

import numpy as np
import pytest

import diffbench
from diffbench.bench.metrics import roc_auc
from diffbench.simulate.driver import simulate_to_file

BIN8 = ["detector.preset=pnccd-amo86615-bin8"]


def _counts_and_doubles(name, tmp_path, n=1500, seed=11, extra=()):
    out = tmp_path / f"{name}.cxi"
    simulate_to_file(name, n, out, seed=seed, overrides=BIN8 + list(extra), progress=False)
    with diffbench.open_dataset(out) as d:
        t = d.truth
        return (np.asarray(t["photons_total"], float), ~np.asarray(t["is_single_hit"], bool),
                np.asarray(t["hit_class"]).astype(str), np.asarray(t["pulse_energy_j"], float))


def test_xfel_recipe_photon_count_does_not_solve_it(tmp_path):
    counts, double, hit_class, pulse = _counts_and_doubles("chaperonin-xfel-v3", tmp_path)
    auc = roc_auc(double, counts)
    # 1,500 frames, ~150 doubles: the AUC's standard error is ~0.02, so 0.85 is several SE away
    # from the measured ~0.71-0.78 (0.999-1.000 on the paper-setting recipes)
    assert auc < 0.85, auc
    # the promised mix: 90 % singles, doubles half touching (aggregate) and half far apart
    frac = {k: np.mean(hit_class == k) for k in ("single", "multiple", "aggregate")}
    assert abs(frac["single"] - 0.90) < 0.03 and abs(frac["multiple"] - 0.05) < 0.02
    assert abs(frac["aggregate"] - 0.05) < 0.02
    # photon counts span orders of magnitude (Gaussian focus, positions spread over it)
    assert np.percentile(counts, 95) / max(np.percentile(counts, 5), 1) > 10
    # 30 % pulse-energy jitter (relative spread of the pulse energy, allowing for sampling error)
    assert 0.24 < np.std(pulse) / np.mean(pulse) < 0.36


def test_paper_setting_recipe_is_saturated_by_the_photon_count(tmp_path):
    """Why chaperonin-*-outliers carry a 'saturated' note: the count alone separates the classes."""
    counts, double, _, _ = _counts_and_doubles("chaperonin-90-v7", tmp_path, n=600)
    assert roc_auc(double, counts) > 0.99


@pytest.mark.parametrize("pulse_j, lo, hi", [(7.4e-4, 60, 160), (2.95e-3, 200, 500)])
def test_xfel_sweep_axis_sets_the_photons_per_pattern(pulse_j, lo, hi, tmp_path):
    """The sweep of chaperonin-xfel-outliers grades the task by photons per pattern: the median
    count scales with the pulse energy (values measured: ~64 and ~270)."""
    counts, _, _, _ = _counts_and_doubles("chaperonin-xfel-v3", tmp_path, n=600,
                                          extra=[f"beam.pulse_energy_j={pulse_j}"])
    assert lo < np.median(counts) < hi

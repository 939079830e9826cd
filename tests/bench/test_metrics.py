"""Metrics against hand-computed values."""

import math

import numpy as np
from numpy.testing import assert_allclose

from diffbench.bench.metrics import (
    binary_scores,
    iou,
    psd_contrast,
    roc_auc,
    wilson_interval,
)


def test_wilson_interval_known_values():
    # 8/10: centre (0.8 + z²/20)/(1 + z²/10), z = 1.96 → (0.4902, 0.9433) (Newcombe 1998, method 3)
    assert_allclose(wilson_interval(8, 10), (0.4902, 0.9433), atol=1e-4)
    lo, hi = wilson_interval(0, 50)
    assert abs(lo) < 1e-15 and 0.07 < hi < 0.072  # z²/(n + z²) = 0.0714
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_binary_scores_from_a_known_confusion():
    y = np.array([1] * 10 + [0] * 90)
    p = np.array([1] * 8 + [0] * 2 + [1] * 4 + [0] * 86)
    s = binary_scores(y, p)
    assert (s["tp"], s["fn"], s["fp"], s["tn"]) == (8, 2, 4, 86)
    assert_allclose([s["precision"], s["recall"], s["specificity"]], [8 / 12, 0.8, 86 / 90])
    assert_allclose(s["precision_other"], 86 / 88)  # of the 88 flagged as other, 86 are
    assert_allclose(s["f1"], 2 * (8 / 12) * 0.8 / (8 / 12 + 0.8))


def test_roc_auc_equals_pairwise_probability():
    rng = np.random.default_rng(3)
    y = rng.random(200) < 0.3
    score = rng.normal(size=200) + y * 0.8
    score[::7] = 0.5  # ties count one half
    pos, neg = score[y], score[~y]
    brute = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (pos.size * neg.size)
    assert_allclose(roc_auc(y, score), brute, rtol=1e-12)
    assert math.isnan(roc_auc(np.ones(5), np.arange(5)))


def test_iou_of_masks_and_indices():
    a = np.zeros(10, bool)
    a[[1, 2, 3]] = True
    assert iou(a, np.array([2, 3, 4, 5])) == 2 / 5
    assert math.isnan(iou(np.zeros(3, bool), np.zeros(3, bool)))


def test_psd_contrast_of_a_damped_oscillation():
    """I = A + B cos(x): every max is A + B, every min A − B, so γ = B/A exactly (no smoothing)."""
    x = np.linspace(0.1, 8 * np.pi, 4000)
    assert_allclose(psd_contrast(5.0 + 2.0 * np.cos(x), smooth=1), 0.4, rtol=1e-4)
    assert psd_contrast(np.linspace(1, 0, 50)) == 0.0  # no fringes: no contrast
    # one fringe of contrast 0.5 and nothing more: the two missing pairs count 0 → γ = 0.5/3
    one = np.r_[np.linspace(1, 3, 20), np.linspace(3, 1, 20), np.full(20, 1.0)]
    assert_allclose(psd_contrast(one, smooth=1), 0.5 / 3, rtol=1e-12)
    assert math.isnan(psd_contrast([np.nan, 1.0]))


def test_psd_contrast_counts_a_double_topped_fringe_once():
    # regression (found by hypothesis): after smoothing, [1, 1, 1, 2, 1, 3, 1, 1] rises, stays flat,
    # rises to 2 and falls to a minimum of 5/3: the flat step made a first "maximum" of 4/3 *below*
    # that minimum, and both maxima were paired with it (γ = −0.0067). One fringe, max 2, min 5/3:
    g = psd_contrast([1.0, 1.0, 1.0, 2.0, 1.0, 3.0, 1.0, 1.0])
    assert_allclose(g, (2 - 5 / 3) / (2 + 5 / 3) / 3, rtol=1e-12)
    # a flat-topped fringe without smoothing: max 3 held over 3 bins, min 1 → one pair of contrast 0.5
    assert_allclose(psd_contrast([1.0, 2.0, 3.0, 3.0, 3.0, 2.0, 1.0, 2.0], smooth=1), 0.5 / 3, rtol=1e-12)


def test_selection_psd_leaves_masked_rings_out():
    # a beam stop masks the inner rings: their PSD must be NaN (no data), not 0, or the rise from
    # 0 to the first valid ring would count as a fringe in γ
    from diffbench.bench.scoring import selection_psds
    from diffbench.methods.frames import Frames

    y, x = np.mgrid[0:32, 0:32]
    r = np.hypot(x - 15.5, y - 15.5)
    frames = np.broadcast_to(np.exp(-r / 4), (4, 32, 32)).copy()
    valid = r > 5
    radius, psd = selection_psds(Frames(frames, valid=valid, center_xy_px=(15.5, 15.5)),
                                  {"some": np.array([1, 0, 1, 0], bool), "none": np.zeros(4, bool)})
    inner = radius < 5
    assert np.isnan(psd["some"][:5]).all() and np.isnan(psd["none"]).all()
    ok = np.isfinite(psd["some"])
    np.testing.assert_allclose(psd["some"][ok], np.exp(-radius[ok] / 4), rtol=0.05)  # ring-mean of exp(-r/4) over 1-px rings
    assert np.all(np.diff(psd["some"][ok]) < 0) and not inner[ok].any()


def test_every_metric_a_task_may_name_has_a_scorer():
    """The scorer registry computes every metric name the task schema accepts, and nothing else."""
    from diffbench.bench.scoring import SCORERS
    from diffbench.bench.tasks import METRICS

    assert set(METRICS) == {m for s in SCORERS for m in s.metrics}


def test_fixed_condition_bins_are_the_same_on_every_seed():
    """With edges the bins do not depend on the data (so they aggregate over seeds); values beyond
    the outer edges go to the outer bins; without, quartiles of the data's own values."""
    from diffbench.bench.scoring import BinaryScorer, Case, by_condition

    rng = np.random.default_rng(0)
    bins_seen = []
    for seed_scale in (1.0, 5.0):
        amp = rng.uniform(0, 4, 400) * seed_scale
        y = (rng.random(400) < 0.5).astype(int)
        pred = y.copy()
        case = Case(None, None, y, pred, np.ones(400, bool), None)
        fixed = by_condition(BinaryScorer(), case, "accuracy", amp, [0.0, 1.0, 3.0, 10.0])
        assert [b["bin"] for b in fixed] == ["0-1", "1-3", "3-10"]
        assert sum(b["n"] for b in fixed) == 400  # 5x the scale: values up to 20 land in 3-10
        assert all(b["value"] == 1.0 for b in fixed)
        bins_seen.append([b["bin"] for b in by_condition(BinaryScorer(), case, "accuracy", amp)])
    assert bins_seen[0] != bins_seen[1]  # quartile bins move with the data


def test_every_metric_says_which_way_it_improves_and_the_worst_bin_follows_it():
    """The metric registry: every metric has a direction (or none), a positive gate floor and a text;
    the worst condition bin is the highest where lower is better."""
    from diffbench.bench.metric_registry import METRICS, better, metric
    from diffbench.bench.scoring import mark_worst

    for m in METRICS.values():
        assert m.higher_is_better in (True, False, None) and m.floor >= 0 and len(m.text) > 10
    assert better("orientation_median_deg", 5.0, 10.0) and better("f1", 0.9, 0.5)
    bins = [{"bin": "a", "value": 3.0}, {"bin": "b", "value": 30.0}, {"bin": "c", "value": float("nan")}]
    mark_worst(bins, "orientation_median_deg")
    assert bins[1].get("worst") and not bins[0].get("worst")
    bins = [{"bin": "a", "value": 0.3}, {"bin": "b", "value": 0.9}]
    mark_worst(bins, "f1")
    assert bins[0].get("worst")
    import pytest

    with pytest.raises(ValueError, match="unknown metric 'f2'"):
        metric("f2")

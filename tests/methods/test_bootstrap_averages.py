"""Bootstrapped class averages: five runs on 80 % subsets, and each average's truth as the weighted
composition of its frames."""

import numpy as np
from numpy.testing import assert_allclose

from diffbench.methods.bootstrap_averages import BootstrapAverages


def _two_kinds(rng, n=240, size=33):
    """Poisson frames of two radial patterns (rings at radius 6 or 11 px), truth 'kind' and 'radius'."""
    y, x = np.mgrid[0:size, 0:size] - size // 2
    r = np.hypot(x, y)
    kind = rng.random(n) < 0.4
    radius = np.where(kind, 11.0, 6.0) + rng.normal(0, 0.3, n)
    lam = 40 * np.exp(-((r[None] - radius[:, None, None]) ** 2) / 2.0) + 0.05
    return rng.poisson(lam).astype(np.float32), np.where(kind, "wide", "narrow"), radius


def test_runs_use_their_fraction_and_the_averages_know_their_frames(rng):
    frames, kind, radius = _two_kinds(rng)
    est = BootstrapAverages(n_runs=3, fraction=0.8, em2d_params=dict(n_classes=2, n_angles=4, n_iter=8,
                                                                    grid_radius=14), random_state=1)
    est.fit(frames)
    assert est.averages_.shape[0] == 6 and list(est.run_) == [0, 0, 1, 1, 2, 2]
    assert all(len(s) == 192 and len(np.unique(s)) == 192 for s in est.subsets_)  # 80 % of 240, no repeats
    assert not np.array_equal(est.subsets_[0], est.subsets_[1])  # each run its own subset
    w = est.weights()
    assert_allclose(w.reshape(3, 2, -1).sum(axis=1)[0][est.subsets_[0]], 1.0, rtol=1e-9)  # memberships sum to 1
    truth = est.average_truth({"kind": kind, "radius": radius})
    assert_allclose(truth["kind=narrow"] + truth["kind=wide"], 1.0, rtol=1e-9)
    # two clearly different patterns: each average is (nearly) pure, and its mean radius says which
    purity = np.maximum(truth["kind=narrow"], truth["kind=wide"])
    assert (purity > 0.95).all(), purity
    wide = truth["kind=wide"] > 0.5
    assert (truth["radius"][wide] > 10).all() and (truth["radius"][~wide] < 7).all()
    assert (truth["radius_sd"] < 1.0).all()
    # weights: each run's averages share its 192 frames
    assert_allclose(truth["weight"].reshape(3, 2).sum(axis=1), 192, rtol=1e-9)

"""The supervised radial-profile classifier and post-filters (issue 22 item 8)."""

import numpy as np
from numpy.testing import assert_allclose

from diffbench.bench.metrics import binary_scores, roc_auc
from diffbench.io.cxi import open_dataset
from diffbench.methods.frames import as_frames
from diffbench.methods.profile_classifier import PostFilter, RadialProfileClassifier, best_f1_threshold
from diffbench.simulate.driver import simulate_to_file


def test_best_f1_threshold_against_brute_force():
    rng = np.random.default_rng(2)
    y = rng.random(200) < 0.2
    s = y + rng.normal(0, 0.7, 200)
    t = best_f1_threshold(y, s)
    f1 = lambda th: binary_scores(y, s >= th)["f1"]  # noqa: E731
    assert_allclose(f1(t), max(f1(th) for th in np.unique(s)), rtol=1e-12)


def test_learns_single_from_multiple_hits_on_held_out_frames(tmp_path):
    path = tmp_path / "s.cxi"
    simulate_to_file("sphere-calibration-v2", 300, path, seed=5, progress=False, overrides=[
        "detector.preset=square-64", "species.sphere.size_m={distribution: normal, mean: 70e-9, sd: 8e-9}",
        "hits.classes={single: 0.7, multiple: 0.3}", "injection.hit_diameter_m=0.3e-6"])
    with open_dataset(path) as d:
        y = np.asarray(d.truth["is_single_hit"]).astype(int)
        frames = as_frames(d)
        train, test = np.arange(0, 200), np.arange(200, 300)
        est = RadialProfileClassifier(random_state=0).fit(frames.take(train), y[train])
        auc = roc_auc(y[test], est.score_samples(frames.take(test)))
        assert auc > 0.8, auc  # far above the 0.5 of a random score, on frames it never saw
        # a post-filter keeps a subset of the classifier's selection
        pf = PostFilter(then="size-filter", then_params={"keep_min_m": 55e-9, "keep_max_m": 84e-9})
        pf.fit(frames.take(train), y[train])
        first = est.predict(frames.take(test)).astype(bool)
        both = pf.predict(frames.take(test)).astype(bool)
        assert not (both & ~pf.first_.predict(frames.take(test)).astype(bool)).any()
        assert both.sum() <= first.sum() + 5

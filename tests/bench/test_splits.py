"""Splits of the benchmark: whole groups never straddle train and test; multi-class and clustering scores."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.bench import metrics as M
from diffbench.bench.runner import evaluate
from diffbench.bench.tasks import Task
from diffbench.methods.base import Method, MethodTags
from diffbench.methods.frames import Frames


class Recorder(Method):
    """A supervised stand-in: remembers what it was trained on; predicts each frame's first value."""

    seen = []

    def __diffbench_tags__(self):
        return MethodTags(requires_y=True, output="multiclass")

    def fit(self, X, y):
        Recorder.seen.append(np.concatenate([b[:, 0] for _, b in X.batches(7)]))
        self.labels_ = dict(zip(Recorder.seen[-1].tolist(), y))
        return self

    def predict(self, X):
        vals = np.concatenate([b[:, 0] for _, b in X.batches(7)])
        return np.array([self.labels_.get(v, "unseen") for v in vals.tolist()])


def _task(split, metrics):
    return Task.model_validate({"description": "t", "recipe": "r", "n": {"quick": 1}, "seeds": {"quick": [1]},
                                "target": "label", "split": split, "methods": {}, "metrics": metrics})


def test_group_split_holds_out_whole_groups():
    n = 60
    frames = Frames(np.arange(n, dtype=float)[:, None])  # frame i holds the value i
    scan = np.repeat([3, 5, 8, 9], 15)
    y = np.array(["a", "b", "c"])[np.arange(n) % 3]
    task = _task({"group": "scan", "test": {"same": [-2], "shifted": [-1]}}, ["accuracy", "f1_weighted"])
    Recorder.seen = []
    out = {e.test: e.scores for e in evaluate(Recorder, frames, y, task, {"scan": scan}, seed=0)}
    trained = Recorder.seen[0].astype(int)
    assert set(scan[trained]) == {3, 5}  # groups 8 and 9 (positions -2, -1) never trained on
    assert out["same"]["n"] == 15 and out["shifted"]["n"] == 15 and out["same"]["n_train"] == 30
    assert out["same"]["accuracy"] == 0.0  # it only knows the training frames: every test answer is "unseen"
    assert out["same"]["confusion_matrix"]["labels"] == ["a", "b", "c", "unseen"]
    with pytest.raises(ValueError, match="out of range"):
        evaluate(Recorder, frames, y, _task({"group": "scan", "test": {"x": [7]}}, ["accuracy"]), {"scan": scan}, 0)


def test_stratified_split_and_per_group_fits():
    n = 40
    frames = Frames(np.arange(n, dtype=float)[:, None])
    y = np.array([1] * 30 + [0] * 10)
    Recorder.seen = []
    (name, res, _), = evaluate(Recorder, frames, y, _task({"test_fraction": 0.25}, ["recall"]), {}, seed=2)
    assert name == "test" and res["n"] == 10 and res["n_train"] == 30
    test_vals = set(range(n)) - set(Recorder.seen[0].astype(int).tolist())
    assert sum(y[list(test_vals)]) in (7, 8)  # stratified: 3:1 kept in the 10 held-out frames
    groups = np.repeat([0, 1], 20)
    Recorder.seen = []
    (name, res, _), = evaluate(Recorder, frames, y.astype(str), _task({"group": "g", "each": True}, ["ari"]),
                            {"g": groups}, seed=0)
    assert name == "each g" and res["groups"] == 2 and res["ari"] == 1.0
    assert [set(s.astype(int) // 20) for s in Recorder.seen] == [{0}, {1}]


def test_multiclass_scores_against_hand_counts():
    t = ["ice", "ice", "carbon", "mixed", "carbon", "ice"]
    p = ["ice", "carbon", "carbon", "carbon", "carbon", "ice"]
    s = M.multiclass_scores(t, p)
    assert s["accuracy"] == 4 / 6
    assert s["confusion_matrix"] == [[2, 0, 0], [1, 2, 0], [1, 0, 0]]  # rows carbon, ice, mixed
    # weighted recall = accuracy; weighted precision: carbon 2/4 (support 2), ice 2/2 (3), mixed 0 (1)
    assert_allclose(s["recall_weighted"], 4 / 6)
    assert_allclose(s["precision_weighted"], (2 * 0.5 + 3 * 1.0 + 0) / 6)
    c = M.clustering_scores([0, 0, 1, 1], ["x", "x", "y", "y"])
    assert c["ari"] == 1.0 and c["nmi"] == 1.0
    merged = M.sum_confusion([{"labels": ["a", "b"], "counts": [[1, 2], [3, 4]]},
                              {"labels": ["b", "c"], "counts": [[5, 0], [1, 1]]}])
    assert merged == {"labels": ["a", "b", "c"], "counts": [[1, 2, 0], [3, 9, 0], [0, 1, 1]]}


class GroupRecorder(Recorder):
    """Takes ``groups`` in fit, as scikit-learn's group-aware estimators do."""

    groups = None

    def fit(self, X, y, groups=None):
        GroupRecorder.groups = groups
        return super().fit(X, y)


def test_group_splits_hand_the_groups_to_methods_that_cross_validate():
    n = 60
    frames = Frames(np.arange(n, dtype=float)[:, None])
    scan = np.repeat([3, 5, 8, 9], 15)
    y = np.array(["a", "b", "c"])[np.arange(n) % 3]
    task = _task({"group": "scan", "test": {"same": [-2], "shifted": [-1]}}, ["accuracy"])
    evaluate(GroupRecorder, frames, y, task, {"scan": scan}, seed=0)
    np.testing.assert_array_equal(GroupRecorder.groups, np.repeat([3, 5], 15))


def test_the_svm_search_never_splits_a_scan():
    """Issue 22: shuffled frame folds put overlapping neighbours on both sides; with groups the folds
    are whole scans, without them contiguous blocks."""
    from sklearn.model_selection import GroupKFold, KFold

    from diffbench.methods.ed_ria import RIASVM

    assert isinstance(RIASVM(n_iter=2)._model(np.repeat([0, 1, 2, 3], 5)).cv, GroupKFold)
    folds = RIASVM(n_iter=2)._model(None).cv
    assert isinstance(folds, KFold) and not folds.shuffle


class Prototypes(Recorder):
    """A few-shot stand-in: answers the label of the nearest support frame (by value)."""

    supports = []

    def set_support(self, X, y):
        vals = np.concatenate([b[:, 0] for _, b in X.batches(7)])
        Prototypes.supports.append((vals.astype(int), np.asarray(y)))
        self.labels_ = dict(zip(vals.tolist(), y))
        return self


def test_few_shot_support_comes_from_the_test_set_and_is_never_scored():
    n = 90
    frames = Frames(np.arange(n, dtype=float)[:, None])
    pool = np.repeat(["a", "b", "c"], 30)
    y = np.array(["single", "double"])[np.arange(n) % 2]
    task = _task({"group": "pool", "test": {"new": ["c"]}, "support": [1, 5]}, ["accuracy"])
    Prototypes.supports, Recorder.seen = [], []
    out = {e.test: e.scores for e in evaluate(Prototypes, frames, y, task, {"pool": pool}, seed=3)}
    assert set(out) == {"new k=1", "new k=5"}
    assert set(pool[Recorder.seen[0].astype(int)]) == {"a", "b"}  # trained on the other pools only
    for (idx, labels), k in zip(Prototypes.supports, (1, 5)):
        assert set(pool[idx]) == {"c"} and len(idx) == 2 * k
        assert_allclose(np.unique(labels, return_counts=True)[1], [k, k])  # k of each class
        assert out[f"new k={k}"]["n"] == 30 - 2 * k  # the support frames are not scored
    # a method without set_support is scored on the same query frames, the same draw every time
    first, Prototypes.supports = Prototypes.supports, []
    again = {e.test: e.scores for e in evaluate(Prototypes, frames, y, task, {"pool": pool}, seed=3)}
    assert [s[0].tolist() for s in Prototypes.supports] == [s[0].tolist() for s in first]
    assert again["new k=5"]["accuracy"] == out["new k=5"]["accuracy"]
    plain = {e.test: e.scores for e in evaluate(Recorder, frames, y, task, {"pool": pool}, seed=3)}
    assert plain["new k=5"]["n"] == 20 and plain["new k=5"]["accuracy"] == 0.0  # "unseen": no support given
    with pytest.raises(ValueError, match="not a pool of the data"):
        evaluate(Recorder, frames, y, _task({"group": "pool", "test": {"x": ["z"]}}, ["accuracy"]), {"pool": pool}, 0)
    with pytest.raises(ValueError, match="k=20: test set 'new' has at most 20 frames"):
        evaluate(Prototypes, frames, y, _task({"group": "pool", "test": {"new": ["c"]}, "support": [20]},
                                              ["accuracy"]), {"pool": pool}, 0)

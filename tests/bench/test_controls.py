"""Controls and honest scores (issue 22): what every task shows beside its methods."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.bench import metrics as M
from diffbench.bench.aggregate import aggregate
from diffbench.bench.controls import CONTROLS, PhotonCountControl, frame_counts
from diffbench.bench.ranges import score_ranges
from diffbench.bench.scoring import score_predictions
from diffbench.bench.tasks import Task
from diffbench.methods.frames import Frames


def _task(**kw):
    body = {"description": "t", "recipe": "r", "n": {"quick": 1}, "seeds": {"quick": [1]}, "target": "y",
            "methods": {}, "metrics": ["f1", "precision", "roc_auc"]}
    return Task.model_validate({**body, **kw})


def test_an_empty_selection_scores_zero_not_nan():
    s = M.binary_scores([1, 0, 1, 0], [0, 0, 0, 0])
    assert s["f1"] == 0.0 and s["precision"] == 0.0 and s["recall"] == 0.0 and s["mcc"] == 0.0
    assert math.isnan(M.binary_scores([0, 0], [0, 0])["f1"])  # nothing to find, nothing found: undefined


def test_mcc_and_average_precision_against_scikit_learn():
    from sklearn.metrics import average_precision_score, matthews_corrcoef

    rng = np.random.default_rng(0)
    y = rng.random(300) < 0.1
    score = y + rng.normal(0, 0.8, 300)
    pred = score > 0.5
    assert_allclose(M.binary_scores(y, pred)["mcc"], matthews_corrcoef(y, pred), rtol=1e-12)
    assert_allclose(M.average_precision(y, score), average_precision_score(y, score), rtol=1e-12)


def test_bootstrap_interval_is_over_units_and_failures_are_not_averaged_away():
    lo, hi = M.bootstrap_interval([0.5, 0.6, 0.7, 0.8, 0.9])
    assert 0.5 < lo < 0.7 < hi < 0.9  # the mean 0.7 inside, narrower than the spread of units
    assert all(math.isnan(x) for x in M.bootstrap_interval([0.5, float("nan"), 0.7]))
    assert all(math.isnan(x) for x in M.bootstrap_interval([0.5]))
    rows = [{"task": "t", "method": "m", "role": "method", "test": "all", "seed": s, "n": 10, "fit_s": 0.0,
             "predict_s": 0.0, "f1": v} for s, v in ((1, 0.9), (2, 0.8))]
    rows.append({"task": "t", "method": "m", "role": "method", "test": "all", "seed": 3, "n": 10,
                 "fit_s": math.nan, "predict_s": math.nan, "error": "ValueError: boom"})
    (e,) = [e for e in aggregate(rows, {"t": _task(metrics=["f1"])}) if e["metric"] == "f1"]
    assert math.isnan(e["value"]) and e["failed"] == 1 and e["errors"] == ["ValueError: boom"]


def test_the_positive_class_can_be_the_absent_truth():
    """Doubles in an is_single_hit task: truth, predictions and scores are turned towards them."""
    y = np.array([1, 1, 1, 0])  # three singles, one double
    pred = np.array([1, 1, 1, 0])  # the method calls the double a non-single
    out = score_predictions(None, None, y, pred, ["precision", "recall", "roc_auc"], positive=False,
                            score=np.array([0.9, 0.8, 0.7, 0.1]))  # higher = more single
    assert out["precision"] == 1.0 and out["recall"] == 1.0 and out["roc_auc"] == 1.0


def test_controls_are_estimators_that_answer_as_promised():
    rng = np.random.default_rng(1)
    frames = Frames(rng.poisson(5.0, size=(200, 8, 8)).astype(np.float32))
    counts = frame_counts(frames)
    assert_allclose(counts, frames.data.reshape(200, -1).sum(axis=1))
    y = (counts > np.median(counts)).astype(int)  # a truth the photon count decides exactly
    pc = PhotonCountControl(kind="binary").fit(frames, y)
    assert (pc.predict(frames) == y).mean() > 0.98 and M.roc_auc(y, pc.score_samples(frames)) == 1.0
    prev = CONTROLS["prevalence"](kind="binary", positive=False).fit(frames, y)
    assert set(prev.predict(frames)) == {0}  # "all positive" when the positive class is truth 0
    rnd = CONTROLS["random"](kind="binary", random_state=3).fit(frames, y)
    assert abs(rnd.predict(frames).mean() - y.mean()) < 0.12
    assert_allclose(M.roc_auc(y, rnd.score_samples(frames)), 0.5, atol=0.1)


class _Ranges:
    """Merged-MX stand-in: 2 data sets x 3 ranges, all in resolution and not blank."""

    def __init__(self):
        self.ranges = {"dataset_index": np.repeat([0, 1], 3), "range_index": np.tile([0, 1, 2], 2),
                       "in_resolution": np.ones(6, bool), "blank": np.zeros(6, bool),
                       "visible": np.array([1, 0, 1, 0, 0, 1], bool)}

    def __len__(self):
        return 2


class _Dodger:
    """Answers -1 ('beyond resolution') for every range it would get wrong."""

    def fit(self, data):
        return self

    def predict_ranges(self, data):
        return np.array([[1, -1, 1], [-1, -1, -1]], float)


def test_a_method_cannot_remove_ranges_from_its_own_score():
    (ev,) = score_ranges(_Dodger(), _Ranges(), "visible", ["recall", "precision"])
    assert ev.scores["n"] == 6  # every scored range counts; a -1 is a "no ice" call
    assert ev.scores["recall"] == pytest.approx(2 / 3)


def test_a_truth_reading_entry_is_never_listed_as_a_method():
    from diffbench.bench.runner import full_plan

    task = _task(methods={"ipca-envelope": {}}, oracles={"ipca-envelope@true-fraction":
                                                         {"method": "ipca-envelope", "contamination": "true-fraction"}})
    plan = full_plan(task, None, 1, np.array([1, 0, 1]), True)
    roles = {label: role for label, role, _ in plan}
    assert roles == {"prevalence": "control", "random": "control", "photon-count": "control",
                     "ipca-envelope@true-fraction": "oracle", "ipca-envelope": "method"}
    assert "photon-count" not in {label for label, _, _ in full_plan(task, None, 1, None, False)}


class _ManySets(_Ranges):
    """Merged-MX stand-in: 10 data sets x 3 ranges; data set k is icy (range 1 visible) when k is odd;
    range 2 of every data set is blanked at integration (never scored, never learnt from)."""

    def __init__(self):
        n = 10
        self.ranges = {"dataset_index": np.repeat(np.arange(n), 3), "range_index": np.tile([0, 1, 2], n),
                       "in_resolution": np.ones(3 * n, bool), "blank": np.tile([False, False, True], n),
                       "visible": np.tile([False, True, False], n) & np.repeat(np.arange(n) % 2 == 1, 3)}
        self.truth = {"label_ice": np.arange(n) % 2 == 1}

    def __len__(self):
        return 10

    def take(self, idx):
        return list(np.asarray(idx))  # the "data sets" are their indices


class _Learner:
    """A per-range learner: remembers its training labels; calls range 1 icy on odd data sets."""

    def __diffbench_tags__(self):
        from diffbench.methods.base import MethodTags

        return MethodTags(requires_y=True, input="merged-reflections", per_range=True)

    def fit(self, data, y):
        self.seen_ = (list(data), np.asarray(y))
        return self

    def predict_ranges(self, data):
        return np.array([[0, k % 2, np.nan] for k in data], float)

    def predict(self, data):
        return np.array([k % 2 for k in data])

    def score_samples(self, data):
        return np.array([k % 2 for k in data], float)


def test_split_range_tasks_train_on_some_data_sets_and_score_the_others():
    from diffbench.bench.ranges import range_labels

    data = _ManySets()
    labels = range_labels(data, "visible")
    assert labels.shape == (10, 3) and (labels[:, 2] == -1).all()  # blanked: not a label
    task = _task(split={"test_fraction": 0.5}, target="ranges.visible", metrics=["recall", "specificity", "roc_auc"])
    est = _Learner()
    per_range, per_set = score_ranges(est, data, "visible", task.metrics, task, seed=4)
    train, y = est.seen_
    test = sorted(set(range(10)) - set(train))
    assert len(train) == 5 and sum(k % 2 for k in train) in (2, 3)  # stratified on the data-set label
    assert (y == labels[train]).all()  # trained on the training data sets' range labels only
    assert per_range.test == "per range" and per_range.scores["n"] == 2 * len(test)
    assert per_range.scores["recall"] == 1.0 and per_range.scores["specificity"] == 1.0
    assert per_set.test == "per data set" and per_set.scores["n"] == len(test) == 5
    assert per_set.scores["roc_auc"] == 1.0
    # a control: fit on the training truth, scored on the same test data sets
    ctrl = CONTROLS["prevalence"](kind="binary")
    r, s = score_ranges(ctrl, data, "visible", task.metrics, task, seed=4)
    assert r.scores["n"] == per_range.scores["n"] and s.scores["n"] == 5 and s.scores["recall"] == 1.0

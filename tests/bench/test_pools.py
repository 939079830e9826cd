"""Pooled data sets (diffbench.bench.pools): merged-MX pools read as one collection, scored per pool."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from diffbench.bench.pools import PooledMX
from diffbench.bench.ranges import range_labels, score_ranges
from diffbench.bench.tasks import Task
from diffbench.io.mx import MXCollection
from diffbench.simulate.driver import simulate_to_file


@pytest.fixture(scope="module")
def two_pools(tmp_path_factory):
    out = {}
    for i, (name, extra) in enumerate((("low", "d_min_m=[2.0e-10, 2.6e-10]"), ("high", "d_min_m=[1.0e-10, 1.2e-10]"))):
        p = simulate_to_file("mx-ice-rings-v2", 6, tmp_path_factory.mktemp(name) / "mx.h5", seed=10 + i,
                             progress=False, overrides=["reflections=[2000, 3000]", "ice.probability=0.5", extra])
        out[name] = MXCollection(p)
    return out


def test_pooled_mx_reads_the_pools_as_one_collection(two_pools):
    pooled = PooledMX(two_pools)
    low, high = two_pools["low"], two_pools["high"]
    assert len(pooled) == 12 and list(pooled.truth["pool"]) == ["low"] * 6 + ["high"] * 6
    assert_array_equal(pooled.ranges["dataset_index"], np.repeat(np.arange(12), 25))
    assert_array_equal(pooled[7].i, high[1].i)  # data set 7 is the second of the second pool
    assert_array_equal(range_labels(pooled, "visible")[6:], range_labels(high, "visible"))
    assert [d.d_m.min() for d in pooled.take([0, 11])] == [low[0].d_m.min(), high[5].d_m.min()]


def test_a_group_split_scores_each_test_pool_after_training_on_the_others(two_pools):
    pooled = PooledMX(two_pools)
    task = Task.model_validate({"description": "t", "recipe": "r", "n": {"quick": 1}, "seeds": {"quick": [1]},
                                "target": "ranges.visible", "methods": {}, "metrics": ["recall", "specificity"],
                                "split": {"group": "pool", "test": {"high": ["high"]}}})

    class Rule:  # calls every in-resolution range icy on high-resolution data, none otherwise
        def fit(self, data):
            self.n_fit_ = len(data)
            return self

        def predict_ranges(self, data):
            return np.array([np.full(25, 1.0 if d.d_m.min() < 1.3e-10 else 0.0) for d in data])

        def predict(self, data):
            return np.array([int(d.d_m.min() < 1.3e-10) for d in data])

    rule = Rule()
    per_range, per_set = score_ranges(rule, pooled, "visible", task.metrics, task, seed=0)
    assert rule.n_fit_ == 6  # fit on the training pool only
    assert per_range.test == "high per range" and per_set.test == "high per data set"
    assert per_set.scores["n"] == 6 and per_set.scores["recall"] == 1.0
    assert per_range.scores["n"] == int((range_labels(two_pools["high"], "visible") >= 0).sum())

"""Truth rows spilled to disk during a run (memory flat in N) come back exactly."""

import numpy as np

from diffbench.simulate.truth import SpilledTable, table_dtype


def test_spilled_rows_round_trip_and_leave_nothing(tmp_path):
    dt = table_dtype({"index": np.int64, "label": "U8", "xy": (np.float64, 2)})
    rng = np.random.default_rng(0)
    batches = []
    with SpilledTable(tmp_path / "out.cxi", dt) as t:
        for n in (5, 0, 17):
            b = np.zeros(n, dt)
            b["index"] = rng.integers(0, 100, n)
            b["label"] = rng.choice(["single", "double", ""], n)
            b["xy"] = rng.normal(size=(n, 2))
            batches.append(b)
            t.append(b)
        assert t.path.name.startswith(".out.cxi.") and t.path.name.endswith(".truth.tmp")  # the lock's pattern
        np.testing.assert_array_equal(t.rows(), np.concatenate(batches))
    assert list(tmp_path.iterdir()) == []

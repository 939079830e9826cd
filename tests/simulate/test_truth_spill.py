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


def test_a_table_written_from_disk_is_the_file_written_from_memory(tmp_path, monkeypatch):
    """Byte for byte, also when it is gathered in several blocks."""
    import hashlib

    import h5py

    from diffbench.io import cxi

    monkeypatch.setattr(cxi, "TABLE_BLOCK_ROWS", 7)
    dt = table_dtype({"a": np.float64, "b": (np.int32, 3), "c": "S6"})
    rows = np.zeros(2000, dt)
    rows["a"] = np.arange(2000) * 0.5
    rows["b"] = np.arange(6000).reshape(2000, 3)
    rows["c"] = [b"x%d" % i for i in range(2000)]
    with SpilledTable(tmp_path / "t", dt) as t:
        for s in range(0, 2000, 300):
            t.append(rows[s:s + 300])
        for name, src in (("mem.h5", rows), ("disk.h5", t)):
            with h5py.File(tmp_path / name, "w", track_order=False) as f:
                cxi.write_table(f.create_group("g"), src)
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert digest(tmp_path / "mem.h5") == digest(tmp_path / "disk.h5")

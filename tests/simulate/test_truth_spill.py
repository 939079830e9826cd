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


def test_a_table_written_from_disk_stores_what_the_table_written_from_memory_stores(tmp_path, monkeypatch):
    """Every column the same: values, dtype, chunk shape and compression, also when it is written in
    several blocks (memory flat in N). The file's byte layout may differ (HDF5 allocates chunks as
    the writes come); its content does not."""
    import h5py

    from diffbench.io import cxi

    monkeypatch.setattr(cxi, "TABLE_BLOCK_ROWS", 7)
    dt = table_dtype({"a": np.float64, "b": (np.int32, 3), "c": "S6", "d": np.int8})
    rows = np.zeros(2000, dt)
    rows["a"] = np.arange(2000) * 0.5
    rows["b"] = np.arange(6000).reshape(2000, 3)
    rows["c"] = [b"x%d" % i for i in range(2000)]
    rows["d"][:500] = 1
    with SpilledTable(tmp_path / "t", dt) as t:
        for s in range(0, 2000, 300):
            t.append(rows[s:s + 300])
        for name, src in (("mem.h5", rows), ("disk.h5", t)):
            with h5py.File(tmp_path / name, "w") as f:
                cxi.write_table(f.create_group("g"), src)
    with h5py.File(tmp_path / "mem.h5") as m, h5py.File(tmp_path / "disk.h5") as d:
        assert sorted(m["g"]) == sorted(d["g"]) == ["a", "b", "c", "d"]
        for k in m["g"]:
            a, b = m["g"][k], d["g"][k]
            assert (a.dtype, a.shape, a.chunks, a.compression) == (b.dtype, b.shape, b.chunks, b.compression), k
            np.testing.assert_array_equal(a[()], b[()], err_msg=k)
            if a.chunks is not None:  # the same bytes in every chunk: the same data, filtered alike
                for i in range(a.id.get_num_chunks()):
                    off = a.id.get_chunk_info(i).chunk_offset
                    assert a.id.read_direct_chunk(off) == b.id.read_direct_chunk(off), (k, off)

"""Sharded generation: bit-identity with a single-process run, resume after kills, loud failures."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest
from numpy.testing import assert_array_equal

import diffbench
from diffbench.io.index import ShardError, file_sha256
from diffbench.recipes.catalogue import RecipeError
from diffbench.simulate.driver import simulate_to_file
from diffbench.simulate.shards import shard_dir, shard_ranges, simulate_sharded

RECIPE = "pr772-spi-v6"
SMALL = ["detector.preset=square-64"]
N = 23  # not a multiple of the shard sizes used below


def _same(a_path, b_path):
    """Frames and every truth array equal (NaN == NaN)."""
    with diffbench.open_dataset(a_path) as a, diffbench.open_dataset(b_path) as b:
        assert a.shape == b.shape
        assert_array_equal(a.patterns[:], b.patterns[:])
        for table in ("truth", "particles"):
            ta, tb = getattr(a, table), getattr(b, table)
            assert ta.keys() == tb.keys()
            for k in ta:
                assert_array_equal(ta[k], tb[k], err_msg=f"{table}/{k}")


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """The reference: one process, one file."""
    out = tmp_path_factory.mktemp("single") / "single.cxi"
    simulate_to_file(RECIPE, N, out, seed=5, overrides=SMALL, progress=False)
    return out


def _hashes(index):
    folder = shard_dir(index)
    return {p.name: file_sha256(p) for p in sorted(folder.glob("shard-*.cxi"))}


def test_shard_ranges_cover_everything_once():
    r = shard_ranges(23, 5)
    assert [b - a for _, a, b in r] == [5, 5, 5, 5, 3]
    assert r[0][1] == 0 and r[-1][2] == 23 and all(r[i][2] == r[i + 1][1] for i in range(len(r) - 1))


def test_in_process_shards_match_single_file(tmp_path, single):
    s = simulate_sharded(RECIPE, N, tmp_path / "idx.cxi", shard_size=5, seed=5, overrides=SMALL, progress=False)
    assert s["shards"] == 5 and s["shards_written"] == 5
    _same(tmp_path / "idx.cxi", single)


def test_shard_size_does_not_change_the_data(tmp_path, single):
    simulate_sharded(RECIPE, N, tmp_path / "idx.cxi", shard_size=10, seed=5, overrides=SMALL, progress=False)
    _same(tmp_path / "idx.cxi", single)


def test_local_pool_and_dask_give_the_same_bytes(tmp_path, single):
    """Same shard files (SHA-256) from in-process, a 2-process pool and a 2-process Dask LocalCluster."""
    pytest.importorskip("dask.distributed")
    runs = {}
    for label, kw in [("inproc", {}), ("pool", {"workers": 2}), ("dask", {"scheduler": "local:2"})]:
        idx = tmp_path / label / "idx.cxi"
        idx.parent.mkdir()
        simulate_sharded(RECIPE, N, idx, shard_size=6, seed=5, overrides=SMALL, progress=False, **kw)
        runs[label] = _hashes(idx)
        _same(idx, single)
    differ = {(a, b): sorted(k for k in runs[a] if runs[a][k] != runs[b].get(k))
              for a, b in (("inproc", "pool"), ("inproc", "dask"), ("pool", "dask"))}
    detail = {(a, b, k): _h5_differences(shard_dir(tmp_path / a / "idx.cxi") / k, shard_dir(tmp_path / b / "idx.cxi") / k)
              for (a, b), ks in differ.items() for k in ks}
    assert not any(differ.values()), f"shard files differ between engines: {differ}; where: {detail}"


def _h5_differences(a_path, b_path) -> list[str]:
    """What differs between two HDF5 files: object paths whose values or attributes differ, and the
    file sizes (when every object is equal, the difference is in the file layout only)."""
    out = []
    with h5py.File(a_path, "r") as a, h5py.File(b_path, "r") as b:
        names = []
        a.visit(names.append)
        for name in [""] + names:
            x, y = (a[name], b.get(name)) if name else (a, b)
            if y is None:
                out.append(f"{name}: missing")
                continue
            if dict(x.attrs).keys() != dict(y.attrs).keys() or any(
                    np.any(np.asarray(x.attrs[k]) != np.asarray(y.attrs[k])) for k in x.attrs):
                out.append(f"{name or '/'}: attributes")
            if isinstance(x, h5py.Dataset) and not np.array_equal(x[()], y[()], equal_nan=x.dtype.kind == "f"):
                out.append(f"{name}: values")
    out.append(f"sizes {Path(a_path).stat().st_size} / {Path(b_path).stat().st_size}")
    return out


def test_index_reads_with_plain_h5py_from_another_directory(tmp_path, single, monkeypatch):
    idx = tmp_path / "idx.cxi"
    simulate_sharded(RECIPE, N, idx, shard_size=7, seed=5, overrides=SMALL, progress=False)
    monkeypatch.chdir("/")
    import hdf5plugin  # noqa: F401

    with h5py.File(idx, "r") as f, diffbench.open_dataset(single) as ref:
        assert_array_equal(f["/entry_1/data_1/data"][:], ref.patterns[:])
        assert_array_equal(f["/entry_1/sample_1/truth/photons_total"][:], ref.truth["photons_total"])
        assert_array_equal(f["/entry_1/sample_1/truth/particles/pattern_index"][:], ref.particles["pattern_index"])


def test_deleted_shard_is_detected_and_named(tmp_path):
    idx = tmp_path / "idx.cxi"
    simulate_sharded(RECIPE, N, idx, shard_size=7, seed=5, overrides=SMALL, progress=False)
    victim = shard_dir(idx) / "shard-000002.cxi"
    victim.unlink()
    with pytest.raises(ShardError, match="shard-000002.cxi .*missing"):
        diffbench.open_dataset(idx)
    # what the check protects against: HDF5 silently returns the fill value
    with diffbench.open_dataset(idx, verify="none") as d:
        assert (d.patterns[14:21] == np.iinfo(d.patterns.dtype).max).all()


def test_corrupted_shard_is_detected_and_named(tmp_path):
    idx = tmp_path / "idx.cxi"
    simulate_sharded(RECIPE, N, idx, shard_size=7, seed=5, overrides=SMALL, progress=False)
    victim = shard_dir(idx) / "shard-000001.cxi"
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte, same size
    victim.write_bytes(bytes(raw))
    with pytest.raises(ShardError, match="shard-000001.cxi .*altered"):
        diffbench.open_dataset(idx)


def test_resume_regenerates_only_missing_or_bad_shards(tmp_path, single):
    idx = tmp_path / "idx.cxi"
    simulate_sharded(RECIPE, N, idx, shard_size=5, seed=5, overrides=SMALL, progress=False)
    before = _hashes(idx)
    (shard_dir(idx) / "shard-000001.cxi").unlink()
    bad = shard_dir(idx) / "shard-000003.cxi"
    bad.write_bytes(bad.read_bytes()[:-10])
    s = simulate_sharded(RECIPE, N, idx, shard_size=5, seed=5, overrides=SMALL, progress=False)
    assert (s["shards_written"], s["shards_kept"]) == (2, 3)
    assert _hashes(idx) == before
    _same(idx, single)


def test_resume_refuses_a_different_run(tmp_path):
    idx = tmp_path / "idx.cxi"
    simulate_sharded(RECIPE, N, idx, shard_size=5, seed=5, overrides=SMALL, progress=False)
    with pytest.raises(RecipeError, match="different run .*seed"):
        simulate_sharded(RECIPE, N, idx, shard_size=5, seed=6, overrides=SMALL, progress=False)


def _cli(idx, *extra):
    return [sys.executable, "-m", "diffbench.cli.main", "simulate", RECIPE, "-n", str(N), "-o", str(idx),
            "--seed", "5", "--shard-size", "2", "--quiet", "--set", SMALL[0], *extra]


def _wait_for_shards(idx, k, proc, timeout=120):
    manifest = shard_dir(idx) / "manifest.json"
    t0 = time.time()
    while time.time() - t0 < timeout:
        if manifest.is_file():
            try:
                if len(json.loads(manifest.read_text())["shards"]) >= k:
                    return
            except (json.JSONDecodeError, KeyError):
                pass
        assert proc.poll() is None, "the run ended before it could be interrupted"
        time.sleep(0.05)
    raise AssertionError("no shard finished in time")


def _children(pid):
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def test_client_killed_mid_run_then_resumed(tmp_path, single):
    idx = tmp_path / "idx.cxi"
    proc = subprocess.Popen(_cli(idx), start_new_session=True)
    _wait_for_shards(idx, 2, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not idx.exists()  # no index that looks complete
    done = len(json.loads((shard_dir(idx) / "manifest.json").read_text())["shards"])
    assert 2 <= done < 12
    assert subprocess.run(_cli(idx)).returncode == 0
    _same(idx, single)


def test_worker_killed_mid_run_then_resumed(tmp_path, single):
    idx = tmp_path / "idx.cxi"
    proc = subprocess.Popen(_cli(idx, "--workers", "2"), stderr=subprocess.PIPE, text=True)
    _wait_for_shards(idx, 1, proc)
    workers = [pid for pid in _children(proc.pid)
               if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")]
    assert workers, "no worker processes found"
    os.kill(workers[0], signal.SIGKILL)
    err = proc.communicate(timeout=120)[1]
    if proc.returncode != 0:  # the usual case: the pool breaks and the client says how to resume
        assert proc.returncode == 1 and "re-run the same command to resume" in err
    assert subprocess.run(_cli(idx, "--workers", "2")).returncode == 0
    _same(idx, single)


def test_benchmark_workers_share_the_cores_between_their_thread_pools():
    """K workers with a thread pool of every core each oversubscribe the machine (measured 2.4x slower
    for two benchmark cells): with share_cores each worker's OpenMP/BLAS/numba pools get cores // K."""
    import os

    from diffbench.simulate.executors import THREAD_VARS, make_executor

    ex = make_executor(2, share_cores=True)
    try:
        got = [f.result() for f in [ex.submit(os.getenv, v) for v in THREAD_VARS]]
    finally:
        ex.close()
    assert got == [str(max(1, (os.cpu_count() or 1) // 2))] * len(THREAD_VARS)
    assert "thread" in ex.describe()

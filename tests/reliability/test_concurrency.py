"""One writer per output, and a run clears what crashed runs of the same output left behind."""

import multiprocessing as mp

from diffbench.cli.main import main
from diffbench.utils.atomic import output_lock

ARGS = ["simulate", "sphere-calibration-v2", "-n", "2", "--set", "detector.preset=square-64", "--quiet"]


def test_a_second_writer_of_the_same_output_is_refused(tmp_path, capsys):
    out = tmp_path / "o.cxi"
    with output_lock(out):  # a run in progress
        assert main(ARGS + ["-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert "another diffbench run is writing it" in err and len(err.strip().splitlines()) == 1
        assert not out.exists()
    assert main(ARGS + ["-o", str(out)]) == 0  # once it is done, the output is free again
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.cxi"]  # no lock or temporary left


def test_a_run_clears_what_a_crashed_run_of_its_output_left(tmp_path):
    out = tmp_path / "o.cxi"
    (tmp_path / ".o.cxi.abc123.tmp").write_bytes(b"half a file")  # a killed writer's temporary
    (tmp_path / ".o.cxi.parts.xyz").mkdir()  # a killed --workers run's part folder
    (tmp_path / ".other.cxi.abc.tmp").write_bytes(b"")  # another output's: not ours to remove
    assert main(ARGS + ["-o", str(out), "--workers", "2"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.cxi.abc.tmp", "o.cxi"]


def _hold(path, ready, release):
    with output_lock(path):
        ready.set()
        release.wait(30)


def test_the_lock_holds_between_processes(tmp_path, capsys):
    ctx = mp.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    p = ctx.Process(target=_hold, args=(tmp_path / "o.cxi", ready, release))
    p.start()
    try:
        assert ready.wait(30)
        assert main(ARGS + ["-o", str(tmp_path / "o.cxi")]) == 2
        assert "another diffbench run" in capsys.readouterr().err
    finally:
        release.set()
        p.join(30)


def _build_once(cache, log, ready):
    import os
    import time

    import numpy as np

    from diffbench.simulate.spi.volume import ReciprocalVolume, cached

    os.environ["DIFFBENCH_CACHE_DIR"] = str(cache)

    def build():
        with open(log, "a") as f:
            f.write("built\n")
        time.sleep(0.5)  # long enough that the other process asks while this one builds
        return ReciprocalVolume(np.ones((3, 3, 3), np.float32), 1.0, False, 1e-8, {})

    ready.wait(30)
    return float(cached({"test": "entry"}, build).data.sum())


def test_one_process_builds_a_volume_the_others_wait_and_read_it(tmp_path):
    """Two processes asking for the same uncached volume: one builds, the other reads its result;
    the temporaries of a build that was killed are cleared by the next builder."""
    from concurrent.futures import ProcessPoolExecutor

    from diffbench.simulate.spi.volume import cache_key

    vols = tmp_path / "volumes"
    vols.mkdir()
    stale = vols / f".{cache_key({'test': 'entry'})}.npy.dead.tmp"  # a killed build's temporary
    stale.write_bytes(b"partial")
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        ready = manager.Event()
        with ProcessPoolExecutor(2, mp_context=ctx) as pool:
            futs = [pool.submit(_build_once, tmp_path, tmp_path / "log", ready) for _ in range(2)]
            ready.set()
            assert [f.result(timeout=60) for f in futs] == [27.0, 27.0]
    assert (tmp_path / "log").read_text() == "built\n"
    assert sorted(p.name for p in vols.iterdir() if p.name.startswith(".")) == []  # no lock, no temporary

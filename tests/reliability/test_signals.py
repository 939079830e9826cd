"""Signals and kills: a stopped run stops at once, takes its workers with it, leaves no temporary
and leaves the previous good output byte for byte (issue 21, items 11-12).

Each test runs the real command in a subprocess (its own session, so the signal reaches only it)
and stops it at a chosen moment, found by watching the file system, never by sleeping.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from diffbench.cli.main import main
from diffbench.simulate import executors

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process trees from /proc")

SMALL = ["--set", "detector.preset=square-64", "--quiet"]
#: long enough that a run is always still busy when it is stopped (it is stopped within seconds)
LONG = ["simulate", "chaperonin-90-v7", "-n", "2000000", *SMALL]
GOOD = ["simulate", "sphere-calibration-v2", "-n", "2", *SMALL]


def _default_signals():
    # a test run started in the background of a non-interactive shell (as CI may start it) inherits
    # SIGINT ignored, and Python then never raises KeyboardInterrupt: give the run the default, as a
    # terminal would
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(args):
    return subprocess.Popen([sys.executable, "-m", "diffbench.cli.main", *args], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_default_signals)


def _wait(predicate, proc, what, timeout=120):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if predicate():
            return
        assert proc.poll() is None, f"the run ended before {what}: {proc.stderr.read()}"
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _children(pid):
    """Live child processes of ``pid`` (from /proc)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.append(int(stat.parent.name))
    return kids


def _alive(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _good_file(folder):
    out = folder / "o.cxi"
    assert main(GOOD + ["-o", str(out)]) == 0
    return out, out.read_bytes()


def _workers_busy(folder):
    """Both workers have written into the part folder of a ``--workers 2`` run."""
    return lambda: any(len(list(p.iterdir())) >= 2 for p in folder.glob(".o.cxi.parts.*"))


@pytest.mark.parametrize("sig, code, word", [(signal.SIGTERM, 143, "terminated"),
                                             (signal.SIGINT, 130, "interrupted")])
def test_a_signal_stops_a_run_with_workers_at_once(sig, code, word, tmp_path):
    out, before = _good_file(tmp_path)
    proc = _start(LONG + ["--workers", "2", "-o", str(out)])
    _wait(_workers_busy(tmp_path), proc, "the workers started writing")
    workers = _children(proc.pid)
    t0 = time.time()
    proc.send_signal(sig)
    err = proc.communicate(timeout=30)[1]
    assert time.time() - t0 < 10, "stopping took longer than 10 s"
    assert proc.returncode == code
    lines = [ln for ln in err.splitlines() if ln.strip() and "resource_tracker" not in ln and "warnings.warn" not in ln]
    assert len(lines) == 1 and word in lines[0], err
    deadline = time.time() + 5
    while any(_alive(p) for p in workers) and time.time() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in workers), "a worker outlived its client"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.cxi"]  # no temporary, part folder or lock
    assert out.read_bytes() == before


@pytest.mark.parametrize("workers", [1, 2])
def test_a_killed_client_takes_its_workers_and_the_next_run_clears_up(workers, tmp_path):
    out, before = _good_file(tmp_path)
    proc = _start(LONG + ["--workers", str(workers), "-o", str(out)])
    if workers == 1:  # the moment: the new file is being written beside the good one
        _wait(lambda: any(tmp_path.glob(".o.cxi.*.tmp")), proc, "the temporary file appeared")
    else:
        _wait(_workers_busy(tmp_path), proc, "the workers started writing")
    kids = _children(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    deadline = time.time() + 10 * executors.PARENT_POLL_S + 5
    while any(_alive(p) for p in kids) and time.time() < deadline:
        time.sleep(0.05)
    assert not any(_alive(p) for p in kids), "a worker or the resource tracker outlived a killed client"
    assert out.read_bytes() == before  # kill -9 cannot clean up, but it never touches the good file
    assert main(GOOD + ["-o", str(out)]) == 0  # the next run of the output clears what the killed one left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.cxi"]


def test_dask_scratch_of_dead_clients_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(executors.tempfile, "gettempdir", lambda: str(tmp_path))
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"{executors.SCRATCH_PREFIX}{int(done.stdout)}-abc"
    live = tmp_path / f"{executors.SCRATCH_PREFIX}{os.getppid()}-def"  # a running client's: kept
    for d in (dead, live):
        (d / "worker-1").mkdir(parents=True)
    new = executors.scratch_dir()
    assert new.is_dir() and new.name.startswith(f"{executors.SCRATCH_PREFIX}{os.getpid()}-")
    assert not dead.exists() and live.exists()


def test_a_dask_run_leaves_no_scratch_behind(tmp_path):
    pytest.importorskip("dask.distributed")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    out = tmp_path / "i.cxi"
    proc = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "simulate", "sphere-calibration-v2", "-n", "4",
                           *SMALL, "--shard-size", "2", "--scheduler", "local:1", "-o", str(out)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert list(scratch.iterdir()) == []  # neither dask-scratch-space nor our per-client folder

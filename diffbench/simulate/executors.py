"""Where shards run: a local process pool (default, no extra dependency) or Dask distributed.

Both expose the same three calls: ``submit(fn, *args)`` → future, ``as_completed(futures)`` and
``close()``; tasks receive paths and recipe text only, never open files. ``--scheduler`` takes a
Dask address (``tcp://host:8786``) or ``local:K`` to start a LocalCluster of K single-threaded
worker processes on this machine.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

#: How often a worker checks that its client is alive (s): a killed client's workers stop within it.
PARENT_POLL_S = 0.2


def _exit_when_orphaned(parent_pid: int) -> None:
    """Worker side: end this process as soon as ``parent_pid`` is no longer its parent.

    A client killed with SIGKILL cannot stop its workers; without this they would run to the end
    of their task, write files nobody collects and hold the client's stdout open (anything reading
    it would hang). Polling ``getppid`` is portable (no prctl) and costs nothing measurable.
    """
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(PARENT_POLL_S)


#: Environment variables that size the thread pools of OpenMP (numba, torch), BLAS and numba.
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


def worker_init(parent_pid: int, threads: int | None = None) -> None:
    """Initializer of every worker process: the client alone decides on Ctrl-C (the whole process
    group receives SIGINT; workers would each print a traceback), and the worker dies with it.

    threads : the thread pools' size in this worker (None: the libraries' defaults, one thread per
        core). K workers with a pool of every core each oversubscribe the machine: two benchmark
        cells with torch and numba on two threads each ran 2.4x slower than one after the other.
        Set before the worker imports any of them (a spawned worker has imported nothing yet).
    """
    if threads is not None:
        for var in THREAD_VARS:
            os.environ[var] = str(int(threads))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True,
                     name="diffbench-orphan-watch").start()


class LocalPool:
    """K spawned worker processes on this machine (spawn: numba threads and fork do not mix).

    Workers die with the client (killed or not) and :meth:`close` with ``cancel=True`` terminates
    running tasks at once instead of letting them finish and write more files.
    """

    def __init__(self, workers: int, threads_per_worker: int | None = None):
        self.workers = int(workers)
        self.threads_per_worker = threads_per_worker
        self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                            initializer=worker_init, initargs=(os.getpid(), threads_per_worker))

    def submit(self, fn, *args):
        return self._pool.submit(fn, *args)

    @staticmethod
    def as_completed(futures):
        return cf.as_completed(futures)

    def close(self, cancel: bool = False):
        if cancel:
            # Python 3.11 has no ProcessPoolExecutor.terminate_workers (3.14): end the processes
            # ourselves, then shut down without waiting for tasks that will never report.
            procs = list((getattr(self._pool, "_processes", None) or {}).values())
            for p in procs:
                p.terminate()
            self._pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:
                p.join(timeout=5)
        else:
            self._pool.shutdown(wait=True)

    def describe(self) -> str:
        threads = f" of {self.threads_per_worker} thread(s)" if self.threads_per_worker else ""
        return f"local process pool, {self.workers} workers{threads}"


class DaskExecutor:
    """Run tasks on a Dask distributed cluster (``diffbench[dask]``).

    address : ``tcp://host:port`` of a running scheduler, or ``local:K`` for a LocalCluster of K
        processes with one thread each (dashboard off).
    """

    def __init__(self, address: str):
        from diffbench.utils.optional import require

        distributed = require("dask.distributed", "--scheduler")
        Client, LocalCluster = distributed.Client, distributed.LocalCluster
        self.address = address
        self._cluster = None
        self._scratch = None
        self._futures = []
        if address.startswith("local:"):
            try:
                k = int(address.split(":", 1)[1])
            except ValueError:
                k = 0
            if k < 1:
                raise ValueError(f"--scheduler local:K needs K >= 1, got {address!r}")
            import dask

            self._scratch = scratch_dir()
            # the scheduler's scratch too (it ignores local_directory): nothing in a shared dask-scratch-space
            with dask.config.set({"temporary-directory": str(self._scratch)}):
                self._cluster = LocalCluster(n_workers=k, threads_per_worker=1, processes=True,
                                             dashboard_address=None, local_directory=str(self._scratch))
                self._client = Client(self._cluster)
        else:
            if "://" not in address:
                raise ValueError(f"--scheduler must be tcp://host:port or local:K, got {address!r}")
            self._client = Client(address, timeout=30)
        self.workers = len(self._client.scheduler_info().get("workers", {}))

    def submit(self, fn, *args):
        fut = self._client.submit(fn, *args, pure=False)
        self._futures.append(fut)
        return fut

    @staticmethod
    def as_completed(futures):
        from dask.distributed import as_completed

        return as_completed(futures)

    def close(self, cancel: bool = False):
        if cancel:
            try:
                self._client.cancel(self._futures, force=True)
            except Exception:  # noqa: BLE001 - best effort while stopping; close() below still runs
                pass
        if self._cluster is None:
            self._client.close()
        else:
            # our own LocalCluster going down: its workers' connection errors while they stop are
            # logged by distributed as tracebacks after a good run; they say nothing to the user
            import logging

            loggers = [logging.getLogger(n) for n in ("distributed", "tornado")]
            levels = [lg.level for lg in loggers]
            for lg in loggers:
                lg.setLevel(logging.CRITICAL)
            try:
                self._client.close()
                self._cluster.close()
            finally:
                for lg, level in zip(loggers, levels):
                    lg.setLevel(level)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

    def describe(self) -> str:
        return f"Dask {self.address}, {self.workers} workers"


SCRATCH_PREFIX = "diffbench-dask-"


def scratch_dir() -> Path:
    """A new scratch folder for a LocalCluster's workers (``diffbench-dask-PID-*`` in the system's
    temporary folder), after removing those of clients that no longer run: Dask's default
    ``dask-scratch-space`` is shared by every run and outlives a killed one."""
    base = Path(tempfile.gettempdir())
    for old in base.glob(SCRATCH_PREFIX + "*"):
        try:
            pid = int(old.name[len(SCRATCH_PREFIX):].split("-", 1)[0])
        except ValueError:
            continue
        if not _alive(pid):
            shutil.rmtree(old, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=base))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def make_executor(workers: int = 1, scheduler: str | None = None, share_cores: bool = False):
    """The executor for ``--workers K`` or ``--scheduler ADDRESS`` (None for in-process).

    share_cores : give each of the K local workers ``cores // K`` threads (benchmark cells, whose
        torch, numba and BLAS pools would otherwise each take every core).
    """
    if scheduler:
        return DaskExecutor(scheduler)
    if workers > 1:
        threads = max(1, (os.cpu_count() or 1) // int(workers)) if share_cores else None
        return LocalPool(workers, threads)
    return None

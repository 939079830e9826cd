"""Where shards run: a local process pool (default, no extra dependency) or Dask distributed.

Both expose the same three calls: ``submit(fn, *args)`` → future, ``as_completed(futures)`` and
``close()``; tasks receive paths and recipe text only, never open files. ``--scheduler`` takes a
Dask address (``tcp://host:8786``) or ``local:K`` to start a LocalCluster of K single-threaded
worker processes on this machine.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp


class LocalPool:
    """K spawned worker processes on this machine (spawn: numba threads and fork do not mix)."""

    def __init__(self, workers: int):
        self.workers = int(workers)
        self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"))

    def submit(self, fn, *args):
        return self._pool.submit(fn, *args)

    @staticmethod
    def as_completed(futures):
        return cf.as_completed(futures)

    def close(self, cancel: bool = False):
        self._pool.shutdown(wait=not cancel, cancel_futures=cancel)

    def describe(self) -> str:
        return f"local process pool, {self.workers} workers"


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
        if address.startswith("local:"):
            try:
                k = int(address.split(":", 1)[1])
            except ValueError:
                k = 0
            if k < 1:
                raise ValueError(f"--scheduler local:K needs K >= 1, got {address!r}")
            self._cluster = LocalCluster(n_workers=k, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self._client = Client(self._cluster)
        else:
            if "://" not in address:
                raise ValueError(f"--scheduler must be tcp://host:port or local:K, got {address!r}")
            self._client = Client(address, timeout=30)
        self.workers = len(self._client.scheduler_info().get("workers", {}))

    def submit(self, fn, *args):
        return self._client.submit(fn, *args, pure=False)

    @staticmethod
    def as_completed(futures):
        from dask.distributed import as_completed

        return as_completed(futures)

    def close(self, cancel: bool = False):
        self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def describe(self) -> str:
        return f"Dask {self.address}, {self.workers} workers"


def make_executor(workers: int = 1, scheduler: str | None = None):
    """The executor for ``--workers K`` or ``--scheduler ADDRESS`` (None for in-process)."""
    if scheduler:
        return DaskExecutor(scheduler)
    if workers > 1:
        return LocalPool(workers)
    return None

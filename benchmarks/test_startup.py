"""Process start-up: a warm one-pattern ``diffbench simulate``, next to numba's own floor.

Every process, worker and shard pays its start-up, and at 10⁴ frames it is a third of a small
detector's run. The floor is what numba alone costs before any diffbench code: ``import numba``
and the first call of a trivial cached ``@njit`` function (which loads numba's type registries
and, through its BLAS check, scipy.linalg). diffbench cannot start faster than that while its
kernels are numba functions. Fresh processes, caches warm (volume cache, numba cache and the
package's bytecode: the ``warm_bytecode`` fixture).
"""

import os
import subprocess
import sys
import time

import pytest

TINY = """
import numba
@numba.njit(cache=True)
def f(x):
    return x + 1
f(1)
"""


def _wall(cmd, env) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


@pytest.fixture
def numba_cache_env(tmp_path):
    return dict(os.environ, NUMBA_CACHE_DIR=os.environ.get("NUMBA_CACHE_DIR", str(tmp_path / "numba-cache")))


def test_numba_floor(benchmark, tmp_path, numba_cache_env, timed, warm_bytecode):
    script = tmp_path / "tiny.py"
    script.write_text(TINY)
    cmd = [sys.executable, str(script)]
    _wall(cmd, numba_cache_env)  # compile once into the cache
    benchmark.pedantic(_wall, args=(cmd, numba_cache_env), rounds=5 if timed else 1)


def test_one_pattern_run(benchmark, tmp_path, numba_cache_env, timed, warm_bytecode):
    out = tmp_path / "one.cxi"
    cmd = [sys.executable, "-m", "diffbench.cli.main", "simulate", "chaperonin-90-v7", "-n", "1", "-o", str(out),
           "--quiet"]
    _wall(cmd, numba_cache_env)  # volume cache and kernels, outside the timing
    benchmark.pedantic(_wall, args=(cmd, numba_cache_env), rounds=5 if timed else 1)
    assert out.exists()

"""Speed benchmarks (pytest-benchmark). `make test` runs each once, untimed (--benchmark-disable),
as a correctness check on small sizes; `make bench` times them at the sizes the issue names.

Set DIFFBENCH_BENCH_FULL=1 for the paper-scale sizes (e.g. 100,000 GroEL patterns for peak RSS).
"""

import os

import pytest

FULL = os.environ.get("DIFFBENCH_BENCH_FULL") == "1"


@pytest.fixture(scope="session", autouse=True)
def _volume_cache(tmp_path_factory):
    if "DIFFBENCH_CACHE_DIR" not in os.environ:
        os.environ["DIFFBENCH_CACHE_DIR"] = str(tmp_path_factory.mktemp("volume-cache"))
    yield


@pytest.fixture
def timed(request):
    """True when pytest-benchmark actually times (not --benchmark-disable)."""
    return not request.config.getoption("benchmark_disable")

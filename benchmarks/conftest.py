"""Speed benchmarks (pytest-benchmark). `make test` runs each once, untimed (--benchmark-disable),
as a correctness check on small sizes; `make bench` times them at the sizes the issue names.

Set DIFFBENCH_BENCH_FULL=1 for the paper-scale sizes (e.g. 100,000 GroEL patterns for peak RSS).
"""

import os

import pytest

FULL = os.environ.get("DIFFBENCH_BENCH_FULL") == "1"


@pytest.fixture
def timed(request):
    """True when pytest-benchmark actually times (not --benchmark-disable)."""
    return not request.config.getoption("benchmark_disable")

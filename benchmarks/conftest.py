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


@pytest.fixture(scope="session")
def warm_bytecode():
    """The package's ``.pyc`` files, written where none is up to date, as any warm install has them.

    Python reads them even where ``PYTHONDONTWRITEBYTECODE`` is set, as on this VM; there a fresh
    process would otherwise compile every diffbench module from source (~0.3 s of a one-pattern
    ``diffbench simulate`` here): a cost of the machine, not of diffbench. Benchmarks that time
    fresh processes use this fixture."""
    import compileall
    from pathlib import Path

    import diffbench

    compileall.compile_dir(str(Path(diffbench.__file__).parent), quiet=1)

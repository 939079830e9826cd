"""The whole quick tier of the benchmark (issue 22: within 15 minutes on 2 cores; 13:14 measured
before the neural methods). With them (issues 25, 27: the single-hit CNNs and their post-filters,
the few-shot task, Helcaraxe, the MX domain-shift task, the ED CNN) the tier takes 28:45 on 2
workers of one thread each (every cell queued at once; 36:16 before the ED CNN's quick
configuration was cut): it does not meet that budget on 2 CPU cores. Every task that is not
marked saturated had a method clear its controls on every test set in that run. Timed once with
DIFFBENCH_BENCH_FULL=1 (it simulates every task's data); `make test` skips it.

    DIFFBENCH_BENCH_FULL=1 pytest benchmarks/test_quick_tier.py --benchmark-only

It also checks the tier's promise: on every task that is not marked ``saturated``, some method's
primary-metric interval clears the best non-oracle control.
"""

import json
import os

import pytest

from diffbench.cli.main import main

FULL = os.environ.get("DIFFBENCH_BENCH_FULL") == "1"


@pytest.mark.skipif(not FULL, reason="the whole quick tier: set DIFFBENCH_BENCH_FULL=1 (~30 minutes on 2 cores)")
def test_quick_tier(benchmark, tmp_path):
    from diffbench.bench.tasks import load_tasks

    out = tmp_path / "quick"
    code = benchmark.pedantic(main, args=(["bench", "--tier", "quick", "--workers", "2", "-o", str(out)],), rounds=1, iterations=1)
    assert code == 0
    results = json.loads((out / "scorecard.json").read_text())["results"]
    for name, task in load_tasks().items():
        if task.saturated:
            continue
        tests = {r["test"] for r in results if r["task"] == name}
        for test in tests:
            beats = [r["beats_controls"] for r in results if r["task"] == name and r["test"] == test
                     and r["role"] == "method" and r.get("primary")]
            assert any(beats), f"{name} / {test}: no method clears the controls"

"""The whole quick tier of the benchmark (issue 22: within 15 minutes on 2 cores; 13:14 measured
before the neural methods). With them (issues 25, 27: the single-hit CNNs and their post-filters,
the few-shot task, Helcaraxe, the MX domain-shift task, the ED CNN) it took 28:45 on 2 workers of
one thread each; after the cuts (3 seeds for the tasks that train networks; mx-ice-helcaraxe,
chaperonin-90/95 in the paper tier only; no paper-000 CNN on the ice task, whose crop never reaches
the rings; networks answer the same inputs once; network cells queued first) it takes 14:33 and
15:30 in two runs (the VM drifts ±25 %), without the real phenix.xtriage (cctbx is not part of the
install; it adds about 140 s). With issue 26's tasks and the PR772 downstream and orientation tasks
it took 15:14, then 18:00 (a quiet run; the EMC is 6-17x faster, the PR772 tasks add about 1.5 minutes
of the difference, VM drift the rest). Timed once with DIFFBENCH_BENCH_FULL=1 (it simulates every task's
data); `make test` skips it.

    DIFFBENCH_BENCH_FULL=1 pytest benchmarks/test_quick_tier.py --benchmark-only

It also checks the tier's promise: on every task that is not marked ``saturated``, some method's
primary-metric interval clears the best non-oracle control.
"""

import json
import os

import pytest

from diffbench.cli.main import main

FULL = os.environ.get("DIFFBENCH_BENCH_FULL") == "1"


@pytest.mark.skipif(not FULL, reason="the whole quick tier: set DIFFBENCH_BENCH_FULL=1 (~15 minutes on 2 cores)")
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

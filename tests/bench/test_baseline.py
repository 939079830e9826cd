"""CI smoke subset of the quick tier: a fresh run must not regress against the committed baseline
(benchmarks/baseline-smoke.json, made by the same command: diffbench bench chaperonin-90-outliers
pr772-size --n 300 --seeds 1 -o OUT, then OUT/scorecard.json copied). The whole quick tier has its own
baseline, benchmarks/baseline-quick.json (diffbench bench --tier quick)."""

import json
from pathlib import Path

import pytest

from diffbench.bench.runner import compare
from diffbench.cli.main import main

pytest.importorskip("sklearn")
BASELINE = Path(__file__).resolve().parents[2] / "benchmarks" / "baseline-smoke.json"


def test_smoke_subset_does_not_regress(tmp_path):
    out = tmp_path / "bench"
    assert main(["bench", "chaperonin-90-outliers", "pr772-size", "--n", "300", "--seeds", "1", "-o", str(out),
                 "--compare", str(BASELINE)]) == 0
    fresh = json.loads((out / "scorecard.json").read_text())["results"]
    base = json.loads(BASELINE.read_text())["results"]
    assert {(r["task"], r["method"], r["metric"]) for r in fresh} == {(r["task"], r["method"], r["metric"]) for r in base}
    # the datasets are deterministic: with the same diffbench the scores are equal, not just close
    assert compare(fresh, base, tolerance=1e-9) == []

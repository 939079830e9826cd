"""CI smoke subset of the quick tier: a fresh run must not regress against the committed baseline
(benchmarks/baseline-smoke.json, made by the same command: diffbench bench chaperonin-80-outliers
chaperonin-xfel-outliers pr772-size --n 300 --seeds 1 -o OUT, then OUT/scorecard.json copied). The whole quick tier has its own
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
    assert main(["bench", "chaperonin-80-outliers", "chaperonin-xfel-outliers", "pr772-size", "--n", "300",
                 "--seeds", "1", "-o", str(out), "--compare", str(BASELINE)]) == 0
    fresh = json.loads((out / "scorecard.json").read_text())["results"]
    base = json.loads(BASELINE.read_text())["results"]
    keys = lambda rs: {(r["task"], r["method"], r["test"], r["metric"]) for r in rs}  # noqa: E731
    assert keys(fresh) == keys(base)
    # the gate compared data, not just names: the content hashes of the arrays are the baseline's
    assert [r["content_sha256"] for r in fresh] == [r["content_sha256"] for r in base]
    # the datasets are deterministic: with the same diffbench the scores are equal, not just close
    assert compare(fresh, base, tolerance=1e-9) == []

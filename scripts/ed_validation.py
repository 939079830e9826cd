"""Choose the ED preprocessing defaults on validation data only (issue 22, split discipline).

The quick ED task's *test* scans (seeds 1-5) must not choose anything. This script runs the same
task on validation seeds (101-103: data sets no tier scores) with each preprocessing choice of the
radial-average features switched on and off, and prints accuracy on the validation data's own
same-session and shifted-session scans. The defaults of ``RadialIntensityAverage`` follow from this
table; the test numbers in the scorecard are whatever they then are.

    python scripts/ed_validation.py [OUT_FOLDER]
"""

import sys
from pathlib import Path

import numpy as np

from diffbench.bench.aggregate import aggregate
from diffbench.bench.runner import run_task
from diffbench.bench.tasks import load_tasks

VALIDATION_SEEDS = [101, 102, 103]
VARIANTS = {
    "defaults (normalise, rings beyond direct beam)": {},
    "no normalisation": {"normalise": False},
    "direct beam kept": {"direct_beam_px": 0},
    "neither (paper 002)": {"normalise": False, "direct_beam_px": 0},
}


def main(out="ed-validation"):
    base = load_tasks()["ed-scan-classification"]
    methods = {}
    for label, params in VARIANTS.items():
        methods[f"ria-svm: {label}"] = {"method": "ria-svm", "n_iter": 4, **params}
        methods[f"ria-fcnn: {label}"] = {"method": "ria-fcnn", **params}
    task = base.model_copy(update={"methods": methods, "oracles": {}, "conditions": []})
    rows = run_task("ed-validation", task, "quick", Path(out) / "datasets", seeds=VALIDATION_SEEDS,
                    log=lambda m: None)
    rows = [r for r in rows if r["role"] == "method"]
    res = [e for e in aggregate(rows, {"ed-validation": task}) if e["metric"] == "accuracy"]
    print(f"ED preprocessing on validation seeds {VALIDATION_SEEDS} (accuracy, mean ± std over seeds)")
    print(f"| method: preprocessing | {' | '.join(sorted({e['test'] for e in res}))} |")
    print("|---|---|---|")
    for m in methods:
        cells = [f"{e['value']:.3f} ± {e['std']:.3f}" for e in sorted((e for e in res if e["method"] == m),
                                                                       key=lambda e: e["test"])]
        print(f"| {m} | {' | '.join(cells)} |")
    return np.nan


if __name__ == "__main__":
    main(*sys.argv[1:])

"""From per-seed result rows to the scorecard's entries (mean ± std over seeds, pooled Wilson
intervals for proportions), and the regression check of a scorecard against a baseline."""

from __future__ import annotations

import math

import numpy as np

from diffbench.bench import metrics as M
from diffbench.bench.tasks import Task

#: Which way each metric improves (True: higher; None: neither, never a regression).
HIGHER_IS_BETTER = {"size_error_nm": False, "n_predicted": None}


def aggregate(rows: list[dict], tasks: dict[str, Task]) -> list[dict]:
    """Mean ± std over seeds per (task, method, metric), with pooled Wilson CIs for proportions."""
    out = []
    keys = sorted({(r["task"], r["method"], r.get("test", "all")) for r in rows})
    for task_name, method, test in keys:
        rs = [r for r in rows if r["task"] == task_name and r["method"] == method and r.get("test", "all") == test]
        task = tasks[task_name]
        for metric in task.metrics:
            vals = [r[metric] for r in rs if metric in r]
            if not vals:
                continue
            entry = {"task": task_name, "method": method, "test": test, "metric": metric,
                     "value": float(np.nanmean(vals)), "std": float(np.nanstd(vals, ddof=1)) if len(vals) > 1 else 0.0,
                     "values": [float(v) for v in vals], "seeds": [r["seed"] for r in rs], "n": rs[0]["n"],
                     "fit_s": float(np.mean([r["fit_s"] for r in rs])),
                     "predict_s": float(np.mean([r["predict_s"] for r in rs])),
                     "datasets": [r["dataset_sha256"] for r in rs]}
            conf = [r.get("confusion") for r in rs if r.get("confusion")]
            if conf and metric in ("precision", "recall", "specificity", "precision_other", "accuracy"):
                c = {k: sum(x[k] for x in conf) for k in ("tp", "fp", "tn", "fn")}
                k, n = {"precision": (c["tp"], c["tp"] + c["fp"]), "recall": (c["tp"], c["tp"] + c["fn"]),
                        "specificity": (c["tn"], c["tn"] + c["fp"]), "precision_other": (c["tn"], c["tn"] + c["fn"]),
                        "accuracy": (c["tp"] + c["tn"], sum(c.values()))}[metric]
                entry["ci95_pooled"] = list(M.wilson_interval(k, n))
            elif metric == "accuracy" and all("correct" in r for r in rs):
                entry["ci95_pooled"] = list(M.wilson_interval(sum(r["correct"] for r in rs), sum(r["n"] for r in rs)))
            mats = [r["confusion_matrix"] for r in rs if "confusion_matrix" in r]
            if mats and metric == task.metrics[0]:
                entry["confusion_matrix"] = M.sum_confusion(mats)
            if metric in task.paper_numbers:
                entry["paper"] = task.paper_numbers[metric]
            out.append(entry)
    return out


def compare(current: list[dict], baseline: list[dict], tolerance: float | None = None) -> list[str]:
    """Regressions of ``current`` vs ``baseline``: one line per metric that moved the wrong way by
    more than the tolerance (default 0.05 for scores in [0, 1], 2 nm for size errors)."""
    base = {(b["task"], b["method"], b.get("test", "all"), b["metric"]): b for b in baseline}
    problems = []
    for c in current:
        key = (c["task"], c["method"], c.get("test", "all"), c["metric"])
        if key not in base:
            continue
        label = "/".join(k for k in key if k != "all")
        better = HIGHER_IS_BETTER.get(c["metric"], True)
        if better is None:
            continue
        tol = tolerance if tolerance is not None else (2.0 if c["metric"] == "size_error_nm" else 0.05)
        old, new = base[key]["value"], c["value"]
        if math.isnan(new) and not math.isnan(old):
            problems.append(f"{label}: was {old:.4f}, now nan")
            continue
        delta = new - old
        if (better and delta < -tol) or (not better and delta > tol):
            problems.append(f"{label}: {old:.4f} -> {new:.4f} ({delta:+.4f}, tolerance {tol})")
    return problems

"""From per-seed result rows to the scorecard's entries, and the regression check of a scorecard
against a baseline.

An entry is one (task, method, test set, metric): the mean over seeds, their spread, and a 95 %
percentile-bootstrap interval of the mean over the seeds — the independent units (frames of one
seed share a simulation and are not independent draws of the task). A seed whose method failed
counts: the mean is nan and ``failed`` says on how many seeds. Methods also carry their margin
over the best non-oracle control on the task's primary metric, and whether their interval clears
it (``beats_controls``).
"""

from __future__ import annotations

import math

import numpy as np

from diffbench.bench import metrics as M
from diffbench.bench.metric_registry import METRICS
from diffbench.bench.metric_registry import metric as metric_info
from diffbench.bench.scoring import mark_worst
from diffbench.bench.tasks import Task

#: Which way each metric improves (True: higher; None: neither, never a regression): a view of
#: :mod:`.metric_registry`
HIGHER_IS_BETTER = {name: m.higher_is_better for name, m in METRICS.items()}

#: Keys of an entry that must match between a run and its baseline for the scores to be comparable.
IDENTITY = ("n", "seeds", "recipe", "content_sha256")


def _by_condition(rs: list[dict], metric: str) -> dict:
    """Per truth field, per bin: the bin's score (the metric, or recall/specificity for one-class
    bins) averaged over the seeds that have the bin; the worst bin marked as the scorer does."""
    out = {}
    fields = sorted({f for r in rs for f in (r.get("by_condition") or {})})
    for f in fields:
        bins: dict[str, list] = {}
        counts: dict[str, int] = {}
        names: dict[str, str] = {}
        for r in rs:
            for b in (r.get("by_condition") or {}).get(f, []):
                bins.setdefault(b["bin"], []).append(b["value"])
                counts[b["bin"]] = counts.get(b["bin"], 0) + b["n"]
                names[b["bin"]] = b.get("metric", metric)
        rows = [{"bin": k, "n": counts[k], "metric": names[k],
                 "value": float(np.nanmean(v)) if np.isfinite(v).any() else math.nan} for k, v in bins.items()]
        mark_worst(rows, metric)
        out[f] = rows
    return out


def aggregate(rows: list[dict], tasks: dict[str, Task]) -> list[dict]:
    """One entry per (task, method, test, metric): mean, std and bootstrap interval over seeds."""
    out = []
    keys = sorted({(r["task"], r.get("role", "method"), r["method"], r.get("test", "all")) for r in rows},
                  key=lambda k: (k[0], k[3], ("control", "oracle", "method").index(k[1]), k[2]))
    for task_name, role, method, test in keys:
        rs = [r for r in rows if r["task"] == task_name and r["method"] == method and r.get("test", "all") == test]
        task = tasks[task_name]
        for metric in task.metrics:
            if not any(metric in r for r in rs) and not any("error" in r for r in rs):
                continue
            vals = [float(r.get(metric, math.nan)) for r in rs]
            failed = sum("error" in r for r in rs)
            finite = np.isfinite(vals)
            entry = {"task": task_name, "method": method, "role": role, "test": test, "metric": metric,
                     "primary": metric == task.primary_metric,
                     "value": float(np.mean(vals)) if finite.all() else math.nan,
                     "std": float(np.std(vals, ddof=1)) if len(vals) > 1 and finite.all() else 0.0,
                     "ci95": list(M.bootstrap_interval(vals)),
                     "values": vals, "seeds": [r["seed"] for r in rs], "n": rs[0].get("n"),
                     "failed": failed, "undefined": int((~finite).sum()) - failed,
                     "fit_s": float(np.nanmean([r.get("fit_s", math.nan) for r in rs])),
                     "predict_s": float(np.nanmean([r.get("predict_s", math.nan) for r in rs])),
                     "recipe": rs[0].get("recipe"), "content_sha256": [r.get("content_sha256") for r in rs]}
            if failed:
                entry["errors"] = sorted({r["error"] for r in rs if "error" in r})
            if metric == task.primary_metric:
                conds = _by_condition(rs, metric)
                if conds:
                    entry["by_condition"] = conds
            mats = [r["confusion_matrix"] for r in rs if "confusion_matrix" in r]
            if mats and metric == task.metrics[0]:
                entry["confusion_matrix"] = M.sum_confusion(mats)
            if metric in task.paper_numbers and role == "method":
                entry["paper"] = task.paper_numbers[metric]
            out.append(entry)
    _margins(out)
    return out


def _margins(entries: list[dict]) -> None:
    """Add to each method and oracle entry of a task's primary metric its margin over the best
    control of the same task and test, and ``beats_controls``: the lower end of its interval lies
    beyond that control's mean (the upper end, for metrics where lower is better). Secondary
    metrics get none: "all negative" has specificity 1 and wins nothing."""
    best: dict[tuple, float] = {}
    for e in entries:
        higher = metric_info(e["metric"]).higher_is_better
        if e["role"] != "control" or not e["primary"] or higher is None or not np.isfinite(e["value"]):
            continue
        k = (e["task"], e["test"], e["metric"])
        v = e["value"]
        best[k] = v if k not in best else (max(best[k], v) if higher else min(best[k], v))
    for e in entries:
        k = (e["task"], e["test"], e["metric"])
        higher = metric_info(e["metric"]).higher_is_better
        if e["role"] == "control" or k not in best or higher is None:
            continue
        e["best_control"] = best[k]
        e["margin"] = (e["value"] - best[k]) if higher else (best[k] - e["value"])
        lo, hi = e["ci95"]
        edge = lo if higher else hi
        if not np.isfinite(edge):  # one seed: no interval; the mean must clear the control
            edge = e["value"]
        e["beats_controls"] = bool(np.isfinite(edge) and ((edge > best[k]) if higher else (edge < best[k])))


def tolerance_for(entry: dict, floor: float | None = None) -> float:
    """Allowed move of a metric before it is a regression: three standard errors of the baseline's
    mean over its seeds (the seed spread says how much a score moves by chance), at least ``floor``
    (default: the metric's own, :mod:`.metric_registry`; 0.01 for a fraction, 1 nm for a size error).
    One seed has no spread: the floor alone."""
    floor = floor if floor is not None else metric_info(entry["metric"]).floor
    k = len(entry.get("seeds", [])) or 1
    se = entry.get("std", 0.0) / math.sqrt(k) if k > 1 else 0.0
    return max(floor, 3.0 * se) if np.isfinite(se) else floor


def compare(current: list[dict], baseline: list[dict], tolerance: float | None = None,
            log=None) -> list[str]:
    """Problems of ``current`` against ``baseline``, one line each (empty: no regression).

    A problem is: a baseline entry missing from the run; an entry whose data differ (n, seeds,
    recipe, content hash of the data: :data:`IDENTITY`) — its scores are not comparable; a metric
    that moved the wrong way by more than its tolerance (``tolerance``, else
    :func:`tolerance_for` the baseline entry); a value that became nan. Controls are compared too
    (a moved control means the task changed). ``log`` receives "compared K of M metrics" and every
    move with its size."""
    key = lambda e: (e["task"], e["method"], e.get("test", "all"), e["metric"])  # noqa: E731
    cur = {key(c): c for c in current}
    problems, compared, moves = [], 0, []
    for k, b in sorted(((key(b), b) for b in baseline), key=lambda kb: kb[0]):
        label = "/".join(x for x in k if x != "all")
        c = cur.get(k)
        if c is None:
            problems.append(f"{label}: in the baseline but not in this run")
            continue
        differ = [f for f in IDENTITY if f in b and b.get(f) != c.get(f)]
        if differ:
            problems.append(f"{label}: not comparable, the data differ ({', '.join(differ)})")
            continue
        better = HIGHER_IS_BETTER.get(c["metric"], True)
        compared += 1
        old, new = b["value"], c["value"]
        if math.isnan(new) and not math.isnan(old):
            problems.append(f"{label}: was {old:.4f}, now nan")
            continue
        if better is None or math.isnan(old):
            continue
        tol = tolerance if tolerance is not None else tolerance_for(b)
        delta = new - old
        if delta:
            moves.append(f"{label}: {old:.4f} -> {new:.4f} ({delta:+.4f}, tolerance {tol:.4f})")
        if (better and delta < -tol) or (not better and delta > tol):
            problems.append(f"{label}: {old:.4f} -> {new:.4f} ({delta:+.4f}, tolerance {tol:.4f})")
    if log is not None:
        log(f"compared {compared} of {len(baseline)} baseline metrics ({len(current)} in this run)")
        for m in moves:
            log("  moved " + m)
    return problems

"""Run benchmark tasks: simulate (or reuse) each task's datasets, fit and score every method
against the truth, and aggregate over seeds into a scorecard (:mod:`diffbench.bench.scorecard`).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np

from diffbench.bench import metrics as M
from diffbench.bench.tasks import Task
from diffbench.io.readers import kind_of_file, open_any
from diffbench.methods.base import fit_method

HIGHER_IS_BETTER = {"size_error_nm": False, "n_predicted": None}


def dataset_path(folder: Path, task: Task, n: int, seed: int) -> Path:
    tag = hashlib.sha256(json.dumps([task.recipe, task.overrides, n, seed]).encode()).hexdigest()[:10]
    return Path(folder) / f"{task.recipe}-n{n}-s{seed}-{tag}.cxi"


def ensure_dataset(path: Path, task: Task, n: int, seed: int, shard_size: int | None = None, log=print,
                   config=None) -> Path:
    """Simulate the dataset unless a complete file with the same recipe, seed and N exists."""
    if path.is_file():
        try:
            kind = kind_of_file(path)
            with kind.open(path) as d:
                a = d.attrs
                count = int(a.get(kind.count_attr, len(d)))  # what -n counted: patterns, scans, data sets
                if a.get("recipe") == task.recipe and int(a.get("seed", -1)) == seed and count == n:
                    return path
        except (OSError, ValueError):
            pass
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"  simulating {n} patterns of {task.recipe} (seed {seed}) -> {path}")
    if shard_size:
        from diffbench.simulate.shards import simulate_sharded

        simulate_sharded(task.recipe, n, path, shard_size, seed=seed, overrides=task.overrides, workers=2,
                         progress=False, config=config)
    else:
        from diffbench.simulate.spi.run import simulate_to_file

        simulate_to_file(task.recipe, n, path, seed=seed, overrides=task.overrides, workers=1, progress=False,
                         config=config)
    return path


def dataset_digest(path: Path) -> str:
    """SHA-256 of the file, of the shard hashes for a sharded index, or of an index and the files
    beside it that hold its data (the MTZ files of merged MX data)."""
    from diffbench.io.index import file_sha256

    with open_any(path) as d:
        manifest = getattr(d, "manifest", None)
        if manifest is not None:
            return hashlib.sha256("".join(e["sha256"] for e in manifest["shards"]).encode()).hexdigest()
        side = getattr(d, "side_files", [])
    if side:
        files = [Path(path)] + list(side)
        return hashlib.sha256("".join(file_sha256(p) for p in files).encode()).hexdigest()
    return file_sha256(path)


def target_values(ds, target: str) -> np.ndarray:
    """Per-pattern truth: a truth column, or ``diameter_m`` of the pattern's target particle (NaN
    where there is not exactly one)."""
    if target in ds.truth:
        y = np.asarray(ds.truth[target])
        return y.astype(str) if y.dtype.kind == "S" else y
    if target == "diameter_m":
        out = np.full(len(ds), np.nan)
        p = ds.particles
        one = np.asarray(ds.truth["n_target"]) == 1
        tgt = p["is_target"].astype(bool)
        idx = p["pattern_index"][tgt]
        out[idx[one[idx]]] = p["diameter_m"][tgt][one[idx]]
        return out
    raise ValueError(f"unknown target truth field {target!r}; have {', '.join(sorted(ds.truth))} or diameter_m")


def _selection_psds(frames, selections: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Mean radial profile (PSD) of each named selection of frames, in one pass over the frames:
    (ring radii in pixels, name → profile)."""
    from diffbench.methods.features import RadialBinning

    ny, nx = frames.frame_shape
    binning = RadialBinning((ny, nx), frames.center(), frames.valid)
    totals = {k: np.zeros(binning.n_bins) for k in selections}
    for s, prof in binning.batches(frames):
        for k, sel in selections.items():
            keep = sel[s:s + len(prof)]
            if keep.any():
                totals[k] += np.nansum(prof[keep], axis=0)
    empty = binning.counts == 0  # rings with no valid pixel (beam stop): NaN, not 0
    out = {}
    for k, sel in selections.items():
        out[k] = totals[k] / sel.sum() if sel.any() else totals[k] * np.nan
        out[k][empty] = np.nan
    return binning.radius_px, out


def _roc_curve(y, score, max_points: int = 200) -> dict:
    from sklearn.metrics import roc_curve

    fpr, tpr, _ = roc_curve(np.asarray(y).astype(bool), np.asarray(score, float))
    keep = np.unique(np.linspace(0, len(fpr) - 1, min(max_points, len(fpr))).round().astype(int))
    return {"fpr": fpr[keep].round(5).tolist(), "tpr": tpr[keep].round(5).tolist()}


def is_binary(y: np.ndarray) -> bool:
    """Boolean or 0/1 truth is a binary target; anything else (strings, several integers) multi-class."""
    y = np.asarray(y)
    if y.dtype == bool:
        return True
    return y.dtype.kind in "iu" and set(np.unique(y).tolist()) <= {0, 1}


def score_predictions(est, frames, y, pred, metrics: list[str], select=None) -> dict:
    """Metric → value for predictions ``pred`` of the frames against the truth ``y``."""
    n = len(y)
    out = {}
    sel = np.ones(n, bool) if select is None else np.asarray(select, bool)
    if "size_error_nm" in metrics:
        ok = sel & np.isfinite(y) & np.isfinite(pred)
        out["size_error_nm"] = float(np.median(np.abs(pred[ok] - y[ok])) * 1e9) if ok.any() else math.nan
        if ok.any():  # size histograms against the truth, for the report
            lo, hi = np.floor(min(pred[ok].min(), y[ok].min()) * 1e9), np.ceil(max(pred[ok].max(), y[ok].max()) * 1e9)
            edges = np.linspace(lo, max(hi, lo + 1), 41)
            out["curves"] = {"size_hist": {"edges_nm": edges.round(3).tolist(),
                                           "predicted": np.histogram(pred[ok] * 1e9, edges)[0].tolist(),
                                           "truth": np.histogram(y[ok] * 1e9, edges)[0].tolist()}}
        return out
    if {"ari", "nmi"} & set(metrics):
        c = M.clustering_scores(y[sel], pred[sel])
        out.update({k: c[k] for k in ("ari", "nmi") if k in metrics})
        return out
    if not is_binary(y):
        mc = M.multiclass_scores(y[sel], pred[sel])
        for m in ("accuracy", "precision_weighted", "recall_weighted", "f1_weighted"):
            if m in metrics:
                out[m] = mc[m]
        if "accuracy" in metrics:
            out["accuracy_ci"] = mc["accuracy_ci"]
            out["correct"] = mc["correct"]
        out["confusion_matrix"] = {"labels": mc["labels"], "counts": mc["confusion_matrix"]}
        return out
    b = M.binary_scores(y[sel], pred[sel])
    for m in ("precision", "recall", "f1", "specificity", "precision_other", "accuracy", "n_predicted"):
        if m in metrics:
            out[m] = b[m]
            if m + "_ci" in b:
                out[m + "_ci"] = b[m + "_ci"]
    if "iou" in metrics:  # the selection against the true target set (paper 000 eq. 4)
        out["iou"] = M.iou(np.asarray(pred[sel], bool), np.asarray(y[sel], bool))
    out["confusion"] = {k: b[k] for k in ("tp", "fp", "tn", "fn")}
    curves = {}
    if "roc_auc" in metrics and hasattr(est, "score_samples"):
        score = np.asarray(est.score_samples(frames))[sel]
        out["roc_auc"] = M.roc_auc(y[sel], score)
        if 0 < np.sum(y[sel]) < sel.sum():
            curves["roc"] = _roc_curve(y[sel], score)
    if "psd_contrast" in metrics:
        picked = pred.astype(bool)
        radius, psd = _selection_psds(frames, {"selected": picked, "true targets": np.asarray(y, bool),
                                                "all frames": np.ones(n, bool)})
        out["psd_contrast"] = M.psd_contrast(psd["selected"])
        out["psd_contrast_truth"] = M.psd_contrast(psd["true targets"])
        curves["psd"] = {"radius_px": np.round(radius, 3).tolist(),
                         **{k: [None if not np.isfinite(v) else float(f"{v:.6g}") for v in p] for k, p in psd.items()}}
    if curves:
        out["curves"] = curves
    return out


def _timed_fit_predict(est, train, y_train, test):
    t0 = time.perf_counter()
    fit_method(est, train, y_train)
    t1 = time.perf_counter()
    pred = np.asarray(est.predict(test))
    return pred, t1 - t0, time.perf_counter() - t1


def score_method(est, frames, y, metrics: list[str], select=None) -> dict:
    """Fit on all frames, predict them and score (the ``split: none`` case); metric → value plus timings."""
    pred, fit_s, predict_s = _timed_fit_predict(est, frames, y, frames)
    n = len(frames)
    out = {"fit_s": fit_s, "predict_s": predict_s, "n": n, "predict_per_s": n / predict_s if predict_s else math.nan}
    out.update(score_predictions(est, frames, y, pred, metrics, select))
    if is_binary(y) and "iou" in metrics:
        out["_selection"] = np.asarray(pred).astype(bool)  # for the IoU between methods; not stored
    return out


def selection_overlaps(results: list[tuple[str, dict]]) -> None:
    """IoU between every two methods' selections of the same frames (paper 000 eq. 4), added to
    each result as ``iou_with`` {other method: IoU}; the selections themselves are dropped."""
    sels = {label: res.pop("_selection") for label, res in results if "_selection" in res}
    for label, res in results:
        if label in sels:
            res["iou_with"] = {other: M.iou(sels[label], s) for other, s in sels.items() if other != label}


def group_positions(values: np.ndarray, positions: list[int], field: str) -> np.ndarray:
    """Distinct group values at ``positions`` (negative from the end) of the sorted distinct values."""
    uniq = np.unique(values)
    try:
        return uniq[np.asarray(positions)]
    except IndexError:
        raise ValueError(f"split.test positions {positions} out of range: the data have {len(uniq)} "
                         f"distinct {field} values") from None


def evaluate(est_factory, frames, y, task: Task, truth: dict, seed: int, select=None) -> list[tuple[str, dict]]:
    """(test-set name, scores) for one method under the task's split. ``est_factory()`` makes a fresh,
    unfitted estimator (one per group for ``each`` splits)."""
    from diffbench.bench.tasks import GroupSplit, PerGroup, Split

    sp = task.split
    n = len(frames)
    if sp == "none":
        return [("all", score_method(est_factory(), frames, y, task.metrics, select))]
    if isinstance(sp, PerGroup):
        groups = np.asarray(truth[sp.group])
        fit_s = predict_s = 0.0
        per = []
        for g in np.unique(groups):
            idx = np.flatnonzero(groups == g)
            est = est_factory()
            f = frames.take(idx)
            pred, a, b = _timed_fit_predict(est, f, y[idx], f)
            fit_s, predict_s = fit_s + a, predict_s + b
            per.append(score_predictions(est, f, y[idx], pred, task.metrics))
        # cluster ids mean nothing across groups: scores are per group, then averaged
        res = {k: float(np.mean([p[k] for p in per])) for k in per[0] if isinstance(per[0][k], float)}
        res.update(fit_s=fit_s, predict_s=predict_s, n=n, groups=len(per),
                   predict_per_s=n / predict_s if predict_s else math.nan)
        return [(f"each {sp.group}", res)]
    if isinstance(sp, Split):
        from sklearn.model_selection import train_test_split

        strat = y if np.unique(y).size > 1 else None
        train, test = train_test_split(np.arange(n), test_size=sp.test_fraction, random_state=seed, stratify=strat)
        tests, train = {"test": np.sort(test)}, np.sort(train)
    elif isinstance(sp, GroupSplit):
        groups = np.asarray(truth[sp.group])
        tests, held = {}, np.zeros(n, bool)
        for name, pos in sp.test.items():
            m = np.isin(groups, group_positions(groups, pos, sp.group))
            tests[name] = np.flatnonzero(m)
            held |= m
        train = np.flatnonzero(~held)
        if train.size == 0:
            raise ValueError(f"split.test holds out every {sp.group}: nothing left to train on")
    else:  # pragma: no cover - the schema admits nothing else
        raise TypeError(f"unknown split {sp!r}")
    est = est_factory()
    t0 = time.perf_counter()
    fit_method(est, frames.take(train), y[train])
    fit_s = time.perf_counter() - t0
    out = []
    for name, idx in tests.items():
        f = frames.take(idx)
        t1 = time.perf_counter()
        pred = np.asarray(est.predict(f))
        predict_s = time.perf_counter() - t1
        res = {"fit_s": fit_s, "predict_s": predict_s, "n": int(len(idx)), "n_train": int(len(train)),
               "predict_per_s": len(idx) / predict_s if predict_s else math.nan}
        res.update(score_predictions(est, f, y[idx], pred, task.metrics,
                                     None if select is None else np.asarray(select)[idx]))
        out.append((name, res))
    return out


def score_ranges(est, data, field: str, metrics: list[str]) -> list[tuple[str, dict]]:
    """Per-(data set, ice range) scoring of an MX ice detector (``target: ranges.<field>``): its
    ``predict_ranges`` against the truth of the ranges within the data's resolution and not blanked
    at integration (blank ranges are a different artefact, scored apart by the data-set task)."""
    t0 = time.perf_counter()
    est.fit(data)
    t1 = time.perf_counter()
    pred = np.asarray(est.predict_ranges(data)).ravel()
    t2 = time.perf_counter()
    r = data.ranges
    order = np.lexsort((r["range_index"], r["dataset_index"]))
    truth = np.asarray(r[field])[order].astype(bool)
    keep = np.asarray(r["in_resolution"])[order].astype(bool) & ~np.asarray(r["blank"])[order].astype(bool) & (pred >= 0)
    out = {"fit_s": t1 - t0, "predict_s": t2 - t1, "n": int(keep.sum()),
           "predict_per_s": len(data) / (t2 - t1) if t2 > t1 else math.nan}
    out.update(score_predictions(est, None, truth[keep], (pred[keep] > 0).astype(int),
                                 [m for m in metrics if m not in ("roc_auc", "psd_contrast")]))
    return [("per range", out)]


def resolve_params(params: dict, y: np.ndarray) -> dict:
    """A method's parameters with ``"true-fraction"`` replaced by the outlier fraction of ``y``
    (for the envelope's contamination: an oracle setting, labelled as such in the tasks)."""
    out = {}
    for k, v in params.items():
        if v == "true-fraction":
            frac = 1.0 - float(np.mean(y.astype(bool)))
            v = min(0.5, max(frac, 1e-3))
        out[k] = v
    return out


def method_plan(task: Task, methods=None) -> list[tuple[str, str, dict]]:
    """(label, method name, parameters) to run on ``task``: all its methods, or those of ``methods``
    (labels or names). A user's ``package.module:Class`` in ``methods`` that the task does not list
    runs too, with its default parameters, labelled by its path (a registered name the task does
    not list is skipped: not every method fits every task)."""
    from diffbench.methods.registry import get_method

    specs = task.method_specs()
    if not methods:
        return specs
    listed = {label for label, _, _ in specs} | {name for _, name, _ in specs}
    extra = []
    for m in methods:
        if ":" in m and m not in listed:
            get_method(m)  # a bad import path fails here, naming it
            extra.append((m, m, {}))
    return [s for s in specs if s[0] in methods or s[1] in methods] + extra


def run_task(name: str, task: Task, tier: str, folder: Path, methods=None, seeds=None, n=None,
             shard_size=None, log=print, config=None) -> list[dict]:
    """Every (method, seed) of one task → per-seed result rows."""
    from diffbench.methods.frames import as_frames
    from diffbench.methods.registry import make_method

    n = n or task.n[tier]
    seeds = seeds or task.seeds[tier]
    task = task.for_tier(tier)
    rows = []
    for seed in seeds:
        seed_results = []
        path = ensure_dataset(dataset_path(folder, task, n, seed), task, n, seed, shard_size, log, config)
        digest = dataset_digest(path)
        kind = kind_of_file(path)
        with kind.open(path) as ds:
            ranges = task.target.startswith("ranges.")
            y = None if ranges else target_values(ds, task.target)
            select = np.asarray(ds.truth[task.select], bool) if task.select else None
            frames = as_frames(ds) if kind.frames else ds
            for label, mname, params in method_plan(task, methods):
                resolved = resolve_params(params, y) if y is not None else params
                factory = lambda: make_method(mname, **resolved)  # noqa: E731
                results = (score_ranges(factory(), ds, task.target.split(".", 1)[1], task.metrics) if ranges
                           else evaluate(factory, frames, y, task, ds.truth, seed, select))
                for test, res in results:
                    log(f"  {name} / {label} / {test} / seed {seed}: " + ", ".join(
                        f"{m}={res[m]:.3f}" for m in task.metrics if m in res and isinstance(res[m], float)))
                    row = {"task": name, "method": label, "test": test, "seed": seed, "dataset": path.name,
                           "dataset_sha256": digest, **res}
                    seed_results.append((label, row))
                    rows.append(row)
        selection_overlaps(seed_results)
    return rows


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

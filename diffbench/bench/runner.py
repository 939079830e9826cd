"""Run benchmark tasks: simulate (or reuse) each task's data sets (:mod:`.datasets`), split them
(:mod:`.splits`), fit every method and score it against the truth (:mod:`.scoring`,
:mod:`.ranges`); :mod:`.aggregate` turns the rows into a scorecard (:mod:`.scorecard`).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from diffbench.bench import metrics as M
from diffbench.bench.aggregate import HIGHER_IS_BETTER, aggregate, compare  # noqa: F401  (old import path)
from diffbench.bench.datasets import dataset_digest, dataset_path, ensure_dataset, target_values  # noqa: F401
from diffbench.bench.ranges import score_ranges
from diffbench.bench.scoring import Evaluation, is_binary, score_predictions
from diffbench.bench.splits import group_positions, train_test_indices  # noqa: F401  (old import path)
from diffbench.bench.tasks import PerGroup, Task
from diffbench.io.readers import kind_of_file
from diffbench.methods.base import fit_method


def _timed_fit_predict(est, train, y_train, test):
    t0 = time.perf_counter()
    fit_method(est, train, y_train)
    t1 = time.perf_counter()
    pred = np.asarray(est.predict(test))
    return pred, t1 - t0, time.perf_counter() - t1


def score_method(est, frames, y, metrics: list[str], select=None) -> Evaluation:
    """Fit on all frames, predict them and score (the ``split: none`` case)."""
    pred, fit_s, predict_s = _timed_fit_predict(est, frames, y, frames)
    n = len(frames)
    out = {"fit_s": fit_s, "predict_s": predict_s, "n": n, "predict_per_s": n / predict_s if predict_s else math.nan}
    out.update(score_predictions(est, frames, y, pred, metrics, select))
    selection = np.asarray(pred).astype(bool) if is_binary(y) and "iou" in metrics else None
    return Evaluation("all", out, selection)


def selection_overlaps(results: list[tuple[str, Evaluation]]) -> None:
    """IoU between every two methods' selections of the same frames (paper 000 eq. 4), added to
    each method's scores as ``iou_with`` {other method: IoU}."""
    sels = {label: ev.selection for label, ev in results if ev.selection is not None}
    for label, ev in results:
        if label in sels:
            ev.scores["iou_with"] = {other: M.iou(sels[label], s) for other, s in sels.items() if other != label}


def evaluate(est_factory, frames, y, task: Task, truth: dict, seed: int, select=None) -> list[Evaluation]:
    """One :class:`Evaluation` per test set of one method under the task's split. ``est_factory()``
    makes a fresh, unfitted estimator (one per group for ``each`` splits)."""
    sp = task.split
    n = len(frames)
    if sp == "none":
        return [score_method(est_factory(), frames, y, task.metrics, select)]
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
        return [Evaluation(f"each {sp.group}", res)]
    train, tests = train_test_indices(sp, y, truth, seed)
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
        out.append(Evaluation(name, res))
    return out


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
        kind = kind_of_file(path)
        with kind.open(path) as ds:
            digest = dataset_digest(path, ds)
            ranges = task.target.startswith("ranges.")
            y = None if ranges else target_values(ds, task.target)
            select = np.asarray(ds.truth[task.select], bool) if task.select else None
            frames = as_frames(ds) if kind.frames else ds
            for label, mname, params in method_plan(task, methods):
                resolved = resolve_params(params, y) if y is not None else params
                factory = lambda: make_method(mname, **resolved)  # noqa: E731
                results = (score_ranges(factory(), ds, task.target.split(".", 1)[1], task.metrics) if ranges
                           else evaluate(factory, frames, y, task, ds.truth, seed, select))
                for test, res, selection in results:
                    log(f"  {name} / {label} / {test} / seed {seed}: " + ", ".join(
                        f"{m}={res[m]:.3f}" for m in task.metrics if m in res and isinstance(res[m], float)))
                    row = {"task": name, "method": label, "test": test, "seed": seed, "dataset": path.name,
                           "dataset_sha256": digest, **res}
                    seed_results.append((label, Evaluation(test, row, selection)))
                    rows.append(row)
        selection_overlaps(seed_results)
    return rows



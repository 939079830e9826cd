"""Run benchmark tasks: simulate (or reuse) each task's data sets (:mod:`.datasets`), split them
(:mod:`.splits`), fit every method, every oracle and every control (:mod:`.controls`) and score
them against the truth (:mod:`.scoring`, :mod:`.ranges`); :mod:`.aggregate` turns the rows into a
scorecard (:mod:`.scorecard`).

Every row says its ``role``: ``method`` (what is benchmarked), ``control`` (trivial rules: what a
score is worth) or ``oracle`` (an upper bound that reads the truth). A method that raises is a
failed row (its metrics nan, the error kept), never a crashed benchmark nor a silently missing seed.
"""

from __future__ import annotations

import math
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from diffbench.bench import metrics as M
from diffbench.bench.aggregate import HIGHER_IS_BETTER, aggregate, compare  # noqa: F401  (old import path)
from diffbench.bench.datasets import (  # noqa: F401  (target_values: old import path)
    condition_values,
    content_digest,
    dataset_path,
    ensure_dataset,
    target_values,
)
from diffbench.bench.ranges import score_ranges
from diffbench.bench.scoring import Evaluation, mark_worst, score_predictions, scorer_for
from diffbench.bench.splits import group_positions, support_query, train_test_indices  # noqa: F401  (old import path)
from diffbench.bench.tasks import PerGroup, Task
from diffbench.io.readers import kind_of_file
from diffbench.methods.base import answer, fit_method

ROLES = ("control", "oracle", "method")


class _Stopwatch:
    """Wall and CPU seconds of a stage."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        return False


@dataclass(frozen=True)
class ItemTruth:
    """Per-item truth a task scores with beside its target: ``conditions`` (field → values the
    primary metric is broken down by, the task's ``conditions``) and ``fields`` (field → numeric
    values the scorer reads, the truth fields its ``scoring`` options name)."""

    conditions: dict = field(default_factory=dict)
    fields: dict = field(default_factory=dict)

    def take(self, idx) -> "ItemTruth":
        """The values of items ``idx`` (all of them for None)."""
        if idx is None:
            return self
        return ItemTruth({f: v[idx] for f, v in self.conditions.items()}, {f: v[idx] for f, v in self.fields.items()})


def _scoring_kwargs(task: Task, truth: ItemTruth | None, idx=None) -> dict:
    """What :func:`score_predictions` needs beyond the predictions: positive class, primary metric,
    the per-item values of the task's condition fields (at ``idx``) and the scorer's options (with
    the per-item values of the truth fields they name, under ``fields``)."""
    t = (truth or ItemTruth()).take(idx)
    options = dict(task.scoring, fields=t.fields) if t.fields else task.scoring
    return {"positive": task.positive, "conditions": t.conditions, "primary": task.primary_metric,
            "condition_bins": task.condition_bins, "options": options}


def _latent(task: Task | None) -> bool:
    """Whether a task scores latent spaces (its methods answer ``transform``)."""
    from diffbench.bench.scoring import LatentScorer

    return task is not None and bool(set(task.metrics) & set(LatentScorer.metrics))


def _fit_predict(est, train, y_train, test, latent: bool = False) -> tuple[np.ndarray, dict]:
    with _Stopwatch() as fit:
        fit_method(est, train, y_train)
    with _Stopwatch() as pred_t:
        pred = answer(est, test, latent)
    return pred, {"fit_s": fit.wall, "fit_cpu_s": fit.cpu, "predict_s": pred_t.wall, "predict_cpu_s": pred_t.cpu}


def score_method(est, frames, y, metrics: list[str], select=None, task: Task | None = None,
                 items: ItemTruth | None = None) -> Evaluation:
    """Fit on all frames, predict them and score (the ``split: none`` case); ``items`` the task's
    per-item truth beside the target."""
    pred, times = _fit_predict(est, frames, y, frames, _latent(task))
    n = len(frames)
    out = dict(times, n=n, predict_per_s=n / times["predict_s"] if times["predict_s"] else math.nan)
    kw = _scoring_kwargs(task, items) if task is not None else {}
    with _Stopwatch() as sc:
        out.update(score_predictions(est, frames, y, pred, metrics, select, **kw))
    out["score_s"] = sc.wall
    selection = None
    if scorer_for(metrics, y).kind == "binary":
        positive = True if task is None else task.positive
        selection = np.asarray(pred).astype(bool) == bool(positive)
    return Evaluation("all", out, selection)


def selection_overlaps(results: list[tuple[str, Evaluation]]) -> None:
    """Agreement between every two methods' selections of the same frames: IoU (paper 000 eq. 4) and
    Cohen's κ (agreement beyond chance: how far a re-implementation matches the program it
    imitates), added to each method's scores as ``iou_with`` and ``kappa_with`` {other: value}."""
    from sklearn.metrics import cohen_kappa_score

    sels = {label: ev.selection for label, ev in results if ev.selection is not None}
    for label, ev in results:
        if label in sels:
            others = {o: s for o, s in sels.items() if o != label}
            ev.scores["iou_with"] = {o: M.iou(sels[label], s) for o, s in others.items()}
            ev.scores["kappa_with"] = {o: float(cohen_kappa_score(sels[label], s)) if
                                       np.unique(np.r_[sels[label], s]).size > 1 else math.nan
                                       for o, s in others.items()}


def evaluate(est_factory, frames, y, task: Task, truth: dict, seed: int, select=None,
             items: ItemTruth | None = None) -> list[Evaluation]:
    """One :class:`Evaluation` per test set of one method under the task's split. ``est_factory()``
    makes a fresh, unfitted estimator (one per group for ``each`` splits). ``truth``: the data set's
    per-pattern truth (the split's groups); ``items``: the per-item conditions and scoring fields."""
    sp = task.split
    n = len(frames)
    if sp == "none":
        return [score_method(est_factory(), frames, y, task.metrics, select, task, items)]
    if isinstance(sp, PerGroup):
        groups = np.asarray(truth[sp.group])
        times = {"fit_s": 0.0, "fit_cpu_s": 0.0, "predict_s": 0.0, "predict_cpu_s": 0.0}
        per = []
        for g in np.unique(groups):
            idx = np.flatnonzero(groups == g)
            est = est_factory()
            f = frames.take(idx)
            pred, t = _fit_predict(est, f, y[idx], f, _latent(task))
            times = {k: times[k] + t[k] for k in times}
            per.append(score_predictions(est, f, y[idx], pred, task.metrics, positive=task.positive))
        # cluster ids mean nothing across groups: scores are per group, then averaged
        res = {k: float(np.mean([p[k] for p in per])) for k in per[0] if isinstance(per[0][k], float)}
        res.update(times, n=n, groups=len(per),
                   predict_per_s=n / times["predict_s"] if times["predict_s"] else math.nan)
        res["by_condition"] = {sp.group: [{"bin": str(g), "n": int((groups == g).sum()),
                                           "value": float(p.get(task.primary_metric, math.nan))}
                                          for g, p in zip(np.unique(groups), per)]}
        mark_worst(res["by_condition"][sp.group], task.primary_metric)
        return [Evaluation(f"each {sp.group}", res)]
    train, tests = train_test_indices(sp, y, truth, seed)
    est = est_factory()
    groups = np.asarray(truth[sp.group])[train] if hasattr(sp, "group") else None
    with _Stopwatch() as fit:
        fit_method(est, frames.take(train), y[train], groups)
    out = []
    for name, idx in tests.items():
        for k in getattr(sp, "support", None) or [None]:
            label, query = name, idx
            if k is not None:  # few-shot: k labelled frames per class of the test set, scored on the rest
                support, q = support_query(y[idx], k, seed, name)
                if hasattr(est, "set_support"):
                    est.set_support(frames.take(idx[support]), y[idx[support]])
                label, query = f"{name} k={k}", idx[q]
            out.append(_score_test(est, frames, y, query, label, fit, len(train), task, select, items))
    return out


def _score_test(est, frames, y, idx, name, fit, n_train, task, select, items) -> Evaluation:
    """Predict and score one test set (frames ``idx``) of a fitted estimator."""
    f = frames.take(idx)
    with _Stopwatch() as pt:
        pred = answer(est, f, _latent(task))
    res = {"fit_s": fit.wall, "fit_cpu_s": fit.cpu, "predict_s": pt.wall, "predict_cpu_s": pt.cpu,
           "n": int(len(idx)), "n_train": int(n_train),
           "predict_per_s": len(idx) / pt.wall if pt.wall else math.nan}
    res.update(score_predictions(est, f, y[idx], pred, task.metrics,
                                 None if select is None else np.asarray(select)[idx],
                                 **_scoring_kwargs(task, items, idx)))
    return Evaluation(name, res)


def resolve_params(params: dict, y: np.ndarray) -> dict:
    """A method's parameters with ``"true-fraction"`` replaced by the outlier fraction of ``y``
    (the fraction of frames whose truth is not ``True``, e.g. the doubles of an ``is_single_hit``
    task): the envelope's contamination as an oracle setting, so only in a task's ``oracles``."""
    out = {}
    for k, v in params.items():
        if v == "true-fraction":
            frac = 1.0 - float(np.mean(y.astype(bool)))
            v = min(0.5, max(frac, 1e-3))
        out[k] = v
    return out


def write_split_file(folder: Path, task: str, variant: str, seed: int, digest: str, train, tests) -> Path:
    """The split of one data set as JSON (``splits/TASK[-VARIANT]-sSEED.json``): the content hash
    of the data it indexes, the training frame indices and each test set's, so that another tool
    can train and test on exactly the frames the scorecard did."""
    import json
    import re

    from diffbench.utils.atomic import atomic_write_text

    tag = re.sub(r"[^A-Za-z0-9_.=-]+", "_", variant)
    path = Path(folder) / (f"{task}-{tag}-s{seed}.json" if tag else f"{task}-s{seed}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({"task": task, "variant": variant, "seed": seed, "content_sha256": digest,
                                        "train": np.asarray(train).tolist(),
                                        "tests": {k: np.asarray(v).tolist() for k, v in tests.items()}}))
    return path


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


def unavailable(name: str) -> str | None:
    """Why the method ``name`` cannot run on this machine (an external program it runs is not
    installed), or None. The benchmark skips such a method and says so; the gate does not count
    its baseline entries as missing."""
    from diffbench.methods.registry import get_method

    fn = getattr(get_method(name), "unavailable", None)
    return fn() if fn is not None else None


def target_kind_name(task: Task, y) -> str:
    """How the task's target is scored (the ``kind`` of the scorer of its metrics): "binary",
    "multiclass", "cluster", "value", ...; binary for a task whose truth comes per range (MX)."""
    return "binary" if y is None else scorer_for(task.metrics, y).kind


def full_plan(task: Task, methods, seed: int, y, has_frames: bool) -> list[tuple[str, str, object]]:
    """(label, role, factory) of every control, oracle and method to run on one data set."""
    from diffbench.bench.controls import CONTROLS, controls_for
    from diffbench.methods.registry import make_method

    kind = target_kind_name(task, y)
    plan = []
    for c in controls_for(kind, has_frames):
        plan.append((c, "control", lambda c=c: CONTROLS[c](kind=kind, positive=task.positive, random_state=seed)))
    for role, specs in (("oracle", task.method_specs(oracles=True)), ("method", method_plan(task, methods))):
        for label, mname, params in specs:
            if unavailable(mname):
                continue
            resolved = resolve_params(params, y) if y is not None else params
            plan.append((label, role, lambda m=mname, p=resolved: make_method(m, **p)))
    return plan


def sweep_label(key: str, value) -> str:
    """``thickness_m=2e-09..2e-08`` for a distribution value, ``pulse_energy_j=0.00074`` for a number:
    the last part of the key and the value's numbers."""
    import re

    short = key.rsplit(".", 1)[-1]
    nums = re.findall(r"[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?", str(value))
    if isinstance(value, str) and len(nums) >= 2:
        return f"{short}={float(nums[0]):g}..{float(nums[1]):g}"
    return f"{short}={value}"


def task_cells(name: str, task: Task, tier: str, seeds=None, n=None) -> list[tuple]:
    """The independent cells of one task — one per (seed, sweep value) — as
    ``(name, task for that cell, variant label, seed, n)``: each simulates (or reuses) one data set
    and scores every control, oracle and method on it."""
    if tier not in task.n:
        raise ValueError(f"task {name} has no {tier} tier (its tiers: {', '.join(task.n)})")
    n = n or task.n[tier]
    seeds = seeds or task.seeds[tier]
    task = task.for_tier(tier)
    variants = [("", [])]
    if task.sweep is not None:
        variants = [(sweep_label(task.sweep.key, v), [f"{task.sweep.key}={v}"]) for v in task.sweep.for_tier(tier)]
    cells = []
    for seed in seeds:
        for variant, extra in variants:
            vtask = task.model_copy(update={"overrides": list(task.overrides) + extra}) if extra else task
            cells.append((name, vtask, variant, seed, n))
    return cells


def run_cell(cell: tuple, folder, methods=None, shard_size=None, config=None, log=None) -> list[dict]:
    """Rows of one cell (see :func:`task_cells`); the unit a Dask or process-pool worker runs."""
    name, task, variant, seed, n = cell
    return _run_one(name, task, variant, Path(folder), methods, seed, n, shard_size,
                    log or (lambda m: None), config)


def run_task(name: str, task: Task, tier: str, folder: Path, methods=None, seeds=None, n=None,
             shard_size=None, log=print, config=None, executor=None) -> list[dict]:
    """Every (control, oracle, method) × seed × sweep value of one task → per-seed result rows.

    executor : a :func:`diffbench.simulate.executors.make_executor` engine (a local process pool or
        Dask, as for sharded generation) to run the cells in parallel; the rows are the same as a
        local run's, in the same order (each cell is deterministic and independent).
    """
    cells = task_cells(name, task, tier, seeds, n)
    if executor is None:
        return [row for cell in cells for row in run_cell(cell, folder, methods, shard_size, config, log)]
    futures = [executor.submit(run_cell, cell, str(folder), methods, shard_size, config) for cell in cells]
    done = {}
    for fut in executor.as_completed(futures):
        rows = fut.result()
        done[futures.index(fut)] = rows
        if rows:
            log(f"  {name}: seed {rows[0]['seed']} {rows[0]['test']} done ({len(rows)} rows)")
    return [row for i in range(len(futures)) for row in done[i]]


def run_tasks(names, tasks: dict, tier: str, folder: Path, methods=None, seeds=None, n=None, shard_size=None,
              log=print, config=None, executor=None) -> list[dict]:
    """:func:`run_task` for several tasks; with an ``executor`` every cell of every task is queued at
    once, so that no worker idles at the end of a task with fewer cells left than workers (the
    quick tier's tasks have five seeds each: on two workers the fifth ran alone). The rows are the
    same, in the same order, as task after task."""
    if executor is None:
        rows = []
        for name in names:
            log(f"task {name} ({tier})")
            rows += run_task(name, tasks[name], tier, folder, methods, seeds, n, shard_size, log, config)
        return rows
    cells = [cell for name in names for cell in task_cells(name, tasks[name], tier, seeds, n)]
    log(f"tasks {', '.join(names)} ({tier}): {len(cells)} cells on {executor.describe()}")
    # cells that train networks (minutes) are queued first, the rest (seconds) fill in behind them:
    # the quick tier's last minute was one long cell running alone
    neural = {name: _trains_networks(tasks[name].for_tier(tier), methods) for name in names}
    order = sorted(range(len(cells)), key=lambda i: not neural[cells[i][0]])
    futures = [None] * len(cells)
    for i in order:
        futures[i] = executor.submit(run_cell, cells[i], str(folder), methods, shard_size, config)
    index = {id(f): i for i, f in enumerate(futures)}
    done = {}
    for fut in executor.as_completed(futures):
        rows = fut.result()
        done[index[id(fut)]] = rows
        if rows:
            log(f"  {rows[0]['task']}: seed {rows[0]['seed']} {rows[0]['test']} done ({len(rows)} rows, "
                f"{len(done)}/{len(cells)} cells)")
    return [row for i in range(len(futures)) for row in done[i]]


def _trains_networks(task: Task, methods=None) -> bool:
    """Whether a task runs a method tagged ``neural`` (``methods``: the --methods filter)."""
    from diffbench.methods.base import method_tags
    from diffbench.methods.registry import available, get_method

    for label, name, params in task.method_specs():
        if methods and label not in methods and name not in methods:
            continue
        if ":" not in name and name in available():
            try:
                if method_tags(get_method(name)(**params)).neural:
                    return True
            except Exception:  # a parameter the harness resolves later (true-fraction): not neural
                continue
    return False


def _ensure_data(task, folder, n, seed, shard_size, log, config) -> dict:
    """The data set file(s) of one cell: {"": path}, or {pool: path} for a pooled task (each pool
    simulated with its own seed, :func:`diffbench.bench.pools.pool_seed`)."""
    if not task.pools:
        return {"": ensure_dataset(dataset_path(folder, task, n, seed, config), task, n, seed, shard_size, log, config)}
    from diffbench.bench.pools import pool_seed

    out = {}
    for i, pool in enumerate(task.pools):
        t, s = task.pool_task(pool), pool_seed(seed, i)
        out[pool] = ensure_dataset(dataset_path(folder, t, n, s, config), t, n, s, shard_size, log, config)
    return out


def _ensure_card(path, ds, digest: str) -> None:
    """Write the data card beside a data set file unless one for the same content is there."""
    card = path.with_suffix(".card.md")
    if not card.is_file() or digest not in card.read_text():
        from diffbench.io.card import write_card

        write_card(path, card, ds, digest)


def _run_one(name, task, variant, folder, methods, seed, n, shard_size, log, config) -> list[dict]:
    from contextlib import ExitStack

    from diffbench.methods.frames import as_frames

    with _Stopwatch() as sim:
        paths = _ensure_data(task, folder, n, seed, shard_size, log, config)
    path = next(iter(paths.values()))
    kind = kind_of_file(path)
    rows, seed_results = [], []
    with ExitStack() as stack:
        if task.pools:
            from diffbench.bench.pools import open_pooled

            ds = open_pooled(kind, paths, stack)
            for p, part in zip(paths.values(), ds.parts):
                _ensure_card(p, part, content_digest(part))
            digest = content_digest(ds)
        else:
            ds = stack.enter_context(kind.open(path))
            digest = content_digest(ds)
            _ensure_card(path, ds, digest)
        ranges = task.target.startswith("ranges.")
        y = None if ranges else target_values(ds, task.target)
        select = np.asarray(ds.truth[task.select], bool) if task.select else None
        frames = as_frames(ds) if kind.frames else ds
        if y is not None and not (task.split == "none" or isinstance(task.split, PerGroup)):
            write_split_file(Path(folder).parent / "splits", name, variant, seed, digest,
                             *train_test_indices(task.split, y, ds.truth, seed))
        conditions = {}
        for f in task.conditions:
            v = condition_values(ds, f)
            if v is not None:
                conditions[f] = v
        fields = {}
        for f in task.scoring_fields():  # numeric truth the scorer reads beyond the target
            v = condition_values(ds, f)
            if v is None:
                raise ValueError(f"task {name}: scoring field {f!r} is not in the data's truth")
            fields[f] = np.asarray(v, dtype=np.float64)
        if task.averages is not None:  # score class averages, not frames (paper 001)
            from diffbench.bench.averaged import averaged_items

            with _Stopwatch() as avg_t:
                frames, item_truth, _ = averaged_items(frames, {task.target: y, **conditions, **fields},
                                                       task.averages, seed)
            log(f"  {name} / seed {seed}: {len(frames)} class averages in {avg_t.wall:.1f} s")
            y = item_truth[task.target]
            conditions = {k: item_truth[k] for k in conditions}
            fields = {k: item_truth[k] for k in fields}
            select = None
        items = ItemTruth(conditions, fields)
        for label, role, factory in full_plan(task, methods, seed, y, kind.frames):
            try:
                results = (score_ranges(factory(), ds, task.target.split(".", 1)[1], task.metrics, task, seed) if ranges
                           else evaluate(factory, frames, y, task, ds.truth, seed, select, items))
                error = None
            except Exception as exc:  # noqa: BLE001 - a failing method is a result, not a crash
                results = [Evaluation("all", {"n": len(ds), "fit_s": math.nan, "predict_s": math.nan})]
                error = f"{type(exc).__name__}: {exc}"
                log(f"  {name} / {label} / seed {seed}: FAILED ({error})")
            peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
            for test, res, selection in results:
                if variant:
                    test = variant if test == "all" else f"{variant} {test}"
                if error is None:
                    log(f"  {name} / {label} / {test} / seed {seed}: " + ", ".join(
                        f"{m}={res[m]:.3f}" for m in task.metrics if m in res and isinstance(res[m], float)))
                row = {"task": name, "method": label, "role": role, "test": test, "seed": seed,
                       "dataset": "+".join(p.name for p in paths.values()),
                       "recipe": task.recipe, "content_sha256": digest, "simulate_s": sim.wall,
                       "peak_rss_mb": peak_mb, **res}
                if error is not None:
                    row["error"] = error
                seed_results.append((label, Evaluation(test, row, selection)))
                rows.append(row)
    selection_overlaps([(label, ev) for label, ev in seed_results if ev.scores.get("role") != "control"])
    return rows

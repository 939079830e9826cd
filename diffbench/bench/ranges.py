"""Scoring an MX ice detector per (data set, resolution range) rather than per data set."""

from __future__ import annotations

import math
import time

import numpy as np

from diffbench.bench.scoring import Evaluation, score_predictions


def scored_ranges(data, field: str) -> tuple[np.ndarray, np.ndarray]:
    """(order, keep): the ranges table sorted by (data set, range) and the ranges that are scored —
    those within the data's resolution and not blanked at integration (blank ranges are a different
    artefact, scored apart by the data-set task). The harness decides this, never the method."""
    r = data.ranges
    order = np.lexsort((r["range_index"], r["dataset_index"]))
    keep = np.asarray(r["in_resolution"])[order].astype(bool) & ~np.asarray(r["blank"])[order].astype(bool)
    return order, keep


def range_labels(data, field: str) -> np.ndarray:
    """(n_data_sets, n_ranges) int8: the truth ``field`` (1/0) of every scored range
    (:func:`scored_ranges`), −1 where a range is not scored: what a per-range learner is trained on."""
    order, keep = scored_ranges(data, field)
    truth = np.asarray(data.ranges[field])[order].astype(np.int8)
    return np.where(keep, truth, -1).astype(np.int8).reshape(len(data), -1)


def _data_set_splits(task, data, labels, seed) -> list[tuple[np.ndarray, np.ndarray, str]] | None:
    """[(train, test, name)] data-set indices: ``split: {test_fraction: f}`` (stratified on the data
    set's ice label; one test set), a group split (e.g. over the ``pool`` of a pooled task: one test
    set per named group), or None (``split: none``: rules fit and score on every data set)."""
    from diffbench.bench.tasks import GroupSplit, Split

    split = None if task is None else task.split
    if isinstance(split, GroupSplit):
        from diffbench.bench.splits import train_test_indices

        train, tests = train_test_indices(split, np.zeros(len(data)), data.truth, seed)
        return [(train, idx, f"{name} ") for name, idx in tests.items()]
    if not isinstance(split, Split):
        return None
    from sklearn.model_selection import train_test_split

    icy = np.asarray(data.truth["label_ice"]).astype(bool) if "label_ice" in data.truth else (labels == 1).any(1)
    strat = icy if 0 < icy.sum() < len(icy) - 1 else None
    train, test = train_test_split(np.arange(len(data)), test_size=split.test_fraction, random_state=seed,
                                   stratify=strat)
    return [(np.sort(train), np.sort(test), "")]


def score_ranges(est, data, field: str, metrics: list[str], task=None, seed: int = 0) -> list:
    """Per-(data set, ice range) scoring of an MX ice detector (``target: ranges.<field>``): its
    ``predict_ranges`` against the truth of every scored range (:func:`scored_ranges`). An answer
    other than a positive number (0, −1 "beyond resolution", None/nan "blank") on a scored range is
    a "no ice" call: a method cannot remove a range from its own score. Controls (estimators without
    ``predict_ranges``) are fit on the scored ranges' truth and answer one value per range.

    With ``split: {test_fraction: f}`` the data sets are split (stratified on their ice label), with
    a group split by whole groups (the pools of a domain-shift task): learners (tags ``requires_y``)
    are fit on the training data sets' :func:`range_labels`, rules fit on them too (a no-op), and
    everything is scored on each test set, per range and per data set (icy if any range is; paper
    003 Tables 2 and 3)."""
    from diffbench.methods.base import method_tags

    labels = range_labels(data, field)
    splits = _data_set_splits(task, data, labels, seed)
    split = splits is not None
    if not split:
        splits = [(np.arange(len(data)), np.arange(len(data)), "")]
    train = splits[0][0]
    tr = data.take(train) if split else data
    icy_all = (labels == 1).any(axis=1).astype(int)  # a data set's label: any visible ring
    if "label_ice" in getattr(data, "truth", {}):
        icy_all = np.asarray(data.truth["label_ice"]).astype(int)
    t0 = time.perf_counter()
    learner = hasattr(est, "predict_ranges")
    if learner:
        if method_tags(est).requires_y:
            est.fit(tr, labels[train])
        else:
            est.fit(tr)
    else:  # a control: it sees only the truth vector of the scored ranges
        k_tr = labels[train] >= 0
        est.fit(np.zeros((int(k_tr.sum()), 1)), labels[train][k_tr].astype(int))
        if split:  # and, for the per-data-set rows, a second control fit on the data-set labels
            import copy

            set_ctrl = copy.deepcopy(est).fit(np.zeros((len(train), 1)), icy_all[train])
    t1 = time.perf_counter()
    positive = True if task is None else task.positive
    order, _ = scored_ranges(data, field)
    results = []
    for _, test, name in splits:
        t2 = time.perf_counter()
        keep = labels[test] >= 0
        truth = labels[test] == 1
        set_pred = set_score = None
        if learner:
            te = data.take(test) if split else data
            raw = np.asarray(est.predict_ranges(te), dtype=float).reshape(len(test), -1)
            if raw.shape != truth.shape:
                raise ValueError(f"predict_ranges answered {raw.shape} for {truth.shape} (data set, range) pairs")
            pred = np.nan_to_num(raw, nan=0.0) > 0
            if split:
                set_pred = np.asarray(est.predict(te)).astype(int)
                set_score = np.asarray(est.score_samples(te), float) if hasattr(est, "score_samples") else None
        else:
            pred = np.zeros(truth.shape, bool)
            pred[keep] = np.asarray(est.predict(np.zeros((int(keep.sum()), 1)))).astype(bool)
            if split:
                set_pred = np.asarray(set_ctrl.predict(np.zeros((len(test), 1)))).astype(int)
                set_score = np.asarray(set_ctrl.score_samples(np.zeros((len(test), 1))), float)
        t3 = time.perf_counter()
        out = {"fit_s": t1 - t0, "predict_s": t3 - t2, "n": int(keep.sum()),
               "predict_per_s": len(test) / (t3 - t2) if t3 > t2 else math.nan}
        if split:
            out["n_train"] = int((labels[train] >= 0).sum())
        # the task's conditions that are columns of the ranges table (mode, ice type, amplitude); a
        # number that describes a ring (its amplitude) is undefined where none was injected: left out
        # of that breakdown (nan), so that its bins split the rings, not rings from empty ranges
        conditions = {}
        injected = np.asarray(data.ranges.get("ring_injected", np.ones(len(order), bool)))[order]
        injected = injected.reshape(len(data), -1)[test][keep].astype(bool)
        for f in (task.conditions if task is not None else []):
            if f in data.ranges:
                col = np.asarray(data.ranges[f])[order].reshape(len(data), -1)[test][keep]
                if col.dtype.kind == "S":
                    col = col.astype(str)
                elif col.dtype.kind == "f":
                    col = np.where(injected, col, np.nan)
                conditions[f] = col
        out.update(score_predictions(est, None, truth[keep].astype(int), pred[keep].astype(int),
                                     [m for m in metrics if m not in ("roc_auc", "average_precision", "psd_contrast")],
                                     positive=positive, conditions=conditions,
                                     primary=None if task is None else task.primary_metric,
                                     condition_bins=None if task is None else task.condition_bins))
        results.append(Evaluation(f"{name}per range", out))
        if split:
            per_set = {"fit_s": t1 - t0, "predict_s": t3 - t2, "n": int(len(test)), "n_train": int(len(train))}
            set_conditions = {}  # the task's conditions that are per-data-set truth (ice type, mode)
            for f in (task.conditions if task is not None else []):
                if f in getattr(data, "truth", {}):
                    col = np.asarray(data.truth[f])[test]
                    has_ice = np.asarray(data.truth.get("has_ice", np.ones(len(data), bool)))[test].astype(bool)
                    set_conditions[f] = (col.astype(str) if col.dtype.kind == "S"
                                         else np.where(has_ice, col, np.nan) if col.dtype.kind == "f" else col)
            per_set.update(score_predictions(est, None, icy_all[test], set_pred, metrics, positive=positive,
                                             score=set_score, conditions=set_conditions,
                                             primary=None if task is None else task.primary_metric,
                                             condition_bins=None if task is None else task.condition_bins))
            results.append(Evaluation(f"{name}per data set", per_set))
    return results

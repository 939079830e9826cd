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


def score_ranges(est, data, field: str, metrics: list[str], task=None) -> list:
    """Per-(data set, ice range) scoring of an MX ice detector (``target: ranges.<field>``): its
    ``predict_ranges`` against the truth of every scored range (:func:`scored_ranges`). An answer
    other than a positive number (0, −1 "beyond resolution", None/nan "blank") on a scored range is
    a "no ice" call: a method cannot remove a range from its own score. Controls (estimators without
    ``predict_ranges``) are fit on the scored ranges' truth and answer one value per range."""
    order, keep = scored_ranges(data, field)
    truth = np.asarray(data.ranges[field])[order].astype(bool)
    t0 = time.perf_counter()
    if hasattr(est, "predict_ranges"):
        est.fit(data)
        t1 = time.perf_counter()
        raw = np.asarray(est.predict_ranges(data), dtype=float).ravel()
        if raw.size != truth.size:
            raise ValueError(f"predict_ranges answered {raw.size} values for {truth.size} (data set, range) pairs")
        pred = np.nan_to_num(raw, nan=0.0) > 0
    else:  # a control: it sees only the truth vector of the scored ranges
        stand_in = np.zeros((int(keep.sum()), 1))
        est.fit(stand_in, truth[keep].astype(int))
        t1 = time.perf_counter()
        pred = np.zeros(truth.size, bool)
        pred[keep] = np.asarray(est.predict(stand_in)).astype(bool)
    t2 = time.perf_counter()
    out = {"fit_s": t1 - t0, "predict_s": t2 - t1, "n": int(keep.sum()),
           "predict_per_s": len(data) / (t2 - t1) if t2 > t1 else math.nan}
    out.update(score_predictions(est, None, truth[keep].astype(int), pred[keep].astype(int),
                                 [m for m in metrics if m not in ("roc_auc", "average_precision", "psd_contrast")],
                                 positive=True if task is None else task.positive))
    return [Evaluation("per range", out)]

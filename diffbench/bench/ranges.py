"""Scoring an MX ice detector per (data set, resolution range) rather than per data set."""

from __future__ import annotations

import math
import time

import numpy as np

from diffbench.bench.scoring import Evaluation, score_predictions


def score_ranges(est, data, field: str, metrics: list[str]) -> list:
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
    return [Evaluation("per range", out)]

"""Scores against the truth: binary-classification metrics with Wilson intervals, ROC-AUC, IoU of
selections (paper 000 eq. 4), PSD contrast γ (paper 000 eq. 5), size error."""

from __future__ import annotations

import math

import numpy as np


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion (E. B. Wilson, JASA 22, 209, 1927); (nan, nan) if n = 0."""
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return (max(0.0, centre - half), min(1.0, centre + half))


def confusion(y_true, y_pred) -> dict:
    """Counts of the binary confusion matrix, positive = 1 (the target class)."""
    t = np.asarray(y_true).astype(bool)
    p = np.asarray(y_pred).astype(bool)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {t.shape} vs {p.shape}")
    return {"tp": int((t & p).sum()), "fp": int((~t & p).sum()), "tn": int((~t & ~p).sum()), "fn": int((t & ~p).sum())}


def binary_scores(y_true, y_pred) -> dict:
    """precision, recall (= sensitivity), specificity, accuracy with Wilson 95 % intervals; F1; MCC;
    counts. Positive = 1 = the task's target class.

    For the other class (e.g. the outliers an envelope flags): ``precision_other`` = tn/(tn + fn) (the
    negative predictive value) and its recall is ``specificity``.

    An empty selection is worth nothing, not undefined: its precision and F1 are 0 where there are
    positives to find (scikit-learn's ``zero_division=0``), so a method that selects nothing on one
    seed pulls the mean down instead of being averaged away. F1 = 2tp / (2tp + fp + fn); nan only
    when there is neither a positive nor a prediction.
    """
    c = confusion(y_true, y_pred)
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
    out = dict(c, n_predicted=tp + fp, n_true=tp + fn)
    for name, k, n in (("precision", tp, tp + fp), ("recall", tp, tp + fn), ("specificity", tn, tn + fp),
                       ("precision_other", tn, tn + fn), ("accuracy", tp + tn, tp + fp + tn + fn)):
        out[name] = k / n if n else math.nan
        out[name + "_ci"] = wilson_interval(k, n)
    if tp + fp == 0 and tp + fn > 0:
        out["precision"] = 0.0
    out["f1"] = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else math.nan
    out["mcc"] = matthews(tp, fp, tn, fn)
    return out


def matthews(tp: int, fp: int, tn: int, fn: int) -> float:
    """Matthews correlation coefficient (B. W. Matthews, BBA 405, 442, 1975): 0 for any constant or
    random prediction, 1 for a perfect one, whatever the class balance; 0 where a margin is empty
    (scikit-learn's convention)."""
    den = math.sqrt(float(tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return (tp * tn - fp * fn) / den if den else 0.0


def average_precision(y_true, score) -> float:
    """Area under the precision-recall curve (scikit-learn's step-wise average precision): for a rare
    positive class it tells far more than ROC-AUC, and a random score gets the prevalence."""
    from sklearn.metrics import average_precision_score

    t = np.asarray(y_true).astype(bool)
    if t.sum() == 0 or t.all():
        return math.nan
    return float(average_precision_score(t, np.asarray(score, dtype=float)))


def bootstrap_interval(values, n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values``, one value per independent unit
    (seed, scan, data set; never pooled frames). A unit whose value is nan (a failed run) makes the
    interval nan: failures are not averaged away. One unit gives (nan, nan)."""
    v = np.asarray(values, dtype=float)
    if v.size < 2 or not np.all(np.isfinite(v)):
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, v.size, size=(n_boot, v.size))].mean(axis=1)
    a = (1 - level) / 2
    return (float(np.quantile(means, a)), float(np.quantile(means, 1 - a)))


def roc_auc(y_true, score) -> float:
    """Area under the ROC curve = P(score of a positive > score of a negative), ties counting ½
    (Mann–Whitney U); nan when one class is absent."""
    from scipy.stats import rankdata

    t = np.asarray(y_true).astype(bool)
    n_pos, n_neg = int(t.sum()), int((~t).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    ranks = rankdata(np.asarray(score, dtype=float))
    return float((ranks[t].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def iou(selection_a, selection_b) -> float:
    """Intersection over union of two selections (boolean masks or index arrays), paper 000 eq. 4."""
    sa, sb = np.asarray(selection_a), np.asarray(selection_b)
    if sa.dtype == bool and sb.dtype == bool and sa.shape == sb.shape:
        union = int((sa | sb).sum())
        return int((sa & sb).sum()) / union if union else math.nan
    a, b = set(_indices(selection_a)), set(_indices(selection_b))
    union = len(a | b)
    return len(a & b) / union if union else math.nan


def _indices(sel) -> np.ndarray:
    s = np.asarray(sel)
    return np.flatnonzero(s) if s.dtype == bool else s.astype(np.int64)


def psd_contrast(profile, n_pairs: int = 3, smooth: int = 3) -> float:
    """γ = (1/N) Σ (I_max,i − I_min,i)/(I_max,i + I_min,i) over the first N pairs of a local maximum and
    the following local minimum of a PSD (paper 000 eq. 5; Assalauova et al. 2022).

    The profile (NaNs dropped) is smoothed by a running mean of ``smooth`` bins before the extrema
    are found. A pair that is missing counts as contrast 0: a selection whose averaged PSD has lost
    its fringes (mixed sizes, multiple hits) has no fringe contrast, and γ says so instead of being
    undefined. The profile must be long enough to hold N fringes of the particles in question: a
    truncated PSD also scores low. nan only for an empty profile.
    """
    p = np.asarray(profile, dtype=float)
    p = p[np.isfinite(p)]
    if p.size < 3:
        return math.nan
    if smooth > 1 and p.size > smooth:
        p = np.convolve(p, np.ones(smooth) / smooth, mode="valid")
    d = np.diff(p)
    maxima = np.flatnonzero((d[:-1] > 0) & (d[1:] <= 0)) + 1
    minima = np.flatnonzero((d[:-1] < 0) & (d[1:] >= 0)) + 1
    # one pair per minimum that has a maximum before it (since the previous minimum); the pair's
    # maximum is the highest point from that first maximum to the minimum, so a flat-topped or
    # double-topped fringe (two maxima, no minimum between) counts once and never below its minimum
    terms = []
    prev = -1
    for n in minima:
        peaks = maxima[(maxima > prev) & (maxima < n)]
        prev = n
        if peaks.size == 0:
            continue
        hi, lo = p[peaks[0]:n].max(), p[n]
        terms.append((hi - lo) / (hi + lo))
        if len(terms) == n_pairs:
            break
    return float(np.sum(terms) / n_pairs)


def multiclass_scores(y_true, y_pred) -> dict:
    """Accuracy (with its Wilson 95 % interval), support-weighted precision, recall and F1 (sklearn's
    ``average="weighted"``, as paper 002 reports them) and the confusion matrix (rows = truth,
    columns = prediction, labels sorted)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    t = np.asarray(y_true).astype(str)
    p = np.asarray(y_pred).astype(str)
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in shape: {t.shape} vs {p.shape}")
    labels = sorted(set(t.tolist()) | set(p.tolist()))
    prec, rec, f1, _ = precision_recall_fscore_support(t, p, labels=labels, average="weighted", zero_division=0)
    correct = int((t == p).sum())
    return {"accuracy": correct / t.size if t.size else math.nan, "accuracy_ci": wilson_interval(correct, t.size),
            "correct": correct, "precision_weighted": float(prec), "recall_weighted": float(rec),
            "f1_weighted": float(f1), "labels": labels,
            "confusion_matrix": confusion_matrix(t, p, labels=labels).tolist()}


def sum_confusion(mats: list[dict]) -> dict:
    """Sum confusion matrices ``{"labels", "counts"}`` over runs (label sets merged)."""
    labels = sorted({lab for m in mats for lab in m["labels"]})
    total = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for m in mats:
        pos = [labels.index(lab) for lab in m["labels"]]
        total[np.ix_(pos, pos)] += np.asarray(m["counts"], dtype=np.int64)
    return {"labels": labels, "counts": total.tolist()}


def clustering_scores(y_true, clusters) -> dict:
    """Adjusted Rand index and normalised mutual information of a clustering against truth labels."""
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    t = np.asarray(y_true).astype(str)
    c = np.asarray(clusters).astype(str)
    return {"ari": float(adjusted_rand_score(t, c)), "nmi": float(normalized_mutual_info_score(t, c))}

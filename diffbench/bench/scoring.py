"""Scores of one method's predictions against the truth, by metric name.

Each family of metrics is a :class:`Scorer` in :data:`SCORERS`, which says which metric names it
computes and for which truth it applies (sizes, cluster labels, several classes, two classes);
:func:`score_predictions` asks the first scorer that applies to the task's metrics. Beside the
metrics a scorer adds what the report draws (confusion counts, ROC and PSD curves, size histograms)
and the confusion counts of each run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from diffbench.bench import metrics as M


@dataclass(frozen=True)
class Case:
    """One method's predictions of one test set: what every scorer reads.

    est : the fitted method; frames : the test frames (for PSDs; None for merged MX data); y : the
    truth; pred : the predictions; select : a boolean mask of the frames to score (all where the task
    selects none); score : the method's ``score_samples`` of the frames (None where it has none).
    For binary tasks ``y``, ``pred`` and ``score`` are already turned towards the task's positive
    class (1 = positive, higher score = more positive).
    """

    est: object
    frames: object
    y: np.ndarray
    pred: np.ndarray
    select: np.ndarray
    score: np.ndarray | None = None
    #: the task's ``scoring`` options for its scorer (e.g. the reconstruction grid of an orientation task)
    options: dict | None = None


class Evaluation(NamedTuple):
    """One method on one test set: its scores (metric → value, timings, curves) and, for binary
    tasks that compare selections, the frames it selected (kept apart from the scores, never
    stored)."""

    test: str
    scores: dict
    selection: np.ndarray | None = None


class Scorer:
    """A family of metrics computed together from one :class:`Case`. ``kind`` says what the task's
    truth is scored as ("binary", "multiclass", "cluster", "value", ...): the controls answer in
    its terms (:mod:`.controls`)."""

    name: str = ""
    kind: str = ""
    metrics: tuple[str, ...] = ()

    def applies(self, metrics: list[str], y: np.ndarray) -> bool:
        raise NotImplementedError

    def score(self, case: Case, metrics: list[str]) -> dict:
        raise NotImplementedError


def selection_psds(frames, selections: dict[str, np.ndarray]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Mean radial profile (PSD) of each named selection of frames, in one pass over the frames:
    (ring radii in pixels, name → profile); :func:`psd_q` gives the rings' |q| where known."""
    binning = _psd_binning(frames)
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


def _psd_binning(frames):
    from diffbench.methods.features import RadialBinning

    ny, nx = frames.frame_shape
    return RadialBinning((ny, nx), frames.center(), frames.valid, q_m=frames.q_m)


def psd_q(frames) -> np.ndarray | None:
    """Mean |q| (1/m) of each ring of :func:`selection_psds`, or None without geometry."""
    return _psd_binning(frames).q_bin_m if frames.q_m is not None else None


def roc_curve_points(y, score, max_points: int = 200) -> dict:
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


class SizeScorer(Scorer):
    """Median absolute size error (nm) of the frames with a finite true and predicted size, and
    the two size histograms."""

    name, kind, metrics = "size", "value", ("size_error_nm",)

    def applies(self, metrics, y):
        return "size_error_nm" in metrics

    def score(self, case, metrics):
        y, pred, sel = case.y, case.pred, case.select
        out = {}
        ok = sel & np.isfinite(y) & np.isfinite(pred)
        out["size_error_nm"] = float(np.median(np.abs(pred[ok] - y[ok])) * 1e9) if ok.any() else math.nan
        if ok.any():  # size histograms against the truth, for the report
            lo, hi = np.floor(min(pred[ok].min(), y[ok].min()) * 1e9), np.ceil(max(pred[ok].max(), y[ok].max()) * 1e9)
            edges = np.linspace(lo, max(hi, lo + 1), 41)
            out["curves"] = {"size_hist": {"edges_nm": edges.round(3).tolist(),
                                           "predicted": np.histogram(pred[ok] * 1e9, edges)[0].tolist(),
                                           "truth": np.histogram(y[ok] * 1e9, edges)[0].tolist()}}
        return out


class ClusteringScorer(Scorer):
    """Adjusted Rand index and normalised mutual information of cluster labels."""

    name, kind, metrics = "clustering", "cluster", ("ari", "nmi")

    def applies(self, metrics, y):
        return bool({"ari", "nmi"} & set(metrics))

    def score(self, case, metrics):
        sel = case.select
        c = M.clustering_scores(case.y[sel], case.pred[sel])
        return {k: c[k] for k in ("ari", "nmi") if k in metrics}


class MulticlassScorer(Scorer):
    """Accuracy and support-weighted precision, recall and F1 over
    several classes, and the confusion matrix."""

    name, kind, metrics = "multiclass", "multiclass", ("accuracy", "precision_weighted", "recall_weighted", "f1_weighted")

    def applies(self, metrics, y):
        return not is_binary(y)

    def score(self, case, metrics):
        sel = case.select
        mc = M.multiclass_scores(case.y[sel], case.pred[sel])
        out = {m: mc[m] for m in self.metrics if m in metrics}
        out["confusion_matrix"] = {"labels": mc["labels"], "counts": mc["confusion_matrix"]}
        return out


class BinaryScorer(Scorer):
    """Two classes, positive = the task's target class: precision, recall, F1, MCC, specificity,
    precision of the other class, accuracy, IoU of the selection with the true targets (paper 000
    eq. 4), ROC AUC and average precision of ``score_samples`` (with the ROC curve), the PSD
    contrast γ of the selection (paper 000 eq. 5, with the mean PSDs and the γ of the true set),
    and the structure 3-D EMC builds from the selection (``structure_*``; the EMC's parameters in
    the task's ``scoring: {emc3d: ...}``)."""

    name = kind = "binary"
    metrics = ("precision", "recall", "f1", "specificity", "precision_other", "accuracy", "n_predicted", "iou",
               "roc_auc", "average_precision", "mcc", "psd_contrast",
               # the structure 3-D EMC builds from the selection (:mod:`diffbench.bench.downstream`)
               "structure_shell_correlation", "structure_resolution_nm", "structure_orientation_median_deg")

    def applies(self, metrics, y):
        return is_binary(y)

    def score(self, case, metrics):
        frames, y, pred, sel = case.frames, case.y, case.pred, case.select
        n = len(y)
        out = {}
        b = M.binary_scores(y[sel], pred[sel])
        for m in ("precision", "recall", "f1", "specificity", "precision_other", "accuracy", "n_predicted", "mcc"):
            if m in metrics:
                out[m] = b[m]
        if "iou" in metrics:  # the selection against the true target set (paper 000 eq. 4)
            out["iou"] = M.iou(np.asarray(pred[sel], bool), np.asarray(y[sel], bool))
        out["confusion"] = {k: b[k] for k in ("tp", "fp", "tn", "fn")}
        curves = {}
        if case.score is not None:
            score = np.asarray(case.score, dtype=float)[sel]
            if "roc_auc" in metrics:
                out["roc_auc"] = M.roc_auc(y[sel], score)
                if 0 < np.sum(y[sel]) < sel.sum():
                    curves["roc"] = roc_curve_points(y[sel], score)
            if "average_precision" in metrics:
                out["average_precision"] = M.average_precision(y[sel], score)
        if "psd_contrast" in metrics and frames is not None:
            picked = pred.astype(bool)
            radius, psd = selection_psds(frames, {"selected": picked, "true targets": np.asarray(y, bool),
                                                   "all frames": np.ones(n, bool)})
            out["psd_contrast"] = M.psd_contrast(psd["selected"])
            out["psd_contrast_truth"] = M.psd_contrast(psd["true targets"])
            q = psd_q(frames)
            if q is not None:  # the report plots against q (nm⁻¹) where the geometry is known
                curves["psd_q_per_nm"] = [None if not np.isfinite(v) else round(float(v) * 1e-9, 5) for v in q]
            curves["psd"] = {"radius_px": np.round(radius, 3).tolist(),
                             **{k: [None if not np.isfinite(v) else float(f"{v:.6g}") for v in p] for k, p in psd.items()}}
        from diffbench.bench.downstream import STRUCTURE_METRICS, structure_of_selection

        if set(STRUCTURE_METRICS) & set(metrics) and frames is not None:
            s = structure_of_selection(frames, np.asarray(pred, bool) & sel, (case.options or {}).get("emc3d", {}))
            curve = s.pop("structure_curve", None)
            if curve is not None:
                curves["structure_shell_correlation"] = curve
            out.update(s)
        if curves:
            out["curves"] = curves
        return out


class OrientationScorer(Scorer):
    """Orientations (quaternions, one per single hit) against the truth, and the structure they build.

    The orientation error is symmetry-aware (:func:`diffbench.bench.orientation.orientation_errors`:
    the species' point group from the recipe, Friedel's half-turn, the global frame fitted first);
    median and 90th percentile in degrees. The structure: the test frames merged at the method's
    orientations (:meth:`diffbench.methods.emc3d.EMC3D.merge`, on the grid of the task's
    ``scoring`` options, the same for every row, so that a control's random orientations and an
    EMC's are judged alike) against the true intensity volume in the fitted frame
    (:func:`diffbench.bench.reconstruction.volume_scores`): mean shell correlation and the ½-bit
    resolution."""

    name = kind = "orientation"
    metrics = ("orientation_median_deg", "orientation_p90_deg", "shell_correlation", "resolution_nm")

    def applies(self, metrics, y):
        return bool(set(self.metrics) & set(metrics))

    def score(self, case, metrics):
        from diffbench.bench.orientation import orientation_errors
        from diffbench.bench.reconstruction import single_species, volume_scores
        from diffbench.io.cxi import open_dataset

        sel = case.select
        if case.frames is None or case.frames.source == "array":
            raise ValueError("an orientation task needs frames read from a diffbench data set (its recipe holds "
                             "the species' point group and true volume)")
        with open_dataset(case.frames.source) as ds:
            species, group = single_species(ds)
            err = orientation_errors(case.y[sel], case.pred[sel], group)
            out = {"orientation_median_deg": err.median_deg, "orientation_p90_deg": err.p90_deg,
                   "curves": {"orientation_error_hist": {"edges_deg": list(range(0, 181, 5)),
                                                         "counts": np.histogram(err.errors_deg, np.arange(0, 181, 5))[0]
                                                         .tolist()}}}
            if {"shell_correlation", "resolution_nm"} & set(metrics):
                from diffbench.methods.emc3d import EMC3D

                merged = EMC3D(point_group=group, **(case.options or {})).merge(
                    case.frames.take(np.flatnonzero(sel)), case.pred[sel])
                vol = volume_scores(merged.model_, merged.coverage_, merged.q_grid_m(), merged.dq_m_, ds, species,
                                    err.frame)
                out["curves"].update(vol.pop("curves"))
                out.update(vol)
        return {k: v for k, v in out.items() if k in metrics or k == "curves"}


def _loo_neighbours(z: np.ndarray, k: int) -> list[np.ndarray]:
    """Each point's k nearest other points (Euclidean, leave-one-out), nearest first; where the
    k-th distance is shared by further points, all of them (ties vote together: a constant latent
    then gives every point all the others, not the first k in storage order)."""
    from sklearn.neighbors import NearestNeighbors

    k = min(k, len(z) - 1)
    m = min(k + 2, len(z))
    dist, idx = NearestNeighbors(n_neighbors=m).fit(z).kneighbors(z)
    out = []
    for i in range(len(z)):
        keep = idx[i] != i
        d, row = dist[i][keep], idx[i][keep]
        if len(d) > k and d[k] <= d[k - 1]:  # a tie at the k-th distance: every point that close votes
            full = np.linalg.norm(z - z[i], axis=1)
            full[i] = np.inf
            tied = np.flatnonzero(full <= d[k - 1])
            out.append(tied[np.argsort(full[tied], kind="stable")])
        else:
            out.append(row[:k])
    return out


def _majority(labels: np.ndarray):
    """The most frequent label of a row of neighbours (nearest first); a tie goes to the label met first."""
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    best = np.flatnonzero(counts == counts.max())
    return values[best[np.argmin(first[best])]]


def knn_r2(z: np.ndarray, v: np.ndarray, k: int = 5) -> float:
    """How much of a numeric field a latent space holds: R² of the leave-one-out k-nearest-neighbour
    mean of ``v`` (1: the neighbours say the value; 0: no better than the mean; < 0: worse)."""
    ok = np.isfinite(v)
    if ok.sum() < k + 2 or np.var(v[ok]) == 0:
        return math.nan
    pred = np.array([v[ok][row].mean() for row in _loo_neighbours(z[ok], k)])
    return float(1.0 - np.sum((v[ok] - pred) ** 2) / np.sum((v[ok] - v[ok].mean()) ** 2))


class LatentScorer(Scorer):
    """A latent space (``transform``: coordinates per item) against the truth (paper 001's landscape).

    knn_accuracy : leave-one-out 5-nearest-neighbour vote of the target class. kmeans_ari : adjusted
    Rand index of k-means (k = the number of true classes) against the target. spearman_abs : the
    largest |Spearman ρ| of one coordinate with the structural field (``scoring: structure``), on
    the items whose class is one of ``structure_groups`` (the melting path, as methods.md §4: the
    sign and order of the components are arbitrary). structure_r2 : R² of the structural field
    from the 5 nearest neighbours (:func:`knn_r2`). nuisance_r2 : the largest such R² among the
    ``scoring: nuisances`` (photons, fluence, ...) — how much of the latent is the experiment rather
    than the structure (cryoDRGN users' "is my latent heterogeneity or pose?"); every field's R² is
    kept under ``leakage``."""

    name, kind = "latent", "latent"
    metrics = ("knn_accuracy", "kmeans_ari", "spearman_abs", "structure_r2", "nuisance_r2")

    def applies(self, metrics, y):
        return bool(set(self.metrics) & set(metrics))

    def score(self, case, metrics):
        from scipy.stats import spearmanr
        from sklearn.cluster import KMeans

        opts = case.options or {}
        fields = opts.get("fields") or {}
        sel = case.select
        z = np.asarray(case.pred, dtype=np.float64)[sel]
        z = z.reshape(len(z), -1)
        y = np.asarray(case.y).astype(str)[sel]
        out: dict = {}
        if "knn_accuracy" in metrics:
            votes = [_majority(y[row]) for row in _loo_neighbours(z, 5)]
            out["knn_accuracy"] = float(np.mean(np.asarray(votes) == y))
        if "kmeans_ari" in metrics:
            import warnings

            from sklearn.metrics import adjusted_rand_score

            k = np.unique(y).size
            with warnings.catch_warnings():  # a constant latent (the prevalence control) has one distinct point
                warnings.simplefilter("ignore")
                labels = KMeans(n_clusters=k, n_init=10, random_state=0).fit_predict(z) if k > 1 else np.zeros(len(z))
            out["kmeans_ari"] = float(adjusted_rand_score(y, labels))
        structure = opts.get("structure")
        if structure is not None and {"spearman_abs", "structure_r2"} & set(metrics):
            v = np.asarray(fields[structure], dtype=np.float64)[sel]
            on_path = np.isin(y, opts["structure_groups"]) if opts.get("structure_groups") else np.ones(len(y), bool)
            on_path &= np.isfinite(v)
            rhos = [abs(spearmanr(z[on_path, j], v[on_path])[0]) if np.ptp(z[on_path, j]) > 0 else 0.0
                    for j in range(z.shape[1])] if on_path.sum() > 2 else [math.nan]
            out["spearman_abs"] = float(np.nanmax(rhos)) if np.isfinite(rhos).any() else 0.0
            out["structure_r2"] = knn_r2(z[on_path], v[on_path])
        if opts.get("nuisances") and "nuisance_r2" in metrics:
            leak = {f: knn_r2(z, np.asarray(fields[f], dtype=np.float64)[sel]) for f in opts["nuisances"]}
            out["leakage"] = leak
            finite = [r for r in leak.values() if np.isfinite(r)]
            out["nuisance_r2"] = float(max(finite)) if finite else math.nan
        return {k: v for k, v in out.items() if k in metrics or k == "leakage"}


#: The scorers, in the order they are asked (the first that applies scores the case).
SCORERS: tuple[Scorer, ...] = (OrientationScorer(), LatentScorer(), SizeScorer(), ClusteringScorer(), MulticlassScorer(),
                               BinaryScorer())


def scorer_for(metrics: list[str], y: np.ndarray) -> Scorer:
    """The scorer of a task's metrics on truth ``y``."""
    return next(s for s in SCORERS if s.applies(metrics, y))


def score_predictions(est, frames, y, pred, metrics: list[str], select=None, positive=True, score=None,
                      conditions: dict | None = None, primary: str | None = None,
                      condition_bins: dict | None = None, options: dict | None = None) -> dict:
    """Metric → value (and what the report draws) for predictions ``pred`` against the truth ``y``.

    positive : the truth value of the positive class of a binary task (``False`` when the target
        class is the absent one, e.g. doubles in an ``is_single_hit`` task): truth, predictions and
        the method's ``score_samples`` (``score``, computed here when None) are turned towards it.
    conditions : truth field → per-frame values; the ``primary`` metric is also reported per bin of
        each (see :func:`by_condition`); ``condition_bins`` gives fixed bin edges for some of them.
    options : the task's ``scoring`` options, for the scorer.
    """
    sel = np.ones(len(y), bool) if select is None else np.asarray(select, bool)
    y, pred = np.asarray(y), np.asarray(pred)
    if scorer_for(metrics, y).kind == "binary":
        if score is None and hasattr(est, "score_samples") and frames is not None and \
                bool({"roc_auc", "average_precision"} & set(metrics)):
            score = np.asarray(est.score_samples(frames), dtype=float)
        y, pred, score = orient(y, pred, score, positive)
    case = Case(est, frames, y, pred, sel, score, options)
    scorer = scorer_for(metrics, case.y)
    out = scorer.score(case, metrics)
    if conditions and primary:
        edges = condition_bins or {}
        out["by_condition"] = {f: by_condition(scorer, case, primary, v, edges.get(f)) for f, v in conditions.items()}
    return out


def orient(y, pred, score, positive):
    """Binary truth, predictions and scores with 1 = the positive class (and higher score = more
    positive) when the positive class is truth value ``positive``."""
    y = np.asarray(y).astype(bool)
    pred = np.asarray(pred).astype(bool)
    if bool(positive):
        return y.astype(int), pred.astype(int), score
    return (~y).astype(int), (~pred).astype(int), None if score is None else -np.asarray(score, dtype=float)


#: Numeric truth fields are split into this many quantile bins for per-condition scores.
CONDITION_BINS = 4


def by_condition(scorer: Scorer, case: Case, metric: str, values, edges=None) -> list[dict]:
    """The ``metric`` in each bin of one truth field (per value for labels and booleans, quantile
    bins for numbers, or the fixed bins between ``edges`` — the task's ``condition_bins``, which
    make bins the same on every seed so that they aggregate; values beyond the outer edges go to
    the outer bins; frames where the field is nan — e.g. the pair separation of a single — are
    left out): [{"bin", "n", "value", "metric"}], the worst bin marked.

    A binary bin that holds one class only (the doubles at one separation, the frames without ice)
    has no precision or AUC: it reports the fraction of its frames called right instead (recall of
    positives, specificity of negatives, named in ``metric``). The worst bin is chosen among bins of
    the primary metric, else among these."""
    v = np.asarray(values)
    sel = case.select
    if v.dtype.kind == "f":
        sel = sel & np.isfinite(v)
    if not sel.any():
        return []
    if edges is not None or (v.dtype.kind in "fiu" and np.unique(v[sel]).size > CONDITION_BINS):
        if edges is None:
            edges = np.unique(np.quantile(v[sel].astype(float), np.linspace(0, 1, CONDITION_BINS + 1)))
        edges = np.asarray(edges, dtype=float)
        idx = np.clip(np.searchsorted(edges, np.nan_to_num(v.astype(float), nan=-np.inf), side="right") - 1,
                      0, len(edges) - 2)
        bins = [(f"{edges[i]:.3g}-{edges[i + 1]:.3g}", idx == i) for i in range(len(edges) - 1)]
    else:
        bins = [(str(u), v == u) for u in np.unique(v[sel])]
    out = []
    for label, mask in bins:
        m = sel & mask
        entry = {"bin": label, "n": int(m.sum()), "value": math.nan, "metric": metric}
        if m.any():
            classes = np.unique(case.y[m])
            if isinstance(scorer, BinaryScorer) and classes.size < 2:
                positive = bool(classes[0])
                entry["metric"] = "recall" if positive else "specificity"
                entry["value"] = float(np.mean(np.asarray(case.pred[m]).astype(bool) == positive))
            else:
                sub = Case(case.est, case.frames, case.y, case.pred, m, case.score, case.options)
                try:
                    entry["value"] = float(scorer.score(sub, [metric]).get(metric, math.nan))
                except ValueError:
                    pass
        out.append(entry)
    mark_worst(out, metric)
    return out


def mark_worst(bins: list[dict], metric: str) -> None:
    """Mark the worst bin (``"worst": True``): the worst ``metric`` (the lowest, or the highest where
    lower is better) among bins scored with it, else the lowest among the recall/specificity bins
    of one class; undefined (nan) bins never."""
    from diffbench.bench.metric_registry import METRICS

    for kind in (metric, None):
        finite = [b for b in bins if np.isfinite(b["value"]) and (kind is None or b.get("metric", metric) == kind)]
        if finite:
            lower_better = kind is not None and metric in METRICS and METRICS[metric].higher_is_better is False
            pick = max if lower_better else min
            pick(finite, key=lambda b: b["value"])["worst"] = True
            return

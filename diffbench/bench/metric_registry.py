"""Every metric a task may name, as one object: which way it improves, the smallest move the
regression gate counts, its unit and what it means.

The scorers (:mod:`.scoring`) compute metrics by name; everything else that needs to know about a
metric — the task validator, the margin over controls, the worst condition bin, the gate's
tolerance, the report's glossary — asks :func:`metric` instead of testing names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """name : as tasks and scorecards spell it. higher_is_better : True, False, or None for a count
    that is neither (never a regression, no margin). floor : the smallest move of the mean that the
    gate calls a regression, in the metric's unit. unit : "" for fractions and scores. text : what it
    means, for the report."""

    name: str
    higher_is_better: bool | None
    floor: float
    text: str
    unit: str = ""


_ALL = (
    Metric("precision", True, 0.01, "of the frames a method selects, the fraction that are targets"),
    Metric("recall", True, 0.01, "of the targets, the fraction a method selects"),
    Metric("f1", True, 0.01, "harmonic mean of precision and recall (0 for an empty selection)"),
    Metric("mcc", True, 0.01, "Matthews correlation of selection and truth (−1…1; 0 = chance), fair under "
                              "class imbalance"),
    Metric("specificity", True, 0.01, "of the non-targets, the fraction a method leaves out"),
    Metric("precision_other", True, 0.01, "of the frames a method leaves out, the fraction that are non-targets"),
    Metric("accuracy", True, 0.01, "fraction of items labelled correctly"),
    Metric("roc_auc", True, 0.01, "probability that a random target scores above a random non-target (0.5 = chance)"),
    Metric("average_precision", True, 0.01, "area under the precision-recall curve of the method's scores "
                                            "(prevalence = chance)"),
    Metric("n_predicted", None, 0.0, "number of frames a method selects"),
    Metric("size_error_nm", False, 1.0, "median absolute error of the fitted diameter against the true "
                                        "volume-equivalent diameter", "nm"),
    Metric("psd_contrast", True, 0.01, "fringe contrast γ of the selection's mean radial profile (paper 000 eq. 5)"),
    Metric("iou", True, 0.01, "intersection over union of a selection with the true targets (paper 000 eq. 4)"),
    Metric("precision_weighted", True, 0.01, "precision per class, weighted by class size"),
    Metric("recall_weighted", True, 0.01, "recall per class, weighted by class size"),
    Metric("f1_weighted", True, 0.01, "F1 per class, weighted by class size"),
    Metric("ari", True, 0.01, "adjusted Rand index of clusters against the truth (0 = chance, 1 = identical)"),
    Metric("nmi", True, 0.01, "normalised mutual information of clusters and truth (0 = independent)"),
    Metric("orientation_median_deg", False, 1.0, "median over frames of the symmetry-aware orientation error "
                                                 "(point group, Friedel, global frame fitted first)", "deg"),
    Metric("orientation_p90_deg", False, 2.0, "90th percentile of the symmetry-aware orientation error", "deg"),
    Metric("shell_correlation", True, 0.02, "mean over shells of the correlation of the reconstructed intensity "
                                            "with the true intensity, both radial profiles removed (0: no "
                                            "structure beyond the spherical average)"),
    Metric("structure_shell_correlation", True, 0.02, "shell correlation (radial profiles removed) of the intensity "
                                                      "3-D EMC reconstructs from a selection with the true one"),
    Metric("structure_resolution_nm", False, 0.1, "½-bit resolution of the intensity 3-D EMC reconstructs from a "
                                                  "selection, against the true one", "nm"),
    Metric("structure_orientation_median_deg", False, 1.0, "median orientation error 3-D EMC gives the true single "
                                                           "hits of a selection (symmetry-aware)", "deg"),
    Metric("knn_accuracy", True, 0.02, "accuracy of the leave-one-out 5-nearest-neighbour vote of the true class "
                                       "in a latent space"),
    Metric("kmeans_ari", True, 0.02, "adjusted Rand index of k-means clusters of a latent space (k = the number of "
                                     "true classes) against the truth"),
    Metric("spearman_abs", True, 0.02, "largest |Spearman ρ| of one latent coordinate with the structural truth "
                                       "(the melt parameter) along the structural path"),
    Metric("structure_r2", True, 0.02, "R² of the structural truth from its 5 nearest neighbours in the latent "
                                       "space (leave-one-out)"),
    Metric("nuisance_r2", False, 0.02, "largest R² of a nuisance (photons, fluence, pulse energy) from its 5 "
                                       "nearest neighbours in the latent space: what the latent holds of the "
                                       "experiment rather than the structure"),
    Metric("resolution_nm", False, 0.1, "2π/q where the shell correlation with the true intensity first "
                                        "falls below the ½-bit threshold (smaller is better)", "nm"),
)

METRICS: dict[str, Metric] = {m.name: m for m in _ALL}


def metric(name: str) -> Metric:
    """The metric ``name``; an unknown name is a one-line error listing the known ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None


def better(name: str, a: float, b: float) -> bool:
    """Whether value ``a`` of metric ``name`` is strictly better than ``b``."""
    return a < b if metric(name).higher_is_better is False else a > b

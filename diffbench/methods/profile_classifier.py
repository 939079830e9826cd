"""A supervised single-hit classifier on simple features, and post-filters on a selection.

:class:`RadialProfileClassifier` stands in for paper 000's CNNs until the neural methods land: the
normalised log radial profile of each frame (fringe positions and contrast: size and single-ness)
and its log total counts, into a scikit-learn classifier. Its decision threshold is chosen on a
validation part of the *training* frames (never the test frames), to maximise F1 as paper 000's
MaxF1 does.

:class:`PostFilter` is paper 000's pipeline: a first method selects, a second (the size filter, EM
selection) filters that selection; both are scored, alone and together, by the benchmark.
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import BINARY_CLASSES, Method, MethodTags, fit_method
from diffbench.methods.frames import as_frames


def profile_features(X, n_bins: int | None = None) -> np.ndarray:
    """(N, n_bins + 1): log of each frame's radial profile normalised by its mean (shape, not
    brightness), and the log total counts (brightness), about the frame's beam centre."""
    from diffbench.methods.features import RadialBinning

    frames = as_frames(X)
    ny, nx = frames.frame_shape[-2:]
    binning = RadialBinning((ny, nx), frames.center(), frames.valid)
    out = []
    for _, prof in binning.batches(frames):
        prof = np.nan_to_num(np.asarray(prof, dtype=np.float64), nan=0.0)
        if n_bins:
            prof = prof[:, :n_bins]
        total = prof.sum(axis=1, keepdims=True)
        shape = np.log((prof + 1e-3) / (prof.mean(axis=1, keepdims=True) + 1e-3))
        out.append(np.hstack([shape, np.log1p(total)]))
    return np.vstack(out) if out else np.zeros((0, 1))


def best_f1_threshold(y, score) -> float:
    """The score threshold (predict positive where score ≥ it) of the best F1 on ``(y, score)``."""
    y = np.asarray(y).astype(bool)
    order = np.argsort(-np.asarray(score, dtype=float), kind="stable")
    s, t = np.asarray(score, dtype=float)[order], y[order]
    tp = np.cumsum(t)
    k = np.arange(1, len(s) + 1)
    f1 = 2 * tp / (k + t.sum()) if t.sum() else np.zeros(len(s))
    last = np.r_[s[1:] != s[:-1], True]  # only thresholds between distinct scores
    i = int(np.argmax(np.where(last, f1, -1)))
    return float(s[i])


class RadialProfileClassifier(Method):
    """Radial-profile features → a scikit-learn classifier, threshold of best validation F1.

    model : "logistic" (L2 logistic regression, balanced class weights) or "boosting" (histogram
        gradient boosting, balanced class weights).
    n_bins : radial bins used (None: all). validation_fraction : part of the training frames,
        stratified, held out to choose the threshold. random_state : split and model seed.
    """

    def __init__(self, model: str = "logistic", n_bins: int | None = None, validation_fraction: float = 0.3,
                 random_state: int | None = 0):
        self.model = model
        self.n_bins = n_bins
        self.validation_fraction = validation_fraction
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(requires_y=True, output="binary")

    def _estimator(self):
        from sklearn.ensemble import HistGradientBoostingClassifier
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if self.model == "logistic":
            return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000))
        if self.model == "boosting":
            return HistGradientBoostingClassifier(class_weight="balanced", random_state=self.random_state)
        raise ValueError(f"RadialProfileClassifier: model must be 'logistic' or 'boosting', got {self.model!r}")

    def fit(self, X, y):
        from sklearn.model_selection import train_test_split

        if y is None:
            raise ValueError("RadialProfileClassifier is supervised: fit(X, y) needs the labels y")
        y = np.asarray(y).astype(int)
        feats = profile_features(X, self.n_bins)
        if len(y) != len(feats):
            raise ValueError(f"y has {len(y)} labels for {len(feats)} frames")
        if np.unique(y).size < 2:
            raise ValueError("RadialProfileClassifier needs both classes among the training labels")
        strat = y if min(np.bincount(y)) >= 2 else None
        fit_idx, val_idx = train_test_split(np.arange(len(y)), test_size=self.validation_fraction,
                                            random_state=self.random_state, stratify=strat)
        self.model_ = self._estimator().fit(feats[fit_idx], y[fit_idx])
        self.threshold_ = best_f1_threshold(y[val_idx], self.model_.predict_proba(feats[val_idx])[:, 1])
        self.classes_ = BINARY_CLASSES
        return self

    def predict_proba(self, X) -> np.ndarray:
        return self.model_.predict_proba(profile_features(X, self.n_bins))

    def score_samples(self, X) -> np.ndarray:
        return self.predict_proba(X)[:, 1]

    def predict(self, X) -> np.ndarray:
        return (self.score_samples(X) >= self.threshold_).astype(np.int8)


class PostFilter(Method):
    """``first`` selects, ``then`` filters the selection (paper 000: a classifier, then the size
    filter or EM selection). ``predict`` = 1 where both keep the frame; ``score_samples`` is the
    first method's score, pushed below every kept frame where ``then`` rejects it.

    first, then : registered method names; first_params, then_params : their parameters.
    ``then`` is fit on the frames ``first`` selected from the training data (without labels, as in
    the paper); the truth goes to ``first`` only, and only if it needs it.
    """

    def __init__(self, first: str = "radial-profile-classifier", then: str = "size-filter",
                 first_params: dict | None = None, then_params: dict | None = None):
        self.first = first
        self.then = then
        self.first_params = first_params
        self.then_params = then_params

    def __diffbench_tags__(self) -> MethodTags:
        from diffbench.methods.base import method_tags
        from diffbench.methods.registry import get_method

        return MethodTags(requires_y=method_tags(get_method(self.first)(**(self.first_params or {}))).requires_y,
                          output="binary")

    def fit(self, X, y=None):
        from diffbench.methods.registry import make_method

        frames = as_frames(X)
        self.first_ = fit_method(make_method(self.first, **(self.first_params or {})), frames, y)
        kept = np.flatnonzero(np.asarray(self.first_.predict(frames)).astype(bool))
        self.then_ = make_method(self.then, **(self.then_params or {}))
        self.then_.fit(frames.take(kept) if kept.size else frames)
        self.classes_ = BINARY_CLASSES
        return self

    def predict(self, X) -> np.ndarray:
        frames = as_frames(X)
        first = np.asarray(self.first_.predict(frames)).astype(bool)
        out = np.zeros(len(frames), np.int8)
        idx = np.flatnonzero(first)
        if idx.size:
            out[idx] = np.asarray(self.then_.predict(frames.take(idx))).astype(bool)
        return out

    def score_samples(self, X) -> np.ndarray:
        s = np.asarray(self.first_.score_samples(X), dtype=float)
        keep = self.predict(X).astype(bool)
        if (~keep).any() and keep.any():
            s = np.where(keep, s, s - (s.max() - s.min()) - 1.0)
        return s

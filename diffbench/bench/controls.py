"""Controls: what a score is worth. Every task scores them beside its methods, on the same test
frames through the same scorers, in rows of their own (role ``control``), never mixed with methods.

- ``prevalence``: a constant answer: every frame positive (binary), the most frequent training
  class (multi-class), one cluster, the median training size, one orientation for every frame, or
  one point of a latent space for every item. Its F1 is the "call everything
  the target" score a method must beat; its ROC-AUC is 0.5.
- ``random``: answers drawn at the training class frequencies (binary, multi-class), random cluster
  labels (as many as true classes), sizes drawn from the training sizes, orientations uniform
  on SO(3), or three standard-normal latent coordinates; seeded.
- ``photon-count``: the total counts of a frame as the only feature: ROC-AUC of the count itself
  (in the direction the training labels favour), a threshold where the training labels are best
  separated (balanced accuracy), per-class count ranges for several classes, count quantile bins
  for clusters, the log count as a one-dimensional latent space; on a few-shot task it is refit on
  the support frames. A task this control solves
  says nothing about a method: the photon count of a double hit is twice a single's when every
  particle sees the same fluence.

Controls are estimators (they are fit on the labels the harness gives every supervised method:
the training split where the task has one, all frames of a ``split: none`` task). In the latter
case they read the test truth, which makes them *upper bounds* of such trivial rules — a
conservative yardstick for the methods — and the scorecard says so (``reads_truth``).

The honest upper bounds that use full truth (oracles such as purity-ranked EM classes or the
true contamination) are the task's ``oracles:``, scored with role ``oracle``.
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import Method, MethodTags

#: What each task's target is scored as (from the scorer that applies).
KINDS = ("binary", "multiclass", "cluster", "value", "orientation", "latent")


def frame_counts(X) -> np.ndarray:
    """Total counts of each frame over its valid pixels (float64)."""
    from diffbench.methods.frames import as_frames

    frames = as_frames(X)
    valid = frames.valid
    out = np.empty(len(frames))
    for s, block in frames.batches(dtype=None):
        b = block.reshape(len(block), -1).astype(np.float64, copy=False)
        out[s:s + len(block)] = (b[:, valid.ravel()] if valid is not None else b).sum(axis=1)
    return out


class _Control(Method):
    """A control: fit on labels (``kind`` says how the target is scored; ``positive`` is the truth
    value of a binary task's positive class), then predict in the truth's own terms."""

    name = ""
    description = ""

    def __init__(self, kind: str = "binary", positive: bool = True, random_state: int = 0):
        self.kind = kind
        self.positive = positive
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(requires_y=True, output=self.kind)

    def transform(self, X):
        """A latent task's answer: the control's coordinates (its ``predict``)."""
        return self.predict(X)


class PrevalenceControl(_Control):
    name = "prevalence"
    description = "constant answer: all positive, the majority class, one cluster, the median size"

    def fit(self, X, y):
        y = np.asarray(y)
        if self.kind == "multiclass":
            vals, counts = np.unique(y.astype(str), return_counts=True)
            self.constant_ = vals[np.argmax(counts)]
        elif self.kind == "value":
            self.constant_ = float(np.nanmedian(y.astype(float)))
        elif self.kind == "orientation":  # every frame in one orientation
            self.constant_ = np.array([1.0, 0.0, 0.0, 0.0])
        elif self.kind == "latent":  # every item at one point
            self.constant_ = np.zeros(1)
        else:
            self.constant_ = int(bool(self.positive)) if self.kind == "binary" else 0
        return self

    def predict(self, X):
        if self.kind in ("orientation", "latent"):
            return np.tile(self.constant_, (_length(X), 1))
        return np.full(_length(X), self.constant_, dtype=object if self.kind == "multiclass" else None)

    def score_samples(self, X):
        return np.zeros(_length(X))


class RandomControl(_Control):
    name = "random"
    description = "answers drawn at the training class frequencies (random labels for clusters)"

    def fit(self, X, y):
        y = np.asarray(y)
        if self.kind == "value":
            self.values_ = y[np.isfinite(y.astype(float))].astype(float)
        elif self.kind in ("orientation", "latent"):
            pass  # uniform on SO(3), or three standard normal coordinates: nothing to learn
        else:
            self.classes_, counts = np.unique(y.astype(str) if self.kind != "binary" else y.astype(int),
                                              return_counts=True)
            self.p_ = counts / counts.sum()
        return self

    def _rng(self, X):
        return np.random.default_rng([self.random_state, _length(X)])

    def predict(self, X):
        rng, n = self._rng(X), _length(X)
        if self.kind == "orientation":
            from diffbench.geometry.orientation import random_quaternions

            return random_quaternions(n, rng)
        if self.kind == "latent":
            return rng.standard_normal((n, 3))
        if self.kind == "value":
            return rng.choice(self.values_, n) if self.values_.size else np.full(n, np.nan)
        if self.kind == "cluster":
            return rng.integers(0, len(self.classes_), n)
        return rng.choice(self.classes_, n, p=self.p_)

    def score_samples(self, X):
        return np.random.default_rng([self.random_state, _length(X), 1]).random(_length(X))


class PhotonCountControl(_Control):
    name = "photon-count"
    description = "the frame's total counts as the only feature"

    def fit(self, X, y):
        c = np.log1p(frame_counts(X))
        y = np.asarray(y)
        if self.kind == "binary":
            yb = y.astype(bool)
            # direction: positives brighter or dimmer on the training labels; threshold: best
            # balanced accuracy over the training counts
            self.sign_ = 1.0 if (yb.any() and (~yb).any() and np.median(c[yb]) >= np.median(c[~yb])) else -1.0
            s = self.sign_ * c
            cand = np.unique(s)
            if cand.size > 512:
                cand = np.quantile(s, np.linspace(0, 1, 513))
            best, self.threshold_ = -1.0, cand[0]
            for t in cand:
                p = s >= t
                tpr = (p & yb).sum() / max(yb.sum(), 1)
                tnr = (~p & ~yb).sum() / max((~yb).sum(), 1)
                if (tpr + tnr) / 2 > best:
                    best, self.threshold_ = (tpr + tnr) / 2, t
        elif self.kind == "multiclass":
            labels = y.astype(str)
            self.classes_ = np.unique(labels)
            self.centres_ = np.array([np.median(c[labels == k]) for k in self.classes_])
        elif self.kind == "cluster":
            self.n_bins_ = max(np.unique(y.astype(str)).size, 1)
        elif self.kind == "latent":
            pass  # the coordinate is the log count itself
        else:  # value: a straight line from log counts to the target
            ok = np.isfinite(y.astype(float))
            self.line_ = np.polyfit(c[ok], y[ok].astype(float), 1) if ok.sum() > 1 else np.array([0.0, np.nan])
        return self

    def set_support(self, X, y):
        """Few-shot scoring (a task's ``split.support``): the rule refit on the k labelled frames per
        class of the new data, as a few-shot method is given them (a photon count learnt on other
        particles says nothing about these)."""
        return self.fit(X, y)

    def score_samples(self, X):
        return self.sign_ * np.log1p(frame_counts(X)) if self.kind == "binary" else np.log1p(frame_counts(X))

    def predict(self, X):
        c = np.log1p(frame_counts(X))
        if self.kind == "binary":
            return (self.sign_ * c >= self.threshold_).astype(int)
        if self.kind == "multiclass":
            return self.classes_[np.argmin(np.abs(c[:, None] - self.centres_[None, :]), axis=1)]
        if self.kind == "cluster":
            edges = np.quantile(c, np.linspace(0, 1, self.n_bins_ + 1)[1:-1])
            return np.searchsorted(edges, c)
        if self.kind == "latent":
            return c[:, None]
        return np.polyval(self.line_, c)


def _length(X) -> int:
    return len(X) if hasattr(X, "__len__") else int(np.asarray(X).shape[0])


#: Every control, by name, in the order the scorecard shows them.
CONTROLS: dict[str, type[_Control]] = {c.name: c for c in (PrevalenceControl, RandomControl, PhotonCountControl)}


def controls_for(kind: str, frames: bool) -> list[str]:
    """The controls that apply to a task scored as ``kind`` on frames (``frames=False``: merged
    reflection data, which have no photon count per frame; an orientation has no photon-count rule)."""
    return [n for n in CONTROLS if n != "photon-count" or (frames and kind != "orientation")]

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

from diffbench.bench.target_kinds import target_kind
from diffbench.methods.base import Method, MethodTags


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
    """A control: fit on labels, then answer in the truth's own terms, as the target's kind says
    (:mod:`diffbench.bench.target_kinds`: ``kind`` names it; ``positive`` is the truth value of a
    binary task's positive class)."""

    name = ""
    description = ""

    def __init__(self, kind: str = "binary", positive: bool = True, random_state: int = 0):
        self.kind = kind
        self.positive = positive
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(requires_y=True, output=self.kind)

    @property
    def _kind(self):
        return target_kind(self.kind)

    def transform(self, X):
        """A latent task's answer: the control's coordinates (its ``predict``)."""
        return self.predict(X)


class PrevalenceControl(_Control):
    name = "prevalence"
    description = "constant answer: all positive, the majority class, one cluster, the median size"

    def fit(self, X, y):
        self.constant_ = self._kind.constant(np.asarray(y), self.positive)
        return self

    def predict(self, X):
        return self._kind.repeat(self.constant_, _length(X))

    def score_samples(self, X):
        return np.zeros(_length(X))


class RandomControl(_Control):
    name = "random"
    description = "answers drawn at the training class frequencies (random labels for clusters)"

    def fit(self, X, y):
        self.draws_ = self._kind.draws(np.asarray(y))
        return self

    def _rng(self, X):
        return np.random.default_rng([self.random_state, _length(X)])

    def predict(self, X):
        return self._kind.draw(self.draws_, self._rng(X), _length(X))

    def score_samples(self, X):
        return np.random.default_rng([self.random_state, _length(X), 1]).random(_length(X))


class PhotonCountControl(_Control):
    name = "photon-count"
    description = "the frame's total counts as the only feature"

    def fit(self, X, y):
        self.rule_ = self._kind.count_rule(np.log1p(frame_counts(X)), np.asarray(y))
        return self

    def set_support(self, X, y):
        """Few-shot scoring (a task's ``split.support``): the rule refit on the k labelled frames per
        class of the new data, as a few-shot method is given them (a photon count learnt on other
        particles says nothing about these)."""
        return self.fit(X, y)

    def score_samples(self, X):
        return self._kind.count_score(self.rule_, np.log1p(frame_counts(X)))

    def predict(self, X):
        return self._kind.count_answer(self.rule_, np.log1p(frame_counts(X)))


def _length(X) -> int:
    return len(X) if hasattr(X, "__len__") else int(np.asarray(X).shape[0])


#: Every control, by name, in the order the scorecard shows them.
CONTROLS: dict[str, type[_Control]] = {c.name: c for c in (PrevalenceControl, RandomControl, PhotonCountControl)}


def controls_for(kind: str, frames: bool) -> list[str]:
    """The controls that apply to a task scored as ``kind`` on frames (``frames=False``: merged
    reflection data, which have no photon count per frame; a kind may have no photon-count rule)."""
    return [n for n in CONTROLS if n != "photon-count" or (frames and target_kind(kind).photon_rule)]

"""What a task's target is, as the controls answer it: one object per kind, in a registry.

A task's target is scored as one of :data:`TARGET_KINDS` (the ``kind`` of the scorer of its metrics,
:mod:`diffbench.bench.scoring`): two classes, several, cluster labels, a value (a size), an
orientation per frame, or coordinates of a latent space. The three controls of
:mod:`diffbench.bench.controls` ask the kind how to answer in its terms: what one constant answer
is (prevalence), how answers are drawn at random, and what the photon count alone answers. Each
kind says all of that in one place, instead of each control testing the kind's name.

``c`` below is the log photon count of each frame, ``log1p(total counts)``.
"""

from __future__ import annotations

import numpy as np


class TargetKind:
    """How the trivial rules answer for one kind of target (see the module docstring).

    vector : answers are rows (a quaternion, latent coordinates), not one value per item.
    photon_rule : whether the photon count makes an answer of this kind (an orientation it does not).
    """

    name = ""
    vector = False
    photon_rule = True

    # prevalence
    def constant(self, y: np.ndarray, positive: bool):
        """The one answer a constant rule gives, learnt from the training truth ``y``."""
        raise NotImplementedError

    def repeat(self, constant, n: int) -> np.ndarray:
        """``n`` copies of the constant answer."""
        if self.vector:
            return np.tile(constant, (n, 1))
        return np.full(n, constant)

    # random
    def draws(self, y: np.ndarray):
        """What random answers are drawn from: the training classes and their frequencies."""
        classes, counts = np.unique(y.astype(str), return_counts=True)
        return classes, counts / counts.sum()

    def draw(self, fitted, rng: np.random.Generator, n: int) -> np.ndarray:
        classes, p = fitted
        return rng.choice(classes, n, p=p)

    # photon count
    def count_rule(self, c: np.ndarray, y: np.ndarray):
        """The rule the log counts ``c`` of the training frames give for their truth ``y``."""
        raise NotImplementedError

    def count_answer(self, rule, c: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def count_score(self, rule, c: np.ndarray) -> np.ndarray:
        """A continuous score (ROC curves): the log count."""
        return c


class Binary(TargetKind):
    """Two classes; the positive class is the task's target (truth value ``positive``)."""

    name = "binary"

    def constant(self, y, positive):
        return int(bool(positive))  # "call everything the target"

    def draws(self, y):
        classes, counts = np.unique(y.astype(int), return_counts=True)
        return classes, counts / counts.sum()

    def count_rule(self, c, y):
        """(direction, threshold): positives brighter or dimmer on the training labels; the
        threshold of best balanced accuracy over the training counts (at most 513 candidates)."""
        yb = y.astype(bool)
        sign = 1.0 if (yb.any() and (~yb).any() and np.median(c[yb]) >= np.median(c[~yb])) else -1.0
        s = sign * c
        cand = np.unique(s)
        if cand.size > 512:
            cand = np.quantile(s, np.linspace(0, 1, 513))
        best, threshold = -1.0, cand[0]
        for t in cand:
            p = s >= t
            tpr = (p & yb).sum() / max(yb.sum(), 1)
            tnr = (~p & ~yb).sum() / max((~yb).sum(), 1)
            if (tpr + tnr) / 2 > best:
                best, threshold = (tpr + tnr) / 2, t
        return sign, threshold

    def count_answer(self, rule, c):
        sign, threshold = rule
        return (sign * c >= threshold).astype(int)

    def count_score(self, rule, c):
        return rule[0] * c


class Multiclass(TargetKind):
    """Several classes (labels compared as strings)."""

    name = "multiclass"

    def constant(self, y, positive):
        vals, counts = np.unique(y.astype(str), return_counts=True)
        return vals[np.argmax(counts)]  # the most frequent training class

    def repeat(self, constant, n):
        return np.full(n, constant, dtype=object)

    def count_rule(self, c, y):
        """Each class's median log count; a frame answers the class of the nearest."""
        labels = y.astype(str)
        classes = np.unique(labels)
        return classes, np.array([np.median(c[labels == k]) for k in classes])

    def count_answer(self, rule, c):
        classes, centres = rule
        return classes[np.argmin(np.abs(c[:, None] - centres[None, :]), axis=1)]


class Cluster(TargetKind):
    """Cluster labels (only the partition counts: one cluster, random labels, count bins)."""

    name = "cluster"

    def constant(self, y, positive):
        return 0

    def draw(self, fitted, rng, n):
        return rng.integers(0, len(fitted[0]), n)  # as many labels as true classes

    def count_rule(self, c, y):
        return max(np.unique(y.astype(str)).size, 1)

    def count_answer(self, n_bins, c):
        """Quantile bins of the answering frames' own counts, as many as true classes."""
        edges = np.quantile(c, np.linspace(0, 1, n_bins + 1)[1:-1])
        return np.searchsorted(edges, c)


class Value(TargetKind):
    """A number per item (a particle size)."""

    name = "value"

    def constant(self, y, positive):
        return float(np.nanmedian(y.astype(float)))

    def draws(self, y):
        return y[np.isfinite(y.astype(float))].astype(float)

    def draw(self, values, rng, n):
        return rng.choice(values, n) if values.size else np.full(n, np.nan)

    def count_rule(self, c, y):
        """A straight line from log counts to the value."""
        ok = np.isfinite(y.astype(float))
        return np.polyfit(c[ok], y[ok].astype(float), 1) if ok.sum() > 1 else np.array([0.0, np.nan])

    def count_answer(self, line, c):
        return np.polyval(line, c)


class Orientation(TargetKind):
    """A particle-to-lab quaternion (w, x, y, z) per frame; the count says nothing about it."""

    name = "orientation"
    vector = True
    photon_rule = False

    def constant(self, y, positive):
        return np.array([1.0, 0.0, 0.0, 0.0])  # every frame in one orientation

    def draws(self, y):
        return None  # uniform on SO(3): nothing to learn

    def draw(self, fitted, rng, n):
        from diffbench.geometry.orientation import random_quaternions

        return random_quaternions(n, rng)


class Latent(TargetKind):
    """Coordinates of a latent space (scored by what they separate and what they leak)."""

    name = "latent"
    vector = True

    def constant(self, y, positive):
        return np.zeros(1)  # every item at one point

    def draws(self, y):
        return None

    def draw(self, fitted, rng, n):
        return rng.standard_normal((n, 3))  # three standard-normal coordinates

    def count_rule(self, c, y):
        return None  # the coordinate is the log count itself

    def count_answer(self, rule, c):
        return c[:, None]


#: Every target kind, by name.
TARGET_KINDS: dict[str, TargetKind] = {k.name: k for k in (Binary(), Multiclass(), Cluster(), Value(), Orientation(),
                                                            Latent())}


def target_kind(name: str) -> TargetKind:
    """The kind called ``name``; an unknown name is a one-line error listing the kinds."""
    try:
        return TARGET_KINDS[name]
    except KeyError:
        raise ValueError(f"unknown target kind {name!r}; kinds: {', '.join(TARGET_KINDS)}") from None

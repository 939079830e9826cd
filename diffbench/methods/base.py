"""The base of every method in the zoo: a scikit-learn estimator with diffbench's role tags.

A method stores its hyper-parameters in ``__init__`` (keyword arguments only, stored unchanged,
``random_state`` among them), learns in ``fit(X, y=None)`` (returns ``self``; fitted attributes end
in ``_``) and answers with ``predict`` / ``predict_proba`` / ``score_samples`` / ``transform``.
Inheriting :class:`Method` gives ``get_params``, ``set_params``, a repr and
``sklearn.base.clone`` for free, so methods work in ``Pipeline`` and ``GridSearchCV``.

What the benchmark and the tests need to know about a method — does ``fit`` need the truth, what
does it read, what does ``predict`` answer — are its :class:`MethodTags`, declared by overriding
:meth:`Method.__diffbench_tags__` and read with :func:`method_tags` (the scikit-learn tags
pattern, ``utils/_tags.py``). ``requires_y`` is also written into scikit-learn's own tags
(``target_tags.required``) so that its checks see it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator

#: What a method reads: detector frames (arrays, :class:`~diffbench.methods.frames.Frames`, CXI
#: files of any kind that holds frames) or merged reflection lists (merged-MX indexes).
INPUTS = ("frames", "merged-reflections")
#: What ``predict`` answers: 1 = the target class ("binary"), a class label ("multiclass"), a
#: cluster id ("cluster"), or a number in SI units ("value"); "latent": no ``predict``, ``transform``
#: answers coordinates (N, k) (a latent space for the viewer); "orientation": ``predict`` answers
#: each frame's orientation as a unit quaternion (N, 4), particle frame → lab (3-D EMC).
OUTPUTS = ("binary", "multiclass", "cluster", "value", "latent", "orientation")
#: ``classes_`` of every binary method, set by its ``fit`` (scikit-learn's classifier contract)
BINARY_CLASSES = np.array([0, 1])


@dataclass(frozen=True)
class MethodTags:
    """The roles of a method.

    requires_y : ``fit(X, y)`` needs the truth labels (supervised, or an oracle bound).
    input : one of :data:`INPUTS`.
    output : what ``predict`` answers, one of :data:`OUTPUTS`.
    per_range : also answers ``predict_ranges`` (one answer per data set and resolution range).
    neural : trains a neural network (torch): minutes where the classical methods take seconds.
    """

    requires_y: bool = False
    input: str = "frames"
    output: str = "binary"
    per_range: bool = False
    neural: bool = False

    def __post_init__(self):
        if self.input not in INPUTS:
            raise ValueError(f"MethodTags.input must be one of {INPUTS}, got {self.input!r}")
        if self.output not in OUTPUTS:
            raise ValueError(f"MethodTags.output must be one of {OUTPUTS}, got {self.output!r}")


class Method(BaseEstimator):
    """Base class of diffbench's methods (see the module docstring)."""

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        dt = self.__diffbench_tags__()
        tags.target_tags.required = dt.requires_y
        tags.estimator_type = {"binary": "classifier", "multiclass": "classifier", "cluster": "clusterer",
                               "value": "regressor", "orientation": "regressor", "latent": None}[dt.output]
        if dt.output == "latent" and tags.transformer_tags is None:
            from sklearn.utils import TransformerTags

            tags.transformer_tags = TransformerTags()
        tags.input_tags.three_d_array = dt.input == "frames"
        return tags


def method_tags(est) -> MethodTags:
    """The :class:`MethodTags` of an estimator or estimator class. A user's class that does not
    inherit :class:`Method` gets the defaults, with ``requires_y`` read from scikit-learn's tags
    where it has them (or from a ``supervised`` attribute, the convention before tags)."""
    if isinstance(est, type):
        est = est()
    fn = getattr(est, "__diffbench_tags__", None)
    if fn is not None:
        return fn()
    requires_y = bool(getattr(est, "supervised", False))
    if hasattr(est, "__sklearn_tags__"):
        from sklearn.utils import get_tags

        requires_y = requires_y or get_tags(est).target_tags.required
    return MethodTags(requires_y=requires_y)


def answer(est, X, latent: bool = False) -> np.ndarray:
    """What a fitted method says about ``X``: ``transform`` for a latent space (coordinates per
    item) — a latent method's, or any method's that has one where ``latent`` asks for it (a latent
    task scores the IPCA space of the envelope, not its outlier calls) — ``predict`` otherwise."""
    use_transform = method_tags(est).output == "latent" or (latent and hasattr(est, "transform"))
    return np.asarray(est.transform(X) if use_transform else est.predict(X))


def fit_method(est, X, y=None, groups=None):
    """``est.fit(X, y)`` for methods that need the truth, ``est.fit(X)`` otherwise; returns ``est``.

    groups : the independent unit of each frame (scan, data set) where the task splits by groups;
        passed to a supervised method whose ``fit`` takes ``groups`` (scikit-learn's convention), so
        that its own cross-validation never puts neighbouring frames of one scan on both sides.
    """
    if not method_tags(est).requires_y:
        return est.fit(X)
    if groups is not None:
        import inspect

        if "groups" in inspect.signature(est.fit).parameters:
            return est.fit(X, y, groups=groups)
    return est.fit(X, y)


def channels_last(module):
    """A torch module with its weights in the channels-last (NHWC) layout, in place; its convolutions
    then run in that layout whatever the input's. On CPU (oneDNN, one thread) a training step of the
    quick networks takes 1.4–2.2× less time: paper 000's ResNet 0.075 → 0.050 s, the few-shot
    embedding 0.247 → 0.105 s, Helcaraxe lite 0.135 → 0.098 s (``benchmarks/test_cnn_speed.py``)."""
    import torch

    return module.to(memory_format=torch.channels_last)


def torch_unavailable() -> str | None:
    """Why a torch method cannot run here (None where torch is installed): the ``unavailable`` of
    every neural method, so the benchmark skips it and says so."""
    import importlib.util

    return None if importlib.util.find_spec("torch") else "needs torch (pip install '.[torch]'; make env installs it)"

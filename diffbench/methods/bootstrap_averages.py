"""Bootstrapped 2-D class averages, each carrying the truth of the frames it averages (paper 001:
Dragonfly's 2-D EMC run 5 times, each on a random 80 % of the frames, 200 classes per run → 1,000
class averages that feed the common-line PCA and the VAE; methods.md §2.1).

A class average is only as good as the frames that went into it, and real data cannot say which
those were. Here every average knows: :meth:`BootstrapAverages.average_truth` weights each frame's
truth by its membership probability in the average (the EM's soft assignment) and gives, per
average, the fraction of each category (hit class, melt stage) and the weighted mean and spread of
every numeric field (size, shape parameter, photons).
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import Method, MethodTags
from diffbench.methods.frames import as_frames


class BootstrapAverages(Method):
    """``n_runs`` 2-D EM classifications (:class:`~diffbench.methods.em2d.EM2DClassification`), each
    on a random ``fraction`` of the frames (drawn without replacement, seeded per run).

    em2d_params : parameters of each run's classification (``random_state`` is set per run).
    Fitted: ``averages_`` (n_runs · n_classes, G, G), ``run_`` (run of each average), ``subsets_``
    (frame indices of each run), ``memberships_`` (list per run of (subset size, n_classes)
    probabilities), ``n_frames_``, ``bin_px_`` (detector pixels per grid cell) and ``coverage_``
    (grid points the data reach), the same for every run.
    """

    def __init__(self, n_runs: int = 5, fraction: float = 0.8, em2d_params: dict | None = None,
                 random_state: int = 0):
        self.n_runs = n_runs
        self.fraction = fraction
        self.em2d_params = em2d_params
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(output="cluster")

    def fit(self, X, y=None):
        from diffbench.methods.em2d import EM2DClassification

        if not isinstance(self.n_runs, (int, np.integer)) or self.n_runs < 1:
            raise ValueError(f"BootstrapAverages: n_runs must be a positive integer, got {self.n_runs!r}")
        if not 0 < self.fraction <= 1:
            raise ValueError(f"BootstrapAverages: fraction must be in (0, 1], got {self.fraction!r}")
        frames = as_frames(X)
        n = len(frames)
        k = max(1, int(round(self.fraction * n)))
        rng = np.random.default_rng(self.random_state)
        averages, runs, self.subsets_, self.memberships_ = [], [], [], []
        for r in range(self.n_runs):
            subset = np.sort(rng.choice(n, k, replace=False))
            params = dict(self.em2d_params or {}, random_state=int(rng.integers(2**31)))
            em = EM2DClassification(**params).fit(frames.take(subset))
            averages.append(em.models_)
            runs += [r] * len(em.models_)
            self.subsets_.append(subset)
            self.memberships_.append(em.probabilities_)
        self.bin_px_, self.coverage_ = em.bin_px_, em.coverage_
        self.averages_ = np.concatenate(averages)
        self.run_ = np.asarray(runs)
        self.n_frames_ = n
        return self

    def grid_detector(self, detector):
        """The averages' grid as a detector: a ``G`` × ``G`` array of ``bin_px_``-pixel cells of
        ``detector``, the beam at the centre cell, so that q-vectors, solid angles and polarisation of
        an average's grid points come from the usual geometry functions."""
        from diffbench.geometry.detector import Detector

        g = self.averages_.shape[-1]
        return Detector(nx=g, ny=g, pixel_size_m=detector.pixel_size_m * self.bin_px_, distance_m=detector.distance_m,
                        beam_center_xy_px=(g // 2, g // 2), name="class-average grid",
                        description=f"{self.bin_px_} x {self.bin_px_} cells of {detector.name}")

    def weights(self) -> np.ndarray:
        """(n_averages, n_frames): the membership probability of every frame in every average (0 for
        frames outside that average's run)."""
        w = np.zeros((len(self.averages_), self.n_frames_))
        row = 0
        for subset, p in zip(self.subsets_, self.memberships_):
            w[row:row + p.shape[1], subset] = p.T
            row += p.shape[1]
        return w

    def average_truth(self, truth: dict) -> dict:
        """Per average, from the frames' truth columns (each of length n_frames): for a text,
        boolean or integer column ``f``, ``f=value`` → fraction of the average's weight on frames
        with that value; for a float column, ``f`` → weighted mean and ``f_sd`` → weighted spread
        (frames where it is NaN left out). Also ``weight``: the frames' summed membership."""
        w = self.weights()
        total = w.sum(axis=1)
        out = {"weight": total}
        for f, col in truth.items():
            v = np.asarray(col)
            if len(v) != self.n_frames_:
                raise ValueError(f"truth column {f!r} has {len(v)} values for {self.n_frames_} frames")
            if v.dtype.kind == "f":
                ok = np.isfinite(v)
                ww = w[:, ok]
                s = ww.sum(axis=1)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mean = ww @ v[ok] / s
                    var = ww @ (v[ok] ** 2) / s - mean**2
                out[f] = mean
                out[f + "_sd"] = np.sqrt(np.maximum(var, 0.0))
            else:
                v = v.astype(str) if v.dtype.kind in "SO" else v
                for value in np.unique(v):
                    with np.errstate(invalid="ignore", divide="ignore"):
                        out[f"{f}={value}"] = w[:, v == value].sum(axis=1) / total
        return out

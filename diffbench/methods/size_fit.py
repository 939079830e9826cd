"""Particle size from the radial profile (PSD) by a homogeneous-sphere fit, and the size filter
of paper 000 (Assalauova et al. 2022, S4: diameters scanned 30–300 nm, PR772 kept in 55–84 nm).

Each frame's azimuthal average I(q) is compared with the sphere model
|3(sin x − x cos x)/x³|², x = q·d/2, on a grid of diameters; the score is the Pearson correlation
of q⁴·I(q) with q⁴·model (q⁴ flattens the sphere's Porod fall-off so that every fringe counts,
and the correlation absorbs the unknown scale and a flat background). The best grid diameter is
refined by a parabola through its neighbours. Rings beyond the largest full circle inside the
detector are left out (partial rings are noisy), as are rings inside ``q_min_m``.
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import BINARY_CLASSES, Method, MethodTags
from diffbench.methods.features import RadialBinning, ring_radius_px
from diffbench.methods.frames import as_frames


def sphere_psd(q_m: np.ndarray, diameter_m) -> np.ndarray:
    """|3(sin x − x cos x)/x³|² with x = q d / 2 (1 at q = 0); broadcasts q and d."""
    x = np.asarray(q_m) * np.asarray(diameter_m) / 2.0
    small = np.abs(x) < 1e-3
    xs = np.where(small, 1.0, x)
    f = np.where(small, 1.0 - x * x / 10.0, 3.0 * (np.sin(xs) - xs * np.cos(xs)) / xs**3)
    return f * f


class SphereSizeFit(Method):
    """Diameter of each frame's particle as the best-fitting homogeneous sphere.

    d_min_m, d_max_m, step_m : the diameter grid (paper: 30–300 nm; step 0.5 nm).
    q_min_m : rings below this |q| (1/m) are ignored (beam stop, saturated centre); None: from 3 px.
    batch_size : frames read at a time.
    """

    def __init__(self, d_min_m: float = 30e-9, d_max_m: float = 300e-9, step_m: float = 0.5e-9,
                 q_min_m: float | None = None, batch_size: int = 64):
        self.d_min_m = d_min_m
        self.d_max_m = d_max_m
        self.step_m = step_m
        self.q_min_m = q_min_m
        self.batch_size = batch_size

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(output='value')

    def fit(self, X, y=None):
        """Learns nothing from the frames: checks the parameters and the geometry."""
        if not 0 < self.d_min_m < self.d_max_m or self.step_m <= 0:
            raise ValueError(f"need 0 < d_min_m < d_max_m and step_m > 0, got {self.d_min_m}, {self.d_max_m}, "
                             f"{self.step_m}")
        as_frames(X).require_q(type(self).__name__)
        self.diameters_m_ = np.arange(self.d_min_m, self.d_max_m + self.step_m / 2, self.step_m)
        return self

    def _binning(self, frames):
        ny, nx = frames.frame_shape
        cx, cy = frames.center()
        binning = RadialBinning((ny, nx), (cx, cy), frames.valid, 1.0, ring_radius_px((ny, nx), (cx, cy)), frames.q_m)
        q = binning.q_bin_m
        q_min = self.q_min_m if self.q_min_m is not None else np.nanmin(q[binning.radius_px >= 3]) if (
            binning.radius_px >= 3).any() else 0.0
        use = np.isfinite(q) & (q >= q_min)
        return binning, q, use

    def predict(self, X) -> np.ndarray:
        """Fitted diameters in metres, (N,)."""
        frames = as_frames(X)
        frames.require_q(type(self).__name__)
        binning, q, use = self._binning(frames)
        qu = q[use]
        w = qu**4
        model = sphere_psd(qu[None, :], self.diameters_m_[:, None]) * w  # (D, bins)
        model -= model.mean(axis=1, keepdims=True)
        model /= np.linalg.norm(model, axis=1, keepdims=True)
        out = np.empty(len(frames))
        for s, prof in binning.batches(frames, self.batch_size):
            prof = prof[:, use] * w
            prof -= prof.mean(axis=1, keepdims=True)
            norm = np.linalg.norm(prof, axis=1, keepdims=True)
            prof /= np.where(norm > 0, norm, 1.0)
            corr = prof @ model.T  # (B, D) Pearson correlations
            out[s:s + len(prof)] = self._refine(corr)
        return out

    def _refine(self, corr: np.ndarray) -> np.ndarray:
        d = self.diameters_m_
        k = np.clip(np.argmax(corr, axis=1), 1, len(d) - 2)
        rows = np.arange(len(corr))
        c0, c1, c2 = corr[rows, k - 1], corr[rows, k], corr[rows, k + 1]
        den = c0 - 2 * c1 + c2
        shift = np.where(den < 0, 0.5 * (c0 - c2) / np.where(den < 0, den, -1.0), 0.0)
        return d[k] + np.clip(shift, -1, 1) * self.step_m


class SizeFilter(Method):
    """Keep frames whose sphere-fit diameter lies in [keep_min_m, keep_max_m] (paper 000: 55–84 nm
    for PR772). ``predict`` gives 1 = kept; ``score_samples`` minus the distance (m) to the window."""

    def __init__(self, keep_min_m: float = 55e-9, keep_max_m: float = 84e-9, d_min_m: float = 30e-9,
                 d_max_m: float = 300e-9, step_m: float = 0.5e-9, batch_size: int = 64):
        self.keep_min_m = keep_min_m
        self.keep_max_m = keep_max_m
        self.d_min_m = d_min_m
        self.d_max_m = d_max_m
        self.step_m = step_m
        self.batch_size = batch_size

    def fit(self, X, y=None):
        self.sizer_ = SphereSizeFit(self.d_min_m, self.d_max_m, self.step_m, batch_size=self.batch_size).fit(X)
        self.classes_ = BINARY_CLASSES
        return self

    def diameters(self, X) -> np.ndarray:
        return self.sizer_.predict(X)

    def score_samples(self, X) -> np.ndarray:
        d = self.diameters(X)
        return -np.maximum(0.0, np.maximum(self.keep_min_m - d, d - self.keep_max_m))

    def predict(self, X) -> np.ndarray:
        return (self.score_samples(X) >= 0).astype(np.int8)

"""Statistical ice-ring detectors on merged MX data: the baselines of paper 003 (Nolte et al. 2022),
written from their published descriptions (paper 003 and the programs' documentation), not from their code.

- :class:`IcefinderScore` — AUSPEX Icefinder (Thorn et al. 2017): in bins of 0.001 Å⁻¹ in 1/d,
  the standardised mean m/s of I; its expectation from a Gaussian-weighted (σ = 2.5 bins) average
  of the ±5 neighbouring bins outside the ice ranges whose m/s lies in the window's inter-quartile
  range (linear interpolation across gaps); score = (m/s − expected)·√n; a range is icy if a bin
  inside it has |score| ≥ 5.
- :class:`XtriageStyleIceRings` (``xtriage-style``) — in the style of phenix.xtriage's
  ``ice_ring_checker``, not the program: per 1/d² bin a Wilson z-score of ⟨I⟩ against a smooth
  (quadratic in log) fit over ice-free bins and the completeness; mean and spread of both over
  ice-free bins; for the 7 ice lines with relative intensity > 0.1, a warning when
  |completeness − mean| ≥ 4 (σ + 10⁻⁶) (xtriage's guard, so that a spread of 0 does not switch the
  rule off), or z > 10, or |z − mean| ≥ 4σ; icy if any warning. Its own background fit and bins
  make it a different, stronger detector than the real program (issue 22 measured Cohen's κ = 0.10
  between the two on 100 data sets); the real xtriage is the reference where cctbx installs.
- :class:`CtruncateIceRings` — CTRUNCATE ``IceRings_analyse``-style (tol 4, ratioI 2, ratioC
  1.25): rings of full width 0.005 Å⁻² at the ice lines; expected ⟨I⟩ from a fit with the ring
  reflections removed (N/500 bins); a ring is rejected if |⟨I⟩ − ⟨I⟩exp|/⟨σI⟩ > 4, or
  ⟨I⟩/⟨I⟩exp ≥ 2 or ≤ 0.5, or its completeness relative to the ice-free reflections of the same
  resolution bin is ≥ 1.25 or ≤ 0.8; icy if any ring is rejected.

All three are rules, not learners: ``fit`` only checks its input; ``predict`` answers 1 (ice) or 0
per data set, ``predict_ranges`` per (data set, AUSPEX range) with −1 where the range lies beyond
the data's resolution, and ``score_samples`` a continuous ice score per data set (for ROC curves).
Paper 003 Table 3 (Test Set C, real data): xtriage accuracy 0.80, CTRUNCATE 0.58, AUSPEX 0.83.
"""

from __future__ import annotations

import numpy as np

from diffbench.io.mx import as_mx
from diffbench.methods.base import BINARY_CLASSES, Method, MethodTags
from diffbench.physics.ice import AUSPEX_RANGES_INV_D2_A2

RANGES = np.asarray(AUSPEX_RANGES_INV_D2_A2)  # (25, 2) 1/d² in Å⁻²
# d-spacings (Å) of the ten hexagonal-ice lines in phenix.xtriage's ice-ring table and their
# relative intensities (the table's values, mmtbx.scaling); xtriage checks the lines above 0.1 (7)
ICE_LINES_A = np.array([3.897, 3.669, 3.441, 2.671, 2.249, 2.072, 1.948, 1.918, 1.883, 1.721])
ICE_REL_INTENSITY = np.array([1.000, 0.750, 0.530, 0.170, 0.390, 0.300, 0.040, 0.180, 0.030, 0.020])


def _in_ice_ranges(inv_d2) -> np.ndarray:
    x = np.asarray(inv_d2)[..., None]
    return np.any((x >= RANGES[:, 0]) & (x <= RANGES[:, 1]), axis=-1)


def _row_quartiles(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """25th and 75th percentiles (linear interpolation, as numpy's default) of each row's finite
    values; NaN for rows without any. A sort per row: much faster than ``nanpercentile``."""
    srt = np.sort(a, axis=1)  # NaNs last
    k = np.sum(np.isfinite(a), axis=1)
    rows = np.arange(len(a))
    out = []
    for q in (0.25, 0.75):
        pos = q * np.maximum(k - 1, 0)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, np.maximum(k - 1, 0))
        v = srt[rows, lo] + (pos - lo) * (srt[rows, hi] - srt[rows, lo])
        out.append(np.where(k > 0, v, np.nan))
    return out[0], out[1]


def _range_flags(flag_inv_d2: np.ndarray, d_min_inv_d2: float) -> np.ndarray:
    """(25,) int: 1 where a flagged 1/d² lies in the range, 0 otherwise, −1 beyond the resolution."""
    out = np.zeros(len(RANGES), dtype=np.int8)
    for r, (lo, hi) in enumerate(RANGES):
        if lo > d_min_inv_d2:
            out[r] = -1
        elif np.any((flag_inv_d2 >= lo) & (flag_inv_d2 <= hi)):
            out[r] = 1
    return out


class _RuleDetector(Method):
    """Shared API of the rule-based detectors: they read merged reflection lists, not frames."""

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(input="merged-reflections", per_range=True)

    def fit(self, X, y=None):
        self.n_fitted_ = len(as_mx(X))
        self.classes_ = BINARY_CLASSES
        return self

    def _one(self, data) -> tuple[float, np.ndarray]:
        """(ice score, flagged 1/d² values) of one data set."""
        raise NotImplementedError

    def _analyse(self, X):
        return [self._one(d) + (float(d.inv_d2_a2.max()),) for d in as_mx(X)]

    def score_samples(self, X) -> np.ndarray:
        return np.array([a[0] for a in self._analyse(X)])

    def predict_ranges(self, X) -> np.ndarray:
        """(n_data_sets, 25) int8: 1 icy, 0 clean, −1 beyond the data's resolution."""
        return np.array([_range_flags(flags, dmax) for _, flags, dmax in self._analyse(X)]).reshape(-1, len(RANGES))

    def predict(self, X) -> np.ndarray:
        return np.array([int(len(flags) > 0) for _, flags, _ in self._analyse(X)], dtype=np.int8)


class IcefinderScore(_RuleDetector):
    """AUSPEX Icefinder-style score (see the module docstring). threshold: |score| that flags a bin."""

    def __init__(self, bin_width_inv_a: float = 0.001, window: int = 5, threshold: float = 5.0, min_per_bin: int = 3):
        self.bin_width_inv_a = bin_width_inv_a
        self.window = window
        self.threshold = threshold
        self.min_per_bin = min_per_bin

    def bin_scores(self, data):
        """(bin centre 1/d² Å⁻², score) with NaN where a bin has too few reflections."""
        s = np.sqrt(data.inv_d2_a2)
        i = data.i
        b = np.floor(s / self.bin_width_inv_a).astype(int)
        b0 = b.min()
        b -= b0
        nb = b.max() + 1
        n = np.bincount(b, minlength=nb).astype(float)
        s1 = np.bincount(b, weights=i, minlength=nb)
        s2 = np.bincount(b, weights=i * i, minlength=nb)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / n
            std = np.sqrt(np.maximum(s2 / n - mean**2, 0.0))
            ms = np.where((n >= self.min_per_bin) & (std > 0), mean / std, np.nan)
        centre_s = (np.arange(nb) + b0 + 0.5) * self.bin_width_inv_a
        ice = _in_ice_ranges(centre_s**2)
        w = self.window
        # windows of ±w bins around every bin (vectorised): the bin itself, ice bins and empty bins out
        cand = np.where(ice | ~np.isfinite(ms), np.nan, ms)
        padded = np.concatenate([np.full(w, np.nan), cand, np.full(w, np.nan)])
        win = np.lib.stride_tricks.sliding_window_view(padded, 2 * w + 1).copy()  # (nb, 2w+1)
        win[:, w] = np.nan
        enough = np.sum(np.isfinite(win), axis=1) >= 2
        q1, q3 = _row_quartiles(win)
        win[(win < q1[:, None]) | (win > q3[:, None])] = np.nan
        g = np.exp(-0.5 * ((np.arange(2 * w + 1) - w) / (w / 2.0)) ** 2)[None, :] * np.isfinite(win)
        gsum = g.sum(axis=1)
        expected = np.where(enough & (gsum > 0), np.nansum(g * np.nan_to_num(win), axis=1) / np.where(gsum > 0, gsum, 1),
                            np.nan)
        ok = np.isfinite(expected)
        if ok.sum() >= 2:  # linear interpolation across gaps
            expected = np.interp(np.arange(nb), np.flatnonzero(ok), expected[ok])
        score = (ms - expected) * np.sqrt(n)
        return centre_s**2, score

    def _one(self, data):
        inv_d2, score = self.bin_scores(data)
        hit = np.isfinite(score) & (np.abs(score) >= self.threshold) & _in_ice_ranges(inv_d2)
        in_ranges = np.isfinite(score) & _in_ice_ranges(inv_d2)
        top = float(np.max(np.abs(score[in_ranges]))) if in_ranges.any() else 0.0
        return top, inv_d2[hit]


class XtriageStyleIceRings(_RuleDetector):
    """phenix.xtriage-style ice-ring check (see the module docstring).

    bin_width_inv_d2 : width of the 1/d² bins (Å⁻²). n_sigma : abnormality threshold; z_max : z-score
    limit; intensity_level : lines of relative intensity above it are checked.
    """

    def __init__(self, bin_width_inv_d2: float = 0.005, n_sigma: float = 4.0, z_max: float = 10.0,
                 intensity_level: float = 0.1):
        self.bin_width_inv_d2 = bin_width_inv_d2
        self.n_sigma = n_sigma
        self.z_max = z_max
        self.intensity_level = intensity_level

    def _one(self, data):
        x = data.inv_d2_a2
        edges = np.arange(x.min(), x.max() + self.bin_width_inv_d2, self.bin_width_inv_d2)
        nb = len(edges) - 1
        b = np.clip(np.digitize(x, edges) - 1, 0, nb - 1)
        n = np.bincount(b, minlength=nb).astype(float)
        mean_i = np.bincount(b, weights=data.i, minlength=nb) / np.maximum(n, 1)
        centres = 0.5 * (edges[:-1] + edges[1:])
        exp_x = data.expected_inv_d2_a2()
        if exp_x is not None:
            n_exp = np.bincount(np.clip(np.digitize(exp_x, edges) - 1, 0, nb - 1), minlength=nb).astype(float)
            compl = np.divide(n, n_exp, out=np.full(nb, np.nan), where=n_exp > 0)
        else:
            compl = np.full(nb, np.nan)
        line_x = 1.0 / ICE_LINES_A[ICE_REL_INTENSITY > self.intensity_level] ** 2
        near_ice = np.zeros(nb, bool)  # ice bin and its flanks are left out of the reference statistics
        for lx in line_x:
            k = int(np.clip(np.digitize(lx, edges) - 1, 0, nb - 1))
            near_ice[max(0, k - 1):k + 2] = True
        ref = ~near_ice & (n >= 5) & (mean_i > 0)
        if ref.sum() < 4:
            return 0.0, np.zeros(0)
        coef = np.polyfit(centres[ref], np.log(mean_i[ref]), 2)  # smooth Wilson plot
        expected = np.exp(np.polyval(coef, centres))
        z = (mean_i - expected) / (expected / np.sqrt(np.maximum(n, 1)))  # ⟨I⟩ of n acentric draws: sd ⟨I⟩/√n
        zm, zs = z[ref].mean(), z[ref].std()
        cm, cs = np.nanmean(compl[ref]), np.nanstd(compl[ref])
        flagged, worst = [], 0.0
        for lx in line_x:
            if lx > x.max() or lx < x.min():
                continue
            k = int(np.clip(np.digitize(lx, edges) - 1, 0, nb - 1))
            if n[k] < 1:
                continue
            z_ab = abs(z[k] - zm) / zs if zs > 0 else 0.0
            c_ab = abs(compl[k] - cm) / (cs + 1e-6) if np.isfinite(compl[k]) and np.isfinite(cm) else 0.0
            worst = max(worst, z_ab, c_ab, z[k] / self.z_max * self.n_sigma)
            if c_ab >= self.n_sigma or z[k] > self.z_max or z_ab >= self.n_sigma:
                flagged.append(lx)
        return float(worst), np.array(flagged)


class CtruncateIceRings(_RuleDetector):
    """CTRUNCATE-style ice-ring rejection (see the module docstring)."""

    def __init__(self, ring_width_inv_d2: float = 0.005, tol: float = 4.0, ratio_i: float = 2.0, ratio_c: float = 1.25,
                 per_bin: int = 500):
        self.ring_width_inv_d2 = ring_width_inv_d2
        self.tol = tol
        self.ratio_i = ratio_i
        self.ratio_c = ratio_c
        self.per_bin = per_bin

    def _one(self, data):
        x = data.inv_d2_a2
        half = self.ring_width_inv_d2 / 2
        line_x = 1.0 / ICE_LINES_A**2
        in_ring = np.any(np.abs(x[:, None] - line_x[None, :]) <= half, axis=1)
        free = ~in_ring
        n_bins = max(2, int(free.sum() // self.per_bin))
        # expected ⟨I⟩(1/d²): means of the ice-free reflections in equal-count bins, log-interpolated
        order = np.argsort(x[free])
        parts = [p for p in np.array_split(order, n_bins) if p.size]
        cx = np.array([x[free][p].mean() for p in parts])
        cm = np.array([max(data.i[free][p].mean(), 1e-12) for p in parts])
        expected_at = lambda v: np.exp(np.interp(v, cx, np.log(cm)))  # noqa: E731
        exp_x = data.expected_inv_d2_a2()
        flagged, worst = [], 0.0
        for lx in line_x:
            sel = np.abs(x - lx) <= half
            if lx > x.max() or sel.sum() < 3:
                continue
            mi, ms = data.i[sel].mean(), data.sig_i[sel].mean()
            me = expected_at(x[sel]).mean()
            dev = abs(mi - me) / ms if ms > 0 else 0.0
            ratio = mi / me if me > 0 else 1.0
            c_ratio = 1.0
            if exp_x is not None:
                # completeness of the ring vs the ice-free reflections of the surrounding resolution bin
                lo, hi = lx - 5 * half, lx + 5 * half
                sel_bin = (x >= lo) & (x <= hi) & free
                e_ring = np.sum(np.abs(exp_x - lx) <= half)
                e_bin = np.sum((exp_x >= lo) & (exp_x <= hi) & ~np.any(np.abs(exp_x[:, None] - line_x) <= half, axis=1))
                if e_ring > 0 and e_bin > 0 and sel_bin.sum() > 0:
                    c_ratio = (sel.sum() / e_ring) / (sel_bin.sum() / e_bin)
            worst = max(worst, dev / self.tol, max(ratio, 1 / max(ratio, 1e-12)) / self.ratio_i,
                        max(c_ratio, 1 / max(c_ratio, 1e-12)) / self.ratio_c)
            if (dev > self.tol or ratio >= self.ratio_i or ratio <= 1 / self.ratio_i
                    or c_ratio >= self.ratio_c or c_ratio <= 0.8):
                flagged.append(lx)
        return float(worst), np.array(flagged)

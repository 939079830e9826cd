"""Helcaraxe plots (paper 003, "plot_generator"; methods.md §6): for every AUSPEX ice range (§2.5)
inside the data's resolution, an 80×80 two-dimensional histogram of the reflections' value (I_obs
or F_obs) against their resolution d (Å, linear), over the range's d interval and a y interval from
the 0.5th to the 95th percentile of the values inside the range; rotated by 90° so that d runs along
the columns and high values are at the top; standardised per image (TensorFlow's
``per_image_standardization``: (x − mean) / max(std, 1/√N)).

The blank-plot discriminator (paper 003: "checking, for specified resolution bins, whether the mean
I_obs is close to 0"): a 10-column window slid in steps of 5 over the 80 columns of the histogram
counts (before standardisation, where a mean of 0.005 means at most 4 reflections in 800 pixels);
a window mean ≤ 0.005 makes the plot "not predictable". Deviation from the reference code, which
writes ``del_lst[pos - 1]`` and so marks the *previous* range: here the range whose plot is blank is
marked.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import numpy as np

from diffbench.physics.ice import AUSPEX_RANGES_INV_D2_A2

SIZE = 80  # pixels per side (paper 003)
Y_PERCENTILES = (0.5, 95.0)  # the y axis' limits, percentiles of the values inside the range
BLANK_WINDOW, BLANK_STEP, BLANK_MEAN = 10, 5, 0.005
#: (25, 2) d of each AUSPEX range in Å: (d_start, d_end), d_start > d_end
RANGES_D_A = 1.0 / np.sqrt(np.asarray(AUSPEX_RANGES_INV_D2_A2))

#: per-range status of a data set's plots
BEYOND, BLANK, PREDICTABLE = -1, 0, 1


class RangePlots(NamedTuple):
    """The plots of one data set: ``plots`` (25, 80, 80) float32 standardised (zeros where not
    predictable), ``counts`` (25, 80, 80) the raw histograms (None from the cache), ``status`` (25,) int8: −1 the range
    lies beyond the data's resolution, 0 blank (the discriminator), 1 predictable."""

    plots: np.ndarray
    counts: np.ndarray
    status: np.ndarray


def histogram(d_a: np.ndarray, values: np.ndarray, d_start: float, d_end: float) -> np.ndarray:
    """The 80×80 histogram of one range before rotation: rows = d bins from ``d_end`` (high
    resolution) to ``d_start``, columns = value bins from the 0.5th to the 95th percentile of the
    values inside the range (0 to the 90th percentile of all values where the range holds none).
    Reflections outside the box are dropped."""
    inside = (d_a >= d_end) & (d_a <= d_start)
    if inside.any():
        lo, hi = np.percentile(values[inside], Y_PERCENTILES)
    else:
        lo, hi = 0.0, float(np.percentile(values, 90.0)) if values.size else 1.0
    if not hi > lo:  # a degenerate y range: numpy's histogram2d would fail; widen it by one unit
        hi = lo + 1.0
    h, _, _ = np.histogram2d(d_a, values, bins=SIZE, range=[[d_end, d_start], [lo, hi]])
    return h


def rotate(h: np.ndarray) -> np.ndarray:
    """``scipy.ndimage.rotate(h, 90)`` of a square histogram (exact: a 90° turn moves pixels onto
    pixels), i.e. d along the columns (high resolution left) and value up the rows (high at the top)."""
    return np.rot90(h)


def standardise(x: np.ndarray) -> np.ndarray:
    """TensorFlow's ``per_image_standardization``: (x − mean) / max(std, 1/√N)."""
    x = np.asarray(x, dtype=np.float64)
    return (x - x.mean()) / max(x.std(), 1.0 / np.sqrt(x.size))


def is_blank(counts: np.ndarray) -> bool:
    """The blank-plot discriminator on one rotated histogram of counts (see the module docstring)."""
    starts = range(0, counts.shape[1] - BLANK_WINDOW + 1, BLANK_STEP)
    return any(counts[:, s:s + BLANK_WINDOW].mean() <= BLANK_MEAN for s in starts)


def range_plots(d_a: np.ndarray, values: np.ndarray) -> RangePlots:
    """Every range's plot of one data set: reflections' resolution ``d_a`` (Å) and value (I or F).

    A range is plotted when the data reach past its high-resolution end (d_min < d_end); the others
    are −1 (beyond resolution)."""
    d_a = np.asarray(d_a, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(d_a) & np.isfinite(values)
    d_a, values = d_a[ok], values[ok]
    n = len(RANGES_D_A)
    plots = np.zeros((n, SIZE, SIZE), np.float32)
    counts = np.zeros((n, SIZE, SIZE), np.float32)
    status = np.full(n, BEYOND, np.int8)
    d_min = d_a.min() if d_a.size else np.inf
    for r, (d_start, d_end) in enumerate(RANGES_D_A):
        if not d_min < d_end:
            continue
        c = rotate(histogram(d_a, values, d_start, d_end))
        counts[r] = c
        if is_blank(c):
            status[r] = BLANK
        else:
            status[r] = PREDICTABLE
            plots[r] = standardise(c)
    return RangePlots(plots, counts, status)


# plots of data sets already seen in this process, by content: the bench asks for the same data
# sets' plots in fit, predict and score_samples, and the F and I networks each once
# (≤ 512 data sets × 25 plots × 25.6 kB ≈ 330 MB at most; the raw counts are not kept)
_CACHE: dict = {}
_CACHE_SIZE = 512


def cached_range_plots(d_a: np.ndarray, values: np.ndarray) -> RangePlots:
    """:func:`range_plots` without the raw counts, computed once per (d, values) content in this process."""
    h = hashlib.sha256(np.ascontiguousarray(d_a, dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
    key = h.hexdigest()
    if key not in _CACHE:
        while len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        p = range_plots(d_a, values)
        _CACHE[key] = RangePlots(p.plots, None, p.status)
    return _CACHE[key]

"""Photon (and electron) counting noise, drawn deterministically: numba kernels shared by every
data kind's renderer.

Determinism: counts come from a counter-based generator (SplitMix64 of the pattern's key, the
pixel index and the draw number), so every pixel's draw is independent of thread count, batch
size and worker split.

Poisson sampling: sequential inversion for λ < 10; above, Hörmann's transformed rejection with
squeeze (PTRS; W. Hörmann, Insurance: Mathematics and Economics 12, 39–45, 1993).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_DRAWS = np.uint64(1024)


@nb.njit(inline="always")
def _uniform(key, counter):
    """Uniform double in [0, 1) from (key, counter) by the SplitMix64 finaliser."""
    z = key + counter * _GOLDEN
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    z = z ^ (z >> _S31)
    return float(z >> _S11) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True)
def poisson_draw(lam, key, pix):
    """One Poisson(λ) variate for pixel ``pix`` of the pattern with ``key``."""
    if lam <= 0.0:
        return 0
    base = np.uint64(pix) * _DRAWS
    if lam < 10.0:
        u = _uniform(key, base)
        if u <= 1.0 - lam:  # e^{-λ} ≥ 1 - λ, so k = 0 without evaluating the exponential
            return 0
        p = math.exp(-lam)
        cdf = p
        k = 0
        while u > cdf and k < 1000:
            k += 1
            p *= lam / k
            cdf += p
        return k
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    j = np.uint64(0)
    while True:
        uu = _uniform(key, base + j) - 0.5
        v = _uniform(key, base + j + np.uint64(1))
        j += np.uint64(2)
        us = 0.5 - abs(uu)
        k = math.floor((2.0 * a / us + b) * uu + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return int(k)
        if k < 0.0 or (us < 0.013 and v > us):
            continue
        if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)) <= (
            -lam + k * loglam - math.lgamma(k + 1.0)
        ):
            return int(k)
        if j >= _DRAWS - np.uint64(2):  # practically unreachable (p < 1e-300): fall back to rounding
            return int(lam + 0.5)


@nb.njit(parallel=True, cache=True)
def _parallel_touch(x):
    for i in nb.prange(x.size):
        x[i] = i


def threading_layer() -> str:
    """numba's threading layer ("omp", "tbb" or "workqueue"), launching a trivial parallel loop
    first if none has run yet (numba picks the layer at the first launch)."""
    try:
        return nb.threading_layer()
    except ValueError:
        _parallel_touch(np.zeros(2))
        return nb.threading_layer()


@nb.njit(inline="always")
def first_uniform(key, pix):
    """The first uniform of pixel ``pix``'s draws: the one :func:`poisson_draw` tests k = 0 with."""
    return _uniform(key, np.uint64(pix) * _DRAWS)


@nb.njit(inline="always")
def poisson_draw_given_first(lam, u, key, pix):
    """:func:`poisson_draw`, with its commonest answer (0 photons for λ < 10) decided from the
    pixel's first uniform ``u`` = :func:`first_uniform` (key, pix), computed beforehand.

    Most pixels of a diffraction pattern expect far less than one photon. The render kernel
    computes ``u`` for a whole pixel block in one vectorised loop and calls :func:`poisson_draw`
    only where k = 0 is not decided here; that function recomputes the same ``u`` and goes on, so
    the counts are those of :func:`poisson_draw` alone."""
    if lam <= 0.0 or (lam < 10.0 and u <= 1.0 - lam):
        return 0
    return poisson_draw(lam, key, pix)


@nb.njit(cache=True)
def poisson_fill(lam, key, out, given_first=True):
    """Fill ``out`` with Poisson(lam[i]) draws as the render kernel makes them (each pixel's first
    uniform computed beforehand, then :func:`poisson_draw_given_first`), or with ``given_first=False``
    by :func:`poisson_draw` alone (test helper for the sampler; both give the same counts)."""
    for i in range(lam.size):
        if given_first:
            out[i] = poisson_draw_given_first(lam[i], first_uniform(key, i), key, i)
        else:
            out[i] = poisson_draw(lam[i], key, i)

"""Sine and cosine that vectorise, and the per-pixel loops of the render kernel that need them:
analytic sphere and cube amplitudes, and the phase factor e^{i q·r} of a particle in a coherent
group.

Why by hand: numba calls libm's scalar ``sin``/``cos`` (the SVML vector versions need a patched
LLVM that pip's llvmlite lacks), so a loop with a sine in it runs one pixel at a time. A PR772 shot
with a water droplet spent most of its time there. :func:`sincos` is branch-free arithmetic that
LLVM turns into vector code inside a loop (4 lanes with AVX2, 8 with AVX-512):

1. Range reduction (Cody & Waite 1980): k = round(2x/π), r = x − k π/2 with π/2 split into three
   parts (P1 has 33 significant bits, so k·P1 is exact for |k| < 2²⁰), |r| ≤ π/4.
2. Taylor series of sin r to r¹⁷ and cos r to r¹⁸: at |r| = π/4 the first omitted terms are
   (π/4)¹⁹/19! ≈ 8e-20 and (π/4)²⁰/20! ≈ 3e-21, far below double rounding (1.1e-16).
3. The quadrant k mod 4 swaps and negates (sin r, cos r), computed in floating point
   (k − 4 floor(k/4)) so that no float→int conversion breaks the vectorisation.

Accuracy (``tests/simulate/spi/test_trig_kernels.py``, 2·10⁶ random arguments, compiled without
fastmath): within 1.1e-16 of numpy for |x| ≤ 2π and 2.2e-16 for |x| ≤ 1e5 rad. Speed: 1.8 ns per
sin-cos pair against 35–60 ns for numpy's sin and cos (one core, AVX-512).

Everything here is inlined into the render kernel and takes its ``fastmath`` flags, and LLVM then
does reassociate x − k P1 − k P2 − k P3 into x − k·fl(π/2): the error grows to 3.9e-17 |x|, 5e-14
at the largest phases the kernel sees (q·r ≤ q_max × hit diameter ≈ 4e8 m⁻¹ × 3.5e-6 m ≈ 1.4e3 rad),
far below the float32 B-spline amplitudes' 1e-7. The tests bound both regimes.

Inlined, not called: as a separate function called from the parallel kernel, a water-droplet shot
took 3× longer. The loops index slices from 0: an index from ``i0`` may be negative as far as numba
knows, and its wraparound check turns every load into a gather.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

# π/2 = P1 + P2 + P3: P1 holds the leading 33 bits (k·P1 exact for |k| < 2²⁰), P2 the next 33,
# P3 the rest (the fdlibm split of π/2)
_P1 = 1.57079632673412561417e00
_P2 = 6.07710050650619224932e-11
_P3 = 2.02226624879595063154e-21
_TWO_OVER_PI = 2.0 / math.pi
# Taylor coefficients in z = r², highest power first, for Horner's rule:
# sin r = r + r z (−1/3! + z/5! − … + z⁷/17!),  cos r = 1 + z (−1/2! + z/4! − … − z⁸/18!)
_SIN_SERIES = tuple((-1.0) ** n / math.factorial(2 * n + 1) for n in range(8, 0, -1))
_COS_SERIES = tuple((-1.0) ** n / math.factorial(2 * n) for n in range(9, 0, -1))


@nb.njit(inline="always")
def _horner(z, coeffs):
    """Σ coeffs[k] z^(n−1−k) by Horner's rule (coefficients highest power first)."""
    acc = coeffs[0]
    for k in range(1, len(coeffs)):
        acc = acc * z + coeffs[k]
    return acc


@nb.njit(inline="always")
def sincos(x):
    """(sin x, cos x) of a float64 x, branch-free so that loops over it vectorise; see the module
    docstring for the method and its accuracy."""
    k = np.floor(x * _TWO_OVER_PI + 0.5)
    r = ((x - k * _P1) - k * _P2) - k * _P3
    z = r * r
    s = r + r * z * _horner(z, _SIN_SERIES)
    c = 1.0 + z * _horner(z, _COS_SERIES)
    quadrant = k - 4.0 * np.floor(k * 0.25)  # 0, 1, 2, 3 (exact: k is an integer in float)
    odd = (quadrant == 1.0) | (quadrant == 3.0)
    sin_x = c if odd else s  # quadrants 1, 3: sin(r + kπ/2) = ±cos r
    cos_x = s if odd else c
    sin_x = -sin_x if quadrant >= 2.0 else sin_x
    cos_x = -cos_x if (quadrant == 1.0) | (quadrant == 2.0) else cos_x
    return sin_x, cos_x


@nb.njit(inline="always")
def sphere_amplitudes(qt, valid, i0, i1, m, radius_m, out):
    """F(m q_i) of a uniform sphere of radius ``radius_m`` (m) for the pixels i of [i0, i1) into
    ``out[i − i0]`` (float64; 0 where the pixel is invalid): V · 3 (sin x − x cos x)/x³ with
    x = |m q| r, V = 4/3 π r³ (unit density; Born approximation). Below x = 0.01 the series
    V (1 − x²/10 + x⁴/280), where the closed form cancels. ``qt`` (3, npix) lab q (1/m)."""
    qx = qt[0, i0:i1]  # slices indexed from 0: contiguous vector loads
    qy = qt[1, i0:i1]
    qz = qt[2, i0:i1]
    m00, m01, m02 = m[0, 0], m[0, 1], m[0, 2]
    m10, m11, m12 = m[1, 0], m[1, 1], m[1, 2]
    m20, m21, m22 = m[2, 0], m[2, 1], m[2, 2]
    ok = valid[i0:i1]
    vol = 4.0 / 3.0 * math.pi * radius_m**3
    for j in range(i1 - i0):
        px = m00 * qx[j] + m01 * qy[j] + m02 * qz[j]
        py = m10 * qx[j] + m11 * qy[j] + m12 * qz[j]
        pz = m20 * qx[j] + m21 * qy[j] + m22 * qz[j]
        x = math.sqrt(px * px + py * py + pz * pz) * radius_m
        xs = x if x >= 1e-2 else 1e-2  # the closed form's argument, kept away from 0/0 in the unused lane
        s, c = sincos(xs)
        x2 = x * x
        f = vol * 3.0 * (s - xs * c) / (xs * xs * xs) if x >= 1e-2 else vol * (1.0 - x2 / 10.0 + x2 * x2 / 280.0)
        out[j] = f if ok[j] else 0.0


@nb.njit(inline="always")
def _sinc(u):
    """sin(u)/u, branch-free; the series 1 − u²/6 below |u| = 1e-4 (error < u⁴/120 < 1e-18)."""
    us = u if abs(u) >= 1e-4 else 1e-4
    s, _ = sincos(us)
    return s / us if abs(u) >= 1e-4 else 1.0 - u * u / 6.0


@nb.njit(inline="always")
def cube_amplitudes(qt, valid, i0, i1, m, edge_m, out):
    """F(m q_i) of a uniform cube of edge ``edge_m`` (m), faces normal to the particle axes, for
    the pixels i of [i0, i1) into ``out[i − i0]``: a³ sinc(q_x a/2) sinc(q_y a/2) sinc(q_z a/2),
    0 where the pixel is invalid. ``qt`` (3, npix) lab q (1/m)."""
    qx = qt[0, i0:i1]  # slices indexed from 0: contiguous vector loads
    qy = qt[1, i0:i1]
    qz = qt[2, i0:i1]
    m00, m01, m02 = m[0, 0], m[0, 1], m[0, 2]
    m10, m11, m12 = m[1, 0], m[1, 1], m[1, 2]
    m20, m21, m22 = m[2, 0], m[2, 1], m[2, 2]
    h = edge_m / 2.0
    ok = valid[i0:i1]
    vol = edge_m**3
    for j in range(i1 - i0):
        px = m00 * qx[j] + m01 * qy[j] + m02 * qz[j]
        py = m10 * qx[j] + m11 * qy[j] + m12 * qz[j]
        pz = m20 * qx[j] + m21 * qy[j] + m22 * qz[j]
        f = vol * _sinc(px * h) * _sinc(py * h) * _sinc(pz * h)
        out[j] = f if ok[j] else 0.0


@nb.njit(inline="always")
def add_shifted(qt, i0, i1, a_re, a_im, r, f_re, f_im, acc_re, acc_im):
    """acc[j] += a · F_j · e^{i q_i·r} for j = i − i0 over [i0, i1): a particle of a coherent group
    at position ``r`` (m) relative to the group's first particle, F = f_re + i f_im its amplitude at
    each pixel, a = a_re + i a_im its complex multiplier. ``qt`` (3, npix) lab q (1/m)."""
    qx = qt[0, i0:i1]  # slices indexed from 0: contiguous vector loads
    qy = qt[1, i0:i1]
    qz = qt[2, i0:i1]
    rx, ry, rz = r[0], r[1], r[2]
    for j in range(i1 - i0):
        fre = float(f_re[j])
        fim = float(f_im[j])
        ar = a_re * fre - a_im * fim
        ai = a_re * fim + a_im * fre
        s, c = sincos(qx[j] * rx + qy[j] * ry + qz[j] * rz)
        acc_re[j] += ar * c - ai * s
        acc_im[j] += ar * s + ai * c

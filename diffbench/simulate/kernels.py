"""Numba kernels of the simulator: slice amplitudes, sum particles, add background, draw photons.

Kept apart from the physics so that ``import diffbench`` does not import numba; the plain-numpy
reference of the same computation is :mod:`diffbench.simulate.reference`, and the tests compare
the two.

Determinism: photon counts come from a counter-based generator (SplitMix64 of pattern key, pixel
index and draw number), so every pixel's draw is independent of thread count, batch size and
worker split. Per-pattern sums are accumulated per pixel block and added in block order.

Poisson sampling: sequential inversion for λ < 10; above, Hörmann's transformed rejection with
squeeze (PTRS; W. Hörmann, Insurance: Mathematics and Economics 12, 39–45, 1993).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

BLOCK = 4096  # pixels per work item
TILE = 8  # detector columns per strip when slicing volumes (cache locality)

from diffbench.simulate.kernels_api import KIND_CUBE, KIND_SPHERE, KIND_VOLUME, KIND_VOLUME_BSPLINE  # noqa: F401
from diffbench.simulate.vector_kernels import bspline_stencil_f32, bspline_weights_f32

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_DRAWS = np.uint64(1024)
_U1 = np.uint64(1)
_U3 = np.uint64(3)


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


@nb.njit(inline="always")
def poisson_draw_inline(lam, key, pix):
    """:func:`poisson_draw`, with its commonest answer (0 photons for λ < 10) decided inline.

    Most pixels of a diffraction pattern expect far less than one photon; deciding k = 0 in the
    caller's loop, without a function call, halves the cost of those draws (7 → 3 ns). Same
    uniform, same test, so the same counts."""
    if lam <= 0.0:
        return 0
    if lam < 10.0 and _uniform(key, np.uint64(pix) * _DRAWS) <= 1.0 - lam:
        return 0
    return poisson_draw(lam, key, pix)


@nb.njit(cache=True)
def poisson_fill(lam, key, out, inline=True):
    """Fill ``out`` with Poisson(lam[i]) draws, by the kernel's route (``inline``) or by
    :func:`poisson_draw` alone (test helper for the sampler)."""
    for i in range(lam.size):
        out[i] = poisson_draw_inline(lam[i], key, i) if inline else poisson_draw(lam[i], key, i)


@nb.njit(inline="always")
def _sinc(x):
    if abs(x) < 1e-4:
        return 1.0 - x * x / 6.0
    return math.sin(x) / x


@nb.njit(inline="always")
def _bspline_lookup(px, py, pz, off, n, dq, fold, vol):
    """Σ_j β₃(u − j) G_j over the 4×4×4 stencil of a complex coefficient grid; 0 outside.

    Whole grids are centred, u = q/Δq + (n − 1)/2; octants (``fold``) hold k = −1, 0, 1, … at
    stored index k + 1, u = |q|/Δq + 1. The stencil sum is vectorised
    (:mod:`diffbench.simulate.vector_kernels`)."""
    if fold:
        ux = abs(px) / dq + 1.0
        uy = abs(py) / dq + 1.0
        uz = abs(pz) / dq + 1.0
    else:
        c = (n - 1) / 2.0
        ux = px / dq + c
        uy = py / dq + c
        uz = pz / dq + c
    if ux < 1.0 or uy < 1.0 or uz < 1.0 or ux >= n - 2 or uy >= n - 2 or uz >= n - 2:
        return 0.0, 0.0
    ix = int(ux)
    iy = int(uy)
    iz = int(uz)
    wx = bspline_weights_f32(np.float32(ux - ix))
    wy = bspline_weights_f32(np.float32(uy - iy))
    wz = bspline_weights_f32(np.float32(uz - iz))
    first = np.uint64(off + (((iz - 1) * n + (iy - 1)) * n + ix - 1) * 2)  # unsigned: no wraparound code
    re, im = bspline_stencil_f32(vol, first, np.uint64(2 * n), np.uint64(2 * n * n), wx, wy, wz)
    return float(re), float(im)


@nb.njit(inline="always")
def _lookup(px, py, pz, kind, off, n, nc, dq, fold, size, vol):
    """Amplitude (re, im) of one species at particle-frame q = (px, py, pz), 1/m."""
    if kind == KIND_SPHERE:
        r = size / 2.0
        x = math.sqrt(px * px + py * py + pz * pz) * r
        vol_s = 4.0 / 3.0 * math.pi * r * r * r
        if x < 1e-2:
            x2 = x * x
            return vol_s * (1.0 - x2 / 10.0 + x2 * x2 / 280.0), 0.0
        return vol_s * 3.0 * (math.sin(x) - x * math.cos(x)) / (x * x * x), 0.0
    if kind == KIND_CUBE:
        h = size / 2.0
        return size * size * size * _sinc(px * h) * _sinc(py * h) * _sinc(pz * h), 0.0
    if kind == KIND_VOLUME_BSPLINE:
        return _bspline_lookup(px, py, pz, off, n, dq, fold, vol)
    if fold:
        ux = abs(px) / dq
        uy = abs(py) / dq
        uz = abs(pz) / dq
    else:
        c = (n - 1) / 2.0
        ux = px / dq + c
        uy = py / dq + c
        uz = pz / dq + c
        if ux < 0.0 or uy < 0.0 or uz < 0.0:
            return 0.0, 0.0
    if ux >= n - 1 or uy >= n - 1 or uz >= n - 1:
        return 0.0, 0.0
    ix = int(ux)
    iy = int(uy)
    iz = int(uz)
    fx = ux - ix
    fy = uy - iy
    fz = uz - iz
    re = 0.0
    im = 0.0
    for dz in range(2):
        wz = fz if dz else 1.0 - fz
        for dy in range(2):
            wzy = wz * (fy if dy else 1.0 - fy)
            base = np.uint64(off + (((iz + dz) * n + (iy + dy)) * n + ix) * nc)  # unsigned: no wraparound
            w0 = wzy * (1.0 - fx)
            w1 = wzy * fx
            re += w0 * vol[base] + w1 * vol[base + np.uint64(nc)]
            if nc == 2:
                im += w0 * vol[base + _U1] + w1 * vol[base + _U3]
    return re, im


@nb.njit(inline="always")
def _add_particle(qvec, valid, i0, i1, nx, m, a_re, a_im, phase, rx, ry, rz,
                  kind, off, n, nc, dq, fold, size, vol, acc_re, acc_im):
    """acc[i - i0] += amp · F(m q_i) · e^{i q_i·r} for the valid pixels i in [i0, i1).

    The pixels are visited in strips of TILE columns down the block's rows rather than row by row:
    neighbouring pixels then reuse the same volume cache lines while they are still in L1. Each
    pixel's sum is the same whatever the order.
    """
    m00, m01, m02 = m[0, 0], m[0, 1], m[0, 2]
    m10, m11, m12 = m[1, 0], m[1, 1], m[1, 2]
    m20, m21, m22 = m[2, 0], m[2, 1], m[2, 2]
    r0 = i0 // nx
    r1 = (i1 - 1) // nx + 1
    for c0 in range(0, nx, TILE):
        c1 = min(nx, c0 + TILE)
        for r in range(r0, r1):
            for i in range(max(i0, r * nx + c0), min(i1, r * nx + c1)):
                if not valid[i]:
                    continue
                qx = qvec[i, 0]
                qy = qvec[i, 1]
                qz = qvec[i, 2]
                fre, fim = _lookup(m00 * qx + m01 * qy + m02 * qz, m10 * qx + m11 * qy + m12 * qz,
                                   m20 * qx + m21 * qy + m22 * qz, kind, off, n, nc, dq, fold, size, vol)
                ar = a_re * fre - a_im * fim
                ai = a_re * fim + a_im * fre
                if phase:
                    ph = qx * rx + qy * ry + qz * rz
                    c = math.cos(ph)
                    s = math.sin(ph)
                    ar, ai = ar * c - ai * s, ar * s + ai * c
                acc_re[i - i0] += ar
                acc_im[i - i0] += ai


@nb.njit(parallel=True, cache=True, fastmath=True, nogil=True)
def render(
    qvec, nx, factor, valid, templates,
    part_start, weights, keys,
    mat, amp, pos, cluster, species,
    sp_kind, sp_offset, sp_n, sp_nc, sp_dq, sp_fold, sp_size, vol,
    noise, saturation, out, block_photons, block_expected, block_saturated,
):
    """Render a batch of patterns.

    qvec (npix, 3) lab q (1/m) of the row-major (ny, nx) detector; factor (npix,) r_e² P dΩ (m², 0 where invalid); valid (npix,) bool;
    templates (n_comp, npix) additive expected-photon images (background, rings) and weights
    (n_pat, n_comp) their per-pattern multipliers; part_start (n_pat+1,); keys (n_pat,) uint64;
    per particle: mat (3, 3) = s Rᵀ, amp (2,) complex multiplier (√J · density · s³), pos (3,) m, cluster id (coherent groups, sorted), species index.
    out (n_pat, npix): counts (noise=True, integer dtype) or expected photons (noise=False, float).
    block_* (n_pat, n_blocks): per-block photon sum, expected sum and saturated-pixel count.

    Work items are (pattern, block of BLOCK pixels); within one, particles are the outer loop so
    that each particle's rotation and species constants stay in registers over the pixels.
    Releases the GIL (``nogil``), so the caller can plan and write other batches meanwhile.
    """
    n_pat = part_start.size - 1
    npix = qvec.shape[0]
    n_blocks = (npix + BLOCK - 1) // BLOCK
    for item in nb.prange(n_pat * n_blocks):
        t = item // n_blocks
        b = item % n_blocks
        i0 = b * BLOCK
        i1 = min(npix, i0 + BLOCK)
        key = keys[t]
        p0 = part_start[t]
        p1 = part_start[t + 1]
        inten = np.zeros(i1 - i0)
        acc_re = np.zeros(i1 - i0)
        acc_im = np.zeros(i1 - i0)
        for k in range(p0, p1):
            first = k == p0 or cluster[k - 1] != cluster[k]
            last = k == p1 - 1 or cluster[k + 1] != cluster[k]
            sp = species[k]
            # a phase ramp only matters relative to other particles of the same coherent group
            _add_particle(qvec, valid, i0, i1, nx, mat[k], amp[k, 0], amp[k, 1], not (first and last),
                          pos[k, 0], pos[k, 1], pos[k, 2], sp_kind[sp], sp_offset[sp], sp_n[sp],
                          sp_nc[sp], sp_dq[sp], sp_fold[sp], sp_size[sp], vol, acc_re, acc_im)
            if last:
                for j in range(i1 - i0):
                    inten[j] += acc_re[j] * acc_re[j] + acc_im[j] * acc_im[j]
                    acc_re[j] = 0.0
                    acc_im[j] = 0.0
        s_ph = 0
        s_ex = 0.0
        s_sat = 0
        n_comp = templates.shape[0]
        for i in range(i0, i1):
            if not valid[i]:
                out[t, i] = 0
                continue
            add = 0.0
            for c in range(n_comp):
                add += weights[t, c] * templates[c, i]
            lam = factor[i] * inten[i - i0] + add
            s_ex += lam
            if noise:
                c = poisson_draw_inline(lam, key, i)
                if c >= saturation:
                    c = saturation
                    s_sat += 1
                out[t, i] = c
                s_ph += c
            else:
                out[t, i] = lam
        block_photons[t, b] = s_ph
        block_expected[t, b] = s_ex
        block_saturated[t, b] = s_sat

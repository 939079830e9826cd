"""Numba kernels of the SPI simulator: slice amplitudes, sum particles, add background, draw photons.

Kept apart from the physics so that ``import diffbench`` does not import numba; the plain-numpy
reference of the same computation is :mod:`diffbench.simulate.spi.reference`, and the tests compare
the two. Photon draws are those of :mod:`diffbench.simulate.noise_kernels` (deterministic per
pixel); per-pattern sums are accumulated per pixel block and added in block order. Analytic
shapes and the phases of coherent groups use the vectorised sine and cosine of
:mod:`diffbench.simulate.spi.trig_kernels`.

Numba's on-disk cache of :func:`render` is keyed on this file alone, not on the modules whose
functions it inlines: edit one of those and numba would load the stale compiled kernel. So this
file records their digest (:data:`INLINED_SOURCES_SHA256`), and a test fails until it is updated,
which changes this file and makes numba recompile.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from diffbench.simulate.noise_kernels import (  # noqa: F401  (poisson_fill, threading_layer: tests, run)
    first_uniform,
    poisson_draw,
    poisson_draw_given_first,
    poisson_fill,
    threading_layer,
)
from diffbench.simulate.spi.kernels_api import KIND_CUBE, KIND_SPHERE, KIND_VOLUME, KIND_VOLUME_BSPLINE  # noqa: F401
from diffbench.simulate.spi.trig_kernels import add_shifted, cube_amplitudes, sphere_amplitudes
from diffbench.simulate.spi.vector_kernels import LANES, bspline_stencil_f32, bspline_weights_f32

#: The diffbench modules whose numba functions :func:`render` compiles in (paths in the package),
#: and the SHA-256 of their text: ``tests/simulate/test_kernel_cache_keys.py`` checks it and says
#: the new value.
INLINED_SOURCES = ("simulate/spi/trig_kernels.py", "simulate/spi/vector_kernels.py", "simulate/spi/kernels_api.py",
                   "simulate/noise_kernels.py")
INLINED_SOURCES_SHA256 = "a514372cb1959e328f2324730a7d9ef1827e3ceb1ae3d95d1eac9ed0fae357bd"

BLOCK = 4096  # pixels per work item
CHUNK = 256  # pixels per weights pass of the B-spline stencil: 12 kB of weights stay in L1
#             (a multiple of vector_kernels.LANES)

# how _add_particle adds a particle: alone, or as the first / another member of a coherent group
LONE, GROUP_FIRST, GROUP_OTHER = 0, 1, 2

_U1 = np.uint64(1)
_U3 = np.uint64(3)

@nb.njit(inline="always")
def _lookup(px, py, pz, off, n, nc, dq, fold, vol):
    """Amplitude (re, im) of a trilinearly interpolated volume at particle-frame q = (px, py, pz),
    1/m (analytic kinds: :mod:`~diffbench.simulate.spi.trig_kernels`; B-spline volumes:
    :func:`_spline_coords`)."""
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
def _spline_coords_loop(qt, valid, i0, i1, m, n, dq, fold, tx, ty, tz, first_pt, ok):
    """Stencil coordinates of pixels [i0, i1) in a B-spline coefficient grid (see
    :func:`_spline_coords`); written branch-free so that LLVM vectorises it across pixels."""
    m00, m01, m02 = m[0, 0], m[0, 1], m[0, 2]
    m10, m11, m12 = m[1, 0], m[1, 1], m[1, 2]
    m20, m21, m22 = m[2, 0], m[2, 1], m[2, 2]
    c = 1.0 if fold else (n - 1) / 2.0
    hi = n - 2.0
    qxs = qt[0, i0:i1]  # slices indexed from 0: contiguous vector loads (an index from i0 may be
    qys = qt[1, i0:i1]  # negative as far as numba knows, and its wraparound check makes gathers)
    qzs = qt[2, i0:i1]
    ok_pix = valid[i0:i1]
    n32 = np.int32(n)
    one = np.int32(1)
    for j in range(i1 - i0):
        qx = qxs[j]
        qy = qys[j]
        qz = qzs[j]
        px = m00 * qx + m01 * qy + m02 * qz
        py = m10 * qx + m11 * qy + m12 * qz
        pz = m20 * qx + m21 * qy + m22 * qz
        if fold:
            px = abs(px)
            py = abs(py)
            pz = abs(pz)
        ux = px / dq + c
        uy = py / dq + c
        uz = pz / dq + c
        inside = ok_pix[j] & (ux >= 1.0) & (uy >= 1.0) & (uz >= 1.0) & (ux < hi) & (uy < hi) & (uz < hi)
        ux = ux if inside else 1.0  # a harmless in-grid point for pixels that are skipped
        uy = uy if inside else 1.0
        uz = uz if inside else 1.0
        ix = np.int32(ux)  # int32, not int64: AVX2 converts doubles to int32 in vectors
        iy = np.int32(uy)
        iz = np.int32(uz)
        tx[j] = np.float32(ux - ix)
        ty[j] = np.float32(uy - iy)
        tz[j] = np.float32(uz - iz)
        first_pt[j] = ((iz - one) * n32 + (iy - one)) * n32 + ix - one
        ok[j] = inside


@nb.njit(inline="always")
def _spline_coords(qt, valid, i0, i1, m, n, dq, fold, tx, ty, tz, first_pt, ok):
    """For each pixel i of [i0, i1), j = i − i0: ``ok[j]`` whether its particle-frame q = m q_i has a
    full 4×4×4 stencil in the grid (and the pixel is valid), ``first_pt[j]`` the grid index (point,
    not float) of the stencil's first point and ``tx, ty, tz[j]`` its fractional position.

    Whole grids are centred, u = q/Δq + (n − 1)/2; octants (``fold``) hold k = −1, 0, 1, … at
    stored index k + 1, u = |q|/Δq + 1. Two loops, so that ``fold`` is a constant in each."""
    if fold:
        _spline_coords_loop(qt, valid, i0, i1, m, n, dq, True, tx, ty, tz, first_pt, ok)
    else:
        _spline_coords_loop(qt, valid, i0, i1, m, n, dq, False, tx, ty, tz, first_pt, ok)


@nb.njit(inline="always")
def _add_particle(pixels, qt, i0, i1, m, a_re, a_im, mode, r, species_table, s, inten, acc, scratch):
    """Add one particle to the pixels i in [i0, i1) (j = i − i0): amplitude a · F(m q_i). ``mode``
    LONE: its intensity straight into ``inten``; in a coherent group, into ``acc`` = (re, im): as it
    is for the group's first particle (GROUP_FIRST), times e^{i q_i·r} with r its position relative
    to that first particle otherwise (GROUP_OTHER; phases relative to one particle of the group
    leave |Σ|² unchanged and spare its cos/sin). ``s`` is the particle's row of the
    species table; ``scratch`` = (tx, ty, tz, first_pt, ok, spline_w, f_re, f_im), per-block
    work arrays (f_re, f_im: float64 amplitudes of analytic and trilinear kinds).

    B-spline volumes take three passes: :func:`_spline_coords` for the whole block (vectorised),
    the stencil sums, then :func:`_accumulate` (vectorised). The stencils go CHUNK pixels at a time:
    first the weights (LANES pixels at a time), then the sums alone. Short loop bodies let the CPU
    overlap more stencils. Pixels go in row order (other orders measured no faster).
    """
    qvec, _, valid, _, _, _ = pixels
    kind, off, n, nc = species_table.kind[s], species_table.offset[s], species_table.n[s], species_table.nc[s]
    dq, fold, size, vol = species_table.dq[s], species_table.fold[s], species_table.size[s], species_table.vol
    acc_re, acc_im = acc
    tx, ty, tz, first_pt, ok, spline_w, f_re, f_im = scratch
    if kind == KIND_VOLUME_BSPLINE:
        _spline_coords(qt, valid, i0, i1, m, n, dq, fold, tx, ty, tz, first_pt, ok)
        row = np.uint64(2 * n)  # float strides of the interleaved complex grid
        plane = np.uint64(2 * n * n)
        for j0 in range(0, i1 - i0, CHUNK):
            j1 = min(i1 - i0, j0 + CHUNK)
            for j in range(j0, j1, LANES):  # the scratch arrays have LANES − 1 readable floats of padding
                bspline_weights_f32(tx, ty, tz, np.int64(j), spline_w, np.int64(j - j0))
            for j in range(j0, j1):
                re32 = np.float32(0.0)
                im32 = np.float32(0.0)
                if ok[j]:
                    start = np.uint64(off + 2 * np.int64(first_pt[j]))  # unsigned: no wraparound code
                    re32, im32 = bspline_stencil_f32(vol, start, row, plane, spline_w, np.int64(j - j0))
                tx[j] = re32  # the amplitude replaces the coordinates it was computed from
                ty[j] = im32
        _accumulate(qt, i0, i1, a_re, a_im, mode, r, tx, ty, inten, acc_re, acc_im)
        return
    if kind == KIND_SPHERE or kind == KIND_CUBE:  # vectorised closed forms (trig_kernels)
        if kind == KIND_SPHERE:
            sphere_amplitudes(qt, valid, i0, i1, m, size / 2.0, f_re)
        else:
            cube_amplitudes(qt, valid, i0, i1, m, size, f_re)
        for j in range(i1 - i0):
            f_im[j] = 0.0
    else:  # trilinear volumes, in float64
        m00, m01, m02 = m[0, 0], m[0, 1], m[0, 2]
        m10, m11, m12 = m[1, 0], m[1, 1], m[1, 2]
        m20, m21, m22 = m[2, 0], m[2, 1], m[2, 2]
        for i in range(i0, i1):
            fre, fim = 0.0, 0.0
            if valid[i]:
                qx = qvec[i, 0]
                qy = qvec[i, 1]
                qz = qvec[i, 2]
                fre, fim = _lookup(m00 * qx + m01 * qy + m02 * qz, m10 * qx + m11 * qy + m12 * qz,
                                   m20 * qx + m21 * qy + m22 * qz, off, n, nc, dq, fold, vol)
            f_re[i - i0] = fre
            f_im[i - i0] = fim
    _accumulate(qt, i0, i1, a_re, a_im, mode, r, f_re, f_im, inten, acc_re, acc_im)


@nb.njit(inline="always")
def _accumulate(qt, i0, i1, a_re, a_im, mode, r, f_re, f_im, inten, acc_re, acc_im):
    """For j = i − i0: a · F_j (F = f_re + i f_im) into ``acc``, times e^{i q_i·r} for GROUP_OTHER
    (:func:`~diffbench.simulate.spi.trig_kernels.add_shifted`), or |a · F_j|² straight into
    ``inten`` for LONE (vectorised)."""
    if mode == GROUP_FIRST:
        for j in range(i1 - i0):
            fre = float(f_re[j])
            fim = float(f_im[j])
            acc_re[j] += a_re * fre - a_im * fim
            acc_im[j] += a_re * fim + a_im * fre
    elif mode == GROUP_OTHER:
        add_shifted(qt, i0, i1, a_re, a_im, r, f_re, f_im, acc_re, acc_im)
    else:
        for j in range(i1 - i0):
            fre = float(f_re[j])
            fim = float(f_im[j])
            ar = a_re * fre - a_im * fim
            ai = a_re * fim + a_im * fre
            inten[j] += ar * ar + ai * ai


@nb.njit(parallel=True, cache=True, fastmath=True, nogil=True)
def render(pixels, particles, species_table, noise, saturation, out, sums):
    """Render a batch of patterns.

    pixels, particles, species_table, sums : the named tuples of
    :mod:`~diffbench.simulate.spi.kernels_api` (:class:`PixelArrays`, :class:`ParticleArrays`,
    :class:`SpeciesArrays`, :class:`BlockSums`).
    out (n_pat, npix): counts (noise=True, integer dtype) or expected photons (noise=False, float);
    photons above ``saturation`` are clipped to it. sums (n_pat, n_blocks each): per-block photon
    sum, expected sum and saturated-pixel count.

    Work items are (pattern, block of BLOCK sub-pixels); within one, particles are the outer loop so
    that each particle's rotation and species constants stay in registers over the pixels.
    Releases the GIL (``nogil``), so the caller can plan and write other batches meanwhile.
    """
    qvec, factor, valid, templates, valid_pixels, sub = pixels
    part_start, weights, keys, mat, amp, pos, cluster, species = particles
    block_photons, block_expected, block_saturated = sums
    n_pat = part_start.size - 1
    npix = valid_pixels.size
    per_block = max(1, BLOCK // sub)  # pixels per work item: BLOCK sub-pixels
    n_blocks = (npix + per_block - 1) // per_block
    qt = np.ascontiguousarray(qvec.T)  # (3, npix · sub): contiguous components for the vectorised pass
    for item in nb.prange(n_pat * n_blocks):
        t = item // n_blocks
        b = item % n_blocks
        i0 = b * per_block  # pixels [i0, i1), sub-pixels [s0, s1)
        i1 = min(npix, i0 + per_block)
        s0 = i0 * sub
        s1 = i1 * sub
        key = keys[t]
        p0 = part_start[t]
        p1 = part_start[t + 1]
        m_pix = s1 - s0
        inten = np.zeros(m_pix)
        grouped = False  # a coherent group of several particles needs the amplitude accumulators
        for k in range(p0, p1 - 1):
            grouped = grouped or cluster[k] == cluster[k + 1]
        acc_re = np.zeros(m_pix if grouped else 0)  # not zeroing 2 × 32 kB per block for single hits
        acc_im = np.zeros(m_pix if grouped else 0)
        tx = np.empty(m_pix + LANES, dtype=np.float32)  # scratch of the B-spline coordinate pass,
        ty = np.empty(m_pix + LANES, dtype=np.float32)  # padded for the weights pass's last lanes
        tz = np.empty(m_pix + LANES, dtype=np.float32)
        tx[m_pix:] = 0.0
        ty[m_pix:] = 0.0
        tz[m_pix:] = 0.0
        first_pt = np.empty(m_pix, dtype=np.int32)
        ok = np.empty(m_pix, dtype=np.bool_)
        spline_w = np.empty((12, CHUNK), dtype=np.float32)  # B-spline weights of the stencil pass
        f_re = np.empty(m_pix)  # amplitudes of analytic and trilinear kinds
        f_im = np.empty(m_pix)
        lam_b = np.empty(i1 - i0)
        u_b = np.empty(i1 - i0)
        g0 = p0  # the first particle of the current coherent group: the group's phase origin
        for k in range(p0, p1):
            first = k == p0 or cluster[k - 1] != cluster[k]
            last = k == p1 - 1 or cluster[k + 1] != cluster[k]
            if first:
                g0 = k
            mode = LONE if (first and last) else (GROUP_FIRST if first else GROUP_OTHER)
            r = (pos[k, 0] - pos[g0, 0], pos[k, 1] - pos[g0, 1], pos[k, 2] - pos[g0, 2])
            _add_particle(pixels, qt, s0, s1, mat[k], amp[k, 0], amp[k, 1], mode, r, species_table,
                          species[k], inten, (acc_re, acc_im), (tx, ty, tz, first_pt, ok, spline_w, f_re, f_im))
            if last and not first:
                for j in range(m_pix):
                    inten[j] += acc_re[j] * acc_re[j] + acc_im[j] * acc_im[j]
                    acc_re[j] = 0.0
                    acc_im[j] = 0.0
        # expected photons (templates, then the particles) and the first uniform of every pixel in
        # branch-free loops that LLVM vectorises; then the draws, in pixel order
        n_comp = templates.shape[0]
        # (slices indexed from 0, as in _spline_coords_loop)
        if n_comp == 1:  # the usual case (background only): one pass, the same sum 0 + w T
            w = weights[t, 0]
            tmpl = templates[0, i0:i1]
            for j in range(i1 - i0):
                lam_b[j] = 0.0 + w * tmpl[j]
        else:
            for j in range(i1 - i0):
                lam_b[j] = 0.0
            for c in range(n_comp):
                w = weights[t, c]
                tmpl = templates[c, i0:i1]
                for j in range(i1 - i0):
                    lam_b[j] += w * tmpl[j]
        fac = factor[s0:s1]
        if sub == 1:
            for j in range(i1 - i0):
                lam_b[j] = fac[j] * inten[j] + lam_b[j]
        else:  # the pixel's photons: the sum over its sub-pixels of r_e² P dΩ |F|²
            fac2 = fac.reshape((i1 - i0, sub))
            inten2 = inten.reshape((i1 - i0, sub))
            for p in range(i1 - i0):
                acc = 0.0
                for j in range(sub):
                    acc += fac2[p, j] * inten2[p, j]
                lam_b[p] = acc + lam_b[p]
        if noise:
            for i in range(i0, i1):
                u_b[i - i0] = first_uniform(key, i)
        # the block sums stay in this branchy scalar loop: in a branch-free one, fastmath would let
        # LLVM vectorise (reorder) the expected-photon sum and change the truth's last bits
        s_ph = 0
        s_ex = 0.0
        s_sat = 0
        for i in range(i0, i1):
            if not valid_pixels[i]:
                out[t, i] = 0
                continue
            lam = lam_b[i - i0]
            s_ex += lam
            if noise:
                c = poisson_draw_given_first(lam, u_b[i - i0], key, i)
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

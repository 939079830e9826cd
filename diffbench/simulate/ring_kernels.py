"""Numba kernel for radially symmetric frames plus spots (rings, halos, crystal spots, direct beam).

One frame = a radial table of expected counts per pixel T(r) (r in pixels from that frame's beam
centre, linear interpolation), times a per-pixel factor (polarisation for X-rays, 1 for electrons),
plus Gaussian spots, each normalised over its window so it adds exactly its expected counts, then
Poisson noise from the counter-based sampler of :mod:`diffbench.simulate.spi.kernels` (so a frame depends
only on its key) and the detector's saturation. Frames run in parallel (prange).

Numba's on-disk cache of :func:`render_radial` is keyed on this file alone, yet holds the compiled
sampler of :mod:`diffbench.simulate.noise_kernels`: this file records that module's digest
(:data:`INLINED_SOURCES_SHA256`, checked by a test), so that editing the sampler edits this file too
and numba recompiles.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from diffbench.simulate.noise_kernels import poisson_draw

#: The diffbench modules whose numba functions :func:`render_radial` compiles in, and their SHA-256
#: (see :data:`diffbench.simulate.spi.kernels.INLINED_SOURCES_SHA256`).
INLINED_SOURCES = ("simulate/noise_kernels.py",)
INLINED_SOURCES_SHA256 = "6effc3e399bcc7e0d100772363589da1a7a7f553803fcfe92fddae486a96745b"


@nb.njit(parallel=True, cache=True)
def render_radial(tables, r0_px, dr_px, centres, pixel_factor, valid, spot_start, spots, keys, saturation,
                  noise, out, expected_total, background, background_scale):
    """Render frames into ``out`` (n, ny, nx).

    tables : (n, nr) expected counts per pixel at r = r0 + i·dr (pixels); beyond the table: 0.
    centres : (n, 2) beam centre (x, y) in pixels for each frame.
    pixel_factor : (ny, nx) multiplies the radial part; valid : (ny, nx) bool.
    spot_start : (n + 1,) offsets into ``spots`` rows (x_px, y_px, sigma_px, expected counts).
    keys : (n,) uint64 noise keys; saturation : clip level (≤ 0 for none); noise : Poisson or not.
    expected_total : (n,) filled with the expected counts summed over valid pixels.
    background : (ny, nx) expected counts every frame carries, times ``background_scale`` (n,)
        (its pulse energy over the nominal); an empty (0, 0) array for none.
    """
    n, ny, nx = out.shape
    nr = tables.shape[1]
    for f in nb.prange(n):
        lam = np.empty((ny, nx))
        cx = centres[f, 0]
        cy = centres[f, 1]
        for iy in range(ny):
            dy = iy - cy
            for ix in range(nx):
                dx = ix - cx
                t = (math.sqrt(dx * dx + dy * dy) - r0_px) / dr_px
                v = 0.0
                if t >= 0.0:
                    i = int(t)
                    if i < nr - 1:
                        w = t - i
                        v = tables[f, i] * (1.0 - w) + tables[f, i + 1] * w
                lam[iy, ix] = v * pixel_factor[iy, ix]
        if background.size:
            b = background_scale[f]
            for iy in range(ny):
                for ix in range(nx):
                    lam[iy, ix] += b * background[iy, ix]
        for s in range(spot_start[f], spot_start[f + 1]):
            sx = spots[s, 0]
            sy = spots[s, 1]
            sig = spots[s, 2]
            amp = spots[s, 3]
            half = int(4.0 * sig) + 1
            x0 = max(int(math.floor(sx)) - half, 0)
            x1 = min(int(math.floor(sx)) + half + 1, nx)
            y0 = max(int(math.floor(sy)) - half, 0)
            y1 = min(int(math.floor(sy)) + half + 1, ny)
            if x0 >= x1 or y0 >= y1:
                continue
            norm = 0.0
            # normalise over the full (unclipped) window so a spot at the edge loses what falls off
            for iy in range(int(math.floor(sy)) - half, int(math.floor(sy)) + half + 1):
                for ix in range(int(math.floor(sx)) - half, int(math.floor(sx)) + half + 1):
                    norm += math.exp(-0.5 * ((ix - sx) ** 2 + (iy - sy) ** 2) / (sig * sig))
            for iy in range(y0, y1):
                for ix in range(x0, x1):
                    lam[iy, ix] += amp * math.exp(-0.5 * ((ix - sx) ** 2 + (iy - sy) ** 2) / (sig * sig)) / norm
        total = 0.0
        key = keys[f]
        for iy in range(ny):
            for ix in range(nx):
                if not valid[iy, ix]:
                    out[f, iy, ix] = 0
                    continue
                v = lam[iy, ix]
                total += v
                if noise:
                    c = poisson_draw(v, key, iy * nx + ix)
                else:
                    c = v
                if saturation > 0 and c > saturation:
                    c = saturation
                out[f, iy, ix] = c
        expected_total[f] = total

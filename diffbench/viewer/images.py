"""Small log-scaled PNG images of diffraction frames and real-space projections, for web pages.

Every image is drawn **x right, y up**: the PNG's top row is the detector's (or the projection's)
most positive lab y, as in the Bokeh server view. The lab frame is right-handed with z along the
beam, so the viewer sees the beam coming out of the page (from behind the detector). Frame row 0
is the most negative y (:meth:`~diffbench.geometry.detector.Detector.pixel_positions_m`), so
frames are flipped on their way to PNG; the real-space projection likewise.

Frames are block-summed to at most ``size`` pixels a side (photon counts add, so the thumbnail is
the pattern a coarser detector would record), masked pixels are ignored, and the counts are shown
as log10(1 + c) quantised to 64 levels through a 256-entry palette. A palette PNG compresses like
a grey one: ≈ 1–3 kB for a 64×64 Poisson pattern.
"""

from __future__ import annotations

import base64
import io

import numpy as np

LEVELS = 64
RING = LEVELS  # palette entry of the resolution rings and scale bars (drawn over the data)
RING_RGB = (0, 230, 230)


def _palette(name: str) -> list[int]:
    from bokeh import palettes

    hexes = {"magma": palettes.Magma256, "viridis": palettes.Viridis256, "grey": palettes.Greys256[::-1]}[name]
    rgb = []
    for h in hexes:
        rgb += [int(h[1:3], 16), int(h[3:5], 16), int(h[5:7], 16)]
    return rgb


def block_sum(frame: np.ndarray, size: int, valid: np.ndarray | None = None) -> np.ndarray:
    """Sum ``frame`` over square blocks so that its longer side is at most ``size`` (edges that do
    not fill a block are dropped); masked pixels count as 0."""
    f = np.asarray(frame, dtype=np.float64)
    if valid is not None:
        f = np.where(valid, f, 0.0)
    b = max(1, -(-max(f.shape) // size))
    ny, nx = (f.shape[0] // b) * b, (f.shape[1] // b) * b
    return f[:ny, :nx].reshape(ny // b, b, nx // b, b).sum(axis=(1, 3))


def log_levels(img: np.ndarray, vmax: float | None = None) -> np.ndarray:
    """uint8 levels 0..LEVELS-1 of log10(1 + img), scaled to its maximum (or ``vmax``)."""
    v = np.log10(1.0 + np.clip(img, 0, None))
    top = np.log10(1.0 + vmax) if vmax is not None else v.max()
    if top <= 0:
        return np.zeros(v.shape, dtype=np.uint8)
    return np.clip(np.rint(v / top * (LEVELS - 1)), 0, LEVELS - 1).astype(np.uint8)


def png_bytes(levels: np.ndarray, palette: str = "magma") -> bytes:
    """A palette PNG of an array of levels 0..LEVELS-1, or :data:`RING` for overlays (array row 0
    at the top of the PNG)."""
    from PIL import Image

    im = Image.fromarray(levels, mode="P")
    pal = _palette(palette)
    # level i → palette entry i·255/(LEVELS-1); then the overlay colour
    idx = np.rint(np.arange(LEVELS) * 255 / (LEVELS - 1)).astype(int)
    im.putpalette([pal[3 * i + c] for i in idx for c in range(3)] + list(RING_RGB))
    buf = io.BytesIO()
    im.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def frame_thumbnail(frame, valid=None, size: int = 64, palette: str = "magma") -> str:
    """A data-URI PNG of a frame, block-summed to ≤ ``size`` pixels a side, log-scaled, y up."""
    return data_uri(png_bytes(log_levels(block_sum(frame, size, valid))[::-1], palette))


def ring_mask(q_block: np.ndarray, rings_q: list[float]) -> np.ndarray:
    """One-pixel circles on a (block-averaged) |q| map: for each r of ``rings_q``, the pixels with
    |q| < r that have a 4-neighbour with |q| ≥ r."""
    on = np.zeros(q_block.shape, dtype=bool)
    for r in rings_q:
        inside = q_block < r
        out = ~inside
        edge = np.zeros_like(inside)
        edge[:-1] |= out[1:]
        edge[1:] |= out[:-1]
        edge[:, :-1] |= out[:, 1:]
        edge[:, 1:] |= out[:, :-1]
        on |= inside & edge
    return on


def frame_image(frame, valid, size: int, q_block: np.ndarray | None = None, rings_q=()) -> tuple[str, float]:
    """(data-URI PNG, the brightest block's photons) of a frame: block-summed to ≤ ``size`` pixels
    a side, log-scaled, y up, with resolution rings at |q| = ``rings_q`` (1/m) when the block-averaged
    |q| map ``q_block`` is given."""
    img = block_sum(frame, size, valid)
    lv = log_levels(img)
    if q_block is not None and len(rings_q):
        lv[ring_mask(q_block, rings_q)] = RING
    return data_uri(png_bytes(lv[::-1])), float(img.max())


def nice_resolution_rings(q_min: float, q_max: float, count: int = 3) -> list[float]:
    """Up to ``count`` round d-spacings (m) whose rings |q| = 2π/d fall inside (q_min, q_max), 1/m:
    1, 2 or 5 × 10^k, spread over the range."""
    ds = [m * 10.0**e for e in range(-11, -5) for m in (1, 2, 5)]
    inside = sorted((d for d in ds if q_min < 2 * np.pi / d < q_max), reverse=True)
    if len(inside) <= count:
        return inside
    pick = np.linspace(0, len(inside) - 1, count + 1)[1:]  # skip the lowest q: near the beamstop
    return [inside[int(round(i))] for i in pick]


def nice_length(limit_m: float) -> float:
    """The largest 1, 2 or 5 × 10^k metres not above ``limit_m`` (for a scale bar)."""
    e = np.floor(np.log10(limit_m))
    for m in (5, 2, 1):
        if m * 10**e <= limit_m:
            return float(m * 10**e)
    return float(10**e)

"""Small log-scaled PNG images of diffraction frames and real-space projections, for web pages.

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
    """A palette PNG of an array of levels 0..LEVELS-1 (row 0 at the top)."""
    from PIL import Image

    im = Image.fromarray(levels, mode="P")
    pal = _palette(palette)
    # level i → palette entry i·255/(LEVELS-1)
    idx = np.rint(np.arange(LEVELS) * 255 / (LEVELS - 1)).astype(int)
    im.putpalette([pal[3 * i + c] for i in idx for c in range(3)])
    buf = io.BytesIO()
    im.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def frame_thumbnail(frame, valid=None, size: int = 64, palette: str = "magma") -> str:
    """A data-URI PNG of a frame, block-summed to ≤ ``size`` pixels a side, log-scaled."""
    return data_uri(png_bytes(log_levels(block_sum(frame, size, valid)), palette))

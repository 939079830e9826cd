"""On-the-fly augmentation of diffraction frames in torch, as paper 000 lists it (batchgenerators,
nnU-Net's transforms): rotation, scaling, elastic deformation, gamma, Gaussian noise, Gaussian blur,
mirroring, random shift and cutout. The paper gives no parameters; these are nnU-Net's defaults
(methods.md §3): rotation ±15° p 0.2, scale 0.85–1.25 p 0.2, elastic α 0–900 σ 9–13 px (at the
192 × 96 crop; scaled with the input) p 0.2, gamma 0.7–1.5 p 0.3, noise variance 0–0.1 p 0.1,
blur σ 0.5–1 px p 0.2, mirroring of each axis p 0.5, shift ±5 % p 0.2, cutout of up to 1/8 of each
side p 0.2.

Every random number comes from the ``torch.Generator`` passed in: a fixed seed gives the same
batch, on CPU, every time. Inputs are normalised frames (N, 1, H, W); geometric transforms use
bilinear resampling (``grid_sample``) with zeros outside.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    p_rotate: float = 0.2
    max_rotation_deg: float = 15.0
    p_scale: float = 0.2
    scale: tuple[float, float] = (0.85, 1.25)
    p_elastic: float = 0.2
    elastic_alpha: tuple[float, float] = (0.0, 900.0)
    elastic_sigma: tuple[float, float] = (9.0, 13.0)
    reference_width_px: int = 192  # the alpha and sigma above are for this input width
    p_gamma: float = 0.3
    gamma: tuple[float, float] = (0.7, 1.5)
    p_noise: float = 0.1
    noise_variance: tuple[float, float] = (0.0, 0.1)
    p_blur: float = 0.2
    blur_sigma: tuple[float, float] = (0.5, 1.0)
    p_mirror: float = 0.5
    p_shift: float = 0.2
    max_shift: float = 0.05
    p_cutout: float = 0.2
    max_cutout: float = 0.125


def _uniform(g, n, lo, hi):
    return lo + (hi - lo) * torch.rand(n, generator=g)


def _gaussian_kernel(sigma: float, radius: int) -> torch.Tensor:
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


def _smooth(field: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian smoothing of (N, C, H, W) with σ in pixels."""
    r = max(1, int(3 * sigma))
    k = _gaussian_kernel(sigma, r)
    c = field.shape[1]
    kx = k.view(1, 1, 1, -1).repeat(c, 1, 1, 1)
    ky = k.view(1, 1, -1, 1).repeat(c, 1, 1, 1)
    field = F.conv2d(F.pad(field, (r, r, 0, 0), mode="replicate"), kx, groups=c)
    return F.conv2d(F.pad(field, (0, 0, r, r), mode="replicate"), ky, groups=c)


def augment(x: torch.Tensor, g: torch.Generator, cfg: AugmentConfig = AugmentConfig()) -> torch.Tensor:
    """An augmented copy of the batch ``x`` (N, 1, H, W)."""
    n, _, h, w = x.shape
    size_scale = w / cfg.reference_width_px
    # one affine map per sample: rotation, scaling, shift, mirroring (in normalised coordinates)
    angle = torch.where(torch.rand(n, generator=g) < cfg.p_rotate,
                        _uniform(g, n, -1, 1) * math.radians(cfg.max_rotation_deg), torch.zeros(n))
    scale = torch.where(torch.rand(n, generator=g) < cfg.p_scale, _uniform(g, n, *cfg.scale), torch.ones(n))
    flip_x = torch.where(torch.rand(n, generator=g) < cfg.p_mirror, -1.0, 1.0)
    flip_y = torch.where(torch.rand(n, generator=g) < cfg.p_mirror, -1.0, 1.0)
    shift = torch.where((torch.rand(n, generator=g) < cfg.p_shift)[:, None],
                        _uniform(g, 2 * n, -1, 1).view(n, 2) * 2 * cfg.max_shift, torch.zeros(n, 2))
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    aspect = h / w  # rotate in pixel space, not in the stretched normalised square
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = cos * flip_x, -sin * aspect * flip_y
    theta[:, 1, 0], theta[:, 1, 1] = sin / aspect * flip_x, cos * flip_y
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # elastic deformation: a smooth random displacement field on some samples
    el = torch.rand(n, generator=g) < cfg.p_elastic
    if el.any():
        k = int(el.sum())
        sigma = float(_uniform(g, 1, *cfg.elastic_sigma)) * size_scale
        alpha = _uniform(g, k, *cfg.elastic_alpha) * size_scale**2
        disp = _smooth(torch.rand((k, 2, h, w), generator=g) * 2 - 1, max(sigma, 0.5))
        disp = disp * alpha.view(k, 1, 1, 1) / max(sigma, 0.5) ** 2  # pixels, as α/σ² scales nnU-Net's field
        disp = disp.permute(0, 2, 3, 1) * torch.tensor([2.0 / w, 2.0 / h])  # to normalised units
        grid[el] = grid[el] + disp
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # gamma on each sample rescaled to [0, 1], then back
    gm = torch.rand(n, generator=g) < cfg.p_gamma
    if gm.any():
        sub = out[gm]
        lo = sub.amin(dim=(1, 2, 3), keepdim=True)
        span = (sub.amax(dim=(1, 2, 3), keepdim=True) - lo).clamp_min(1e-8)
        gam = _uniform(g, int(gm.sum()), *cfg.gamma).view(-1, 1, 1, 1)
        out[gm] = ((sub - lo) / span).clamp(0, 1) ** gam * span + lo
    nz = torch.rand(n, generator=g) < cfg.p_noise
    if nz.any():
        var = _uniform(g, int(nz.sum()), *cfg.noise_variance).view(-1, 1, 1, 1)
        out[nz] = out[nz] + torch.randn(out[nz].shape, generator=g) * var.sqrt()
    bl = torch.rand(n, generator=g) < cfg.p_blur
    if bl.any():
        out[bl] = _smooth(out[bl], float(_uniform(g, 1, *cfg.blur_sigma)))
    co = torch.rand(n, generator=g) < cfg.p_cutout
    for i in torch.nonzero(co).flatten().tolist():
        ch = max(1, int(float(torch.rand(1, generator=g)) * cfg.max_cutout * h))
        cw = max(1, int(float(torch.rand(1, generator=g)) * cfg.max_cutout * w))
        y0 = int(torch.randint(0, h - ch + 1, (1,), generator=g))
        x0 = int(torch.randint(0, w - cw + 1, (1,), generator=g))
        out[i, :, y0:y0 + ch, x0:x0 + cw] = 0.0
    return out

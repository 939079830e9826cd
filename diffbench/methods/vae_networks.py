"""The torch networks of the landscape VAE (:mod:`diffbench.methods.landscape_vae`): a convolutional
encoder of class averages and a coordinate decoder of an intensity volume with the cube's symmetry.

The decoder reads a scattering vector q (particle frame) only through the basic invariants of the
cube's full point group O_h = O × {1, −1} (the Coxeter group B₃): p₂ = Σ q_i², p₄ = Σ q_i⁴ and
p₆ = Σ q_i⁶ (Chevalley: every O_h-invariant polynomial is a polynomial in these). A function of
(√p₂, p₄/p₂², p₆/p₂³) is therefore exactly invariant under the 24 rotations of the cube and under
q → −q (Friedel), which paper 001's decoder imposes by averaging its volume over the group; here
no averaging is needed, and the decoder is evaluated only at the q-vectors of the pixels it is
compared with (a coordinate network, as cryoDRGN's, instead of a 161³ voxel volume: on 2 CPU
cores a conv-transpose-3-D decoder to 33³ takes 13 s per step, methods.md §4).
"""

from __future__ import annotations

import torch
from torch import nn


def cube_invariants(q: torch.Tensor, q_max: float) -> torch.Tensor:
    """(..., 3) q → (..., 3) invariants (|q|/q_max, p₄/p₂², p₆/p₂³) of O_h; the two shape ratios are
    1/3 and 1/9 along a body diagonal, 1 along a cube axis (q = 0 gives the axis values)."""
    q = q / q_max  # q in 1/m: q⁶ would overflow float32
    p2 = (q * q).sum(-1)
    safe = torch.clamp(p2, min=1e-30)
    q2 = q * q
    p4 = (q2 * q2).sum(-1) / safe**2
    p6 = (q2 * q2 * q2).sum(-1) / safe**3
    zero = p2 <= 1e-30
    p4 = torch.where(zero, torch.ones_like(p4), p4)
    p6 = torch.where(zero, torch.ones_like(p6), p6)
    return torch.stack([torch.sqrt(p2 + 1e-30), p4, p6], dim=-1)


class Encoder(nn.Module):
    """(B, 1, G, G) normalised average + (B, 5) orientation quaternion and gain → (μ, log σ²) of z."""

    def __init__(self, z_dim: int, width: int = 16):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, width, 3, stride=2, padding=1), nn.LeakyReLU(0.1),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.LeakyReLU(0.1),
            nn.Conv2d(2 * width, 4 * width, 3, stride=2, padding=1), nn.LeakyReLU(0.1),
            nn.AdaptiveAvgPool2d(3), nn.Flatten())
        self.head = nn.Sequential(nn.Linear(4 * width * 9 + 5, 128), nn.LeakyReLU(0.1), nn.Linear(128, 2 * z_dim))
        self.z_dim = z_dim

    def forward(self, image: torch.Tensor, pose: torch.Tensor):
        h = self.head(torch.cat([self.conv(image), pose], dim=1))
        return h[:, :self.z_dim], h[:, self.z_dim:]


class Decoder(nn.Module):
    """(B, P, 3) particle-frame q and (B, z_dim) z → (B, P) log intensity relative to the data's
    radial average: Gaussian Fourier features (σ ``sigma``) of the O_h invariants, z appended, an MLP
    of ``depth`` × ``width`` (cryoDRGN's decoder, 3 × 1024, scaled down)."""

    def __init__(self, z_dim: int, q_max: float, n_features: int = 16, sigma: float = 0.5, width: int = 64,
                 depth: int = 3, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("freqs", torch.randn(3, n_features, generator=g) * sigma * 2 * torch.pi)
        self.q_max = q_max
        layers, d = [], 2 * n_features + 3 + z_dim
        for _ in range(depth):
            layers += [nn.Linear(d, width), nn.LeakyReLU(0.1)]
            d = width
        self.mlp = nn.Sequential(*layers, nn.Linear(d, 1))

    def forward(self, q: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        inv = cube_invariants(q, self.q_max)
        proj = inv @ self.freqs
        feats = torch.cat([inv, torch.sin(proj), torch.cos(proj), z[:, None, :].expand(-1, q.shape[1], -1)], dim=-1)
        return self.mlp(feats).squeeze(-1)

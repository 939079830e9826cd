"""The networks of paper 000 (Assalauova et al. 2022, Methods and Fig. S2), in torch.

``PreActResNet`` — "MaxF1"/"moreSH": a stem convolution, then 8 pre-activation residual blocks
(He et al. 2016: BatchNorm → leaky ReLU → conv, twice, the shortcut taken after the first
activation), filters doubling from ``base`` at each strided downsampling up to 16 × base, global
average pooling, a linear layer to 2 logits. On the paper's 192 × 96 crop with base 16 the stages are
16@96×192, 32@48×96, 64@24×48, 128@12×24, 256@6×12, then a (1, 2)-strided block to the paper's
6 × 6 map and two more 256 blocks (methods.md §3's reading of "8 pre-activation blocks, 16 → 256,
final map 6 × 6").

``VGGNet`` — the VGG variant (Fig. S2): plain 3 × 3 convolutions in 4 max-pool stages, 16 → 256
filters, BatchNorm before every convolution but the first, ReLU, global average pooling, linear.
"""

from __future__ import annotations

import torch
from torch import nn


class PreActBlock(nn.Module):
    """One pre-activation residual block; ``stride`` (int or (sy, sx)) downsamples."""

    def __init__(self, c_in: int, c_out: int, stride=1, slope: float = 0.01):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.act = nn.LeakyReLU(slope)
        self.shortcut = None
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False)

    def forward(self, x):
        a = self.act(self.bn1(x))
        skip = self.shortcut(a) if self.shortcut is not None else x
        out = self.conv1(a)
        out = self.conv2(self.act(self.bn2(out)))
        return out + skip


class PreActResNet(nn.Module):
    """Paper 000's classifier (see the module docstring). Input (N, 1, H, W) with W = 2 H."""

    def __init__(self, base: int = 16, n_classes: int = 2, slope: float = 0.01):
        super().__init__()
        b = base
        self.stem = nn.Conv2d(1, b, 3, padding=1, bias=False)
        plan = [(b, b, 1), (b, 2 * b, 2), (2 * b, 4 * b, 2), (4 * b, 8 * b, 2), (8 * b, 16 * b, 2),
                (16 * b, 16 * b, (1, 2)), (16 * b, 16 * b, 1), (16 * b, 16 * b, 1)]
        self.blocks = nn.Sequential(*[PreActBlock(i, o, s, slope) for i, o, s in plan])
        self.head_bn = nn.BatchNorm2d(16 * b)
        self.act = nn.LeakyReLU(slope)
        self.fc = nn.Linear(16 * b, n_classes)

    def features(self, x):
        x = self.act(self.head_bn(self.blocks(self.stem(x))))
        return x.mean(dim=(2, 3))  # global average pooling

    def forward(self, x):
        return self.fc(self.features(x))


class VGGNet(nn.Module):
    """Paper 000's VGG variant (Fig. S2): 4 max-pool stages, 16 → 256 filters, GAP, linear."""

    def __init__(self, base: int = 16, n_classes: int = 2):
        super().__init__()
        widths = [base, 2 * base, 4 * base, 8 * base, 16 * base]
        layers, c_in = [], 1
        for k, w in enumerate(widths):
            if k > 0:
                layers += [nn.MaxPool2d(2), nn.BatchNorm2d(c_in)]
            layers += [nn.Conv2d(c_in, w, 3, padding=1), nn.ReLU(inplace=True)]
            if k > 0:
                layers += [nn.BatchNorm2d(w), nn.Conv2d(w, w, 3, padding=1), nn.ReLU(inplace=True)]
            c_in = w
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(c_in, n_classes)

    def features(self, x):
        return self.body(x).mean(dim=(2, 3))

    def forward(self, x):
        return self.fc(self.features(x))


ARCHITECTURES = {"preact": PreActResNet, "vgg": VGGNet}


def build(arch: str, base: int, n_classes: int = 2) -> nn.Module:
    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {', '.join(ARCHITECTURES)}, got {arch!r}")
    return ARCHITECTURES[arch](base=base, n_classes=n_classes)


def n_parameters(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def output_shape(model: nn.Module, shape) -> tuple:
    """The final feature map's spatial shape for an input of (H, W) (for the topology test)."""
    x = torch.zeros((1, 1) + tuple(shape))
    body = model.blocks(model.stem(x)) if isinstance(model, PreActResNet) else model.body(x)
    return tuple(body.shape[2:])

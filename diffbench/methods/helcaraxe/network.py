"""The Helcaraxe network (paper 003; topology read from the published model's ``keras_metadata.pb``,
methods.md §6), in torch.

``exact``: 80×80×1 → Conv 40@13×13 (ELU) → MaxPool 2 → [Conv 30@11×11 (ELU) → BN → Conv 30@11×11
(ELU) → BN] → MaxPool 2 → [2 × Conv 20@9×9] → MaxPool 2 → [2 × Conv 20@7×7] → MaxPool 2 (valid) →
[2 × Conv 10@5×5] → MaxPool 2 (valid) → Flatten (40) → Dropout 0.5 → Dense 40 ELU → Dropout 0.5 →
Dense 20 ELU → Dense 1 (sigmoid in the loss). "Same" padding, He-normal convolution weights,
BatchNorm after the activation with Keras' momentum 0.99 (torch 0.01) and ε 10⁻³. 391,561
trainable parameters, paper 003's count (391,881 with BatchNorm's running statistics, Keras' total).

``lite`` (the quick configuration; not the paper's network): the same layout with kernels
7/5/5/3/3 and half the channels (20/15/10/10/5), about 16× fewer multiply-adds.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Topology(NamedTuple):
    channels: tuple[int, ...]  # first conv, then the four double-conv blocks
    kernels: tuple[int, ...]


TOPOLOGIES = {"exact": Topology((40, 30, 20, 20, 10), (13, 11, 9, 7, 5)),
              "lite": Topology((20, 15, 10, 10, 5), (7, 5, 5, 3, 3))}


def build(topology: str = "exact", positive_fraction: float | None = None):
    """The network (logits out); the output bias initialised to logit(``positive_fraction``), the
    positive fraction of the training plots (paper 003: −2.3477 = logit(598/6849))."""
    import torch
    from torch import nn

    if topology not in TOPOLOGIES:
        raise ValueError(f"topology must be one of {', '.join(TOPOLOGIES)}, got {topology!r}")
    ch, ks = TOPOLOGIES[topology]

    def conv(a, b, k):
        c = nn.Conv2d(a, b, k, padding=k // 2)
        nn.init.kaiming_normal_(c.weight, nonlinearity="relu")  # Keras' he_normal
        nn.init.zeros_(c.bias)
        return [c, nn.ELU()]

    def bn(c):
        return nn.BatchNorm2d(c, momentum=0.01, eps=1e-3)

    layers = conv(1, ch[0], ks[0]) + [nn.MaxPool2d(2)]
    for i in range(1, 5):
        layers += conv(ch[i - 1], ch[i], ks[i]) + [bn(ch[i])] + conv(ch[i], ch[i], ks[i]) + [bn(ch[i])]
        layers.append(nn.MaxPool2d(2))  # 40 → 20 → 10 ("same" = "valid" on even sizes), 10 → 5, 5 → 2 (valid)
    head = nn.Linear(20, 1)
    net = nn.Sequential(*layers, nn.Flatten(), nn.Dropout(0.5), nn.Linear(ch[4] * 4, 40), nn.ELU(),
                        nn.Dropout(0.5), nn.Linear(40, 20), nn.ELU(), head)
    if positive_fraction is not None:
        p = min(max(float(positive_fraction), 1e-4), 1 - 1e-4)
        with torch.no_grad():
            head.bias.fill_(math.log(p / (1 - p)))
    return net


def n_trainable(net) -> int:
    """Trainable parameters (paper 003: 391,561 for the exact network)."""
    return sum(p.numel() for p in net.parameters() if p.requires_grad)

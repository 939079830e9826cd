"""The electron-diffraction CNN of paper 002 (Matinyan et al. 2023; methods.md §5), in torch.

What paper 002 describes and this class does:

- input: the central disk of each frame, to ≈ 2.7 Å (150 px of the 512² Medipix3 at 90 cm, 200 kV):
  the 3.7 Å water ring and the carbon rings are inside, most crystalline-ice Bragg spots outside —
  the reason the paper's CNN misses crystalline ice. The crop is centred on each frame's refined
  direct beam (:func:`diffbench.methods.ed_ria.refine_beam_centres`: the beam drifts during a scan);
  pixels outside the disk are zero; log(1 + counts), standardised by the training frames' mean and
  standard deviation;
- six convolutional layers with max-pooling and dropout (Fig. 3c; the widths are not in the text:
  here 3×3 convolutions in pairs of 16/32/64 channels (``paper``) or 8/16/32 (``quick``), each pair
  followed by 2×2 max-pooling and dropout 0.25, then global average pooling and a linear softmax
  layer), Adam, cross-entropy;
- early stopping on the validation loss: trained on whole training scans, validated on held-out
  training scans (``groups`` from the benchmark's group split; without groups a random 10 % of the
  frames), the weights of the best validation epoch kept (patience ``patience`` epochs).

Configurations: ``paper`` — 16/32/64 channels, ≤ 100 epochs, patience 10; ``quick`` — the disk
averaged over 2×2 pixel blocks (39×39 on the quick task's frames), 8/16/32 channels, batch 128,
≤ 12 epochs, patience 3: about a minute per fit on 2 cores (the first quick configuration, 77×77,
≤ 30 epochs, patience 5, took 232 s per fit on one thread in the quick tier). The disk's radius is paper 002's 150 px
scaled with the frame (:func:`disk_radius_px`: 38 px on the 4×4-binned 128² frames of the quick ED
task, 152 native pixels, the same 2.7 Å); ``radius_px`` overrides it (another camera length). Paper 002: CNN preprocessing 3.24 s and prediction 1.06 s per 1,600 frames; weighted
accuracy 0.79 / 0.81 (data set 1 / 2).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from diffbench.methods.base import Method, MethodTags, channels_last, torch_unavailable
from diffbench.methods.frames import as_frames


class EDCNNConfig(NamedTuple):
    pool: int  # the disk averaged over pool × pool pixel blocks before the network
    channels: tuple[int, int, int]
    max_epochs: int
    patience: int
    batch_size: int
    learning_rate: float


CONFIGS = {
    "paper": EDCNNConfig(1, (16, 32, 64), 100, 10, 64, 1e-3),
    "quick": EDCNNConfig(2, (8, 16, 32), 12, 3, 128, 1e-3),
}
#: paper 002's disk: 150 px of the 512-px Medipix3 quad at 90 cm (≈ 2.7 Å at 200 kV)
PAPER_RADIUS_PX, PAPER_FRAME_PX = 150, 512


def disk_radius_px(frame_shape) -> int:
    """Paper 002's 150 px scaled to a frame of another binning (38 px on the 4×4-binned 128² frames)."""
    return int(round(PAPER_RADIUS_PX * min(frame_shape[-2:]) / PAPER_FRAME_PX))


def central_disks(X, radius_px: int, search_px: int | None = None) -> np.ndarray:
    """(N, 1, 2r + 1, 2r + 1) float32: log(1 + counts) in the disk of ``radius_px`` about each frame's
    refined direct beam (the pixel nearest it at the centre; zeros outside the disk, off the detector
    and on masked pixels)."""
    from diffbench.methods.ed_ria import refine_beam_centres

    f = as_frames(X)
    ny, nx = f.frame_shape[-2:]
    r = int(radius_px)
    side = 2 * r + 1
    search = search_px or max(4, max(nx, ny) // 8)
    yy, xx = np.mgrid[0:side, 0:side] - r
    disk = (xx ** 2 + yy ** 2) <= r ** 2
    out = np.zeros((len(f), 1, side, side), np.float32)
    for s, block in f.batches(256):
        block = block.reshape(len(block), ny, nx).astype(np.float32)
        if f.valid is not None:
            block = block * f.valid
        centres = refine_beam_centres(block, f.center(), search, f.valid)
        padded = np.pad(block, ((0, 0), (r, r), (r, r)))
        for i, (cx, cy) in enumerate(centres):
            x0, y0 = int(round(cx)), int(round(cy))  # rows y0 - r .. y0 + r of the frame (padded by r)
            out[s + i, 0] = np.log1p(np.clip(padded[i, y0:y0 + side, x0:x0 + side], 0, None)) * disk
    return out


def pool_blocks(x: np.ndarray, k: int) -> np.ndarray:
    """Means over k × k pixel blocks of (N, 1, h, w) images (the last rows/columns that do not fill a
    block dropped)."""
    if k == 1:
        return x
    n, c, h, w = x.shape
    h, w = h // k * k, w // k * k
    return x[:, :, :h, :w].reshape(n, c, h // k, k, w // k, k).mean(axis=(3, 5)).astype(np.float32)


class EDCNN(Method):
    """Paper 002's CNN on the central disk of ED frames (see the module docstring).

    config : "quick" or "paper". radius_px : the disk's radius on the frames given (None: paper 002's
    scaled to the frame, :func:`disk_radius_px`). max_epochs, patience : override the config's. device : torch device.
    random_state : seeds the validation split, initial weights and minibatches (deterministic on CPU).
    """

    def __init__(self, config: str = "quick", radius_px: int | None = None, max_epochs: int | None = None,
                 patience: int | None = None, device: str = "cpu", random_state: int = 0):
        self.config = config
        self.radius_px = radius_px
        self.max_epochs = max_epochs
        self.patience = patience
        self.device = device
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(requires_y=True, output="multiclass", neural=True)

    @staticmethod
    def unavailable() -> str | None:
        return torch_unavailable()

    def _cfg(self) -> EDCNNConfig:
        if self.config not in CONFIGS:
            raise ValueError(f"config must be one of {', '.join(CONFIGS)}, got {self.config!r}")
        c = CONFIGS[self.config]
        return c._replace(max_epochs=self.max_epochs or c.max_epochs, patience=self.patience or c.patience)

    def _net(self, n_classes: int, channels):
        from torch import nn

        layers, c_in = [], 1
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1), nn.ReLU(),
                       nn.MaxPool2d(2), nn.Dropout(0.25)]
            c_in = c
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, n_classes))

    def fit(self, X, y, groups=None):
        import copy

        import torch
        import torch.nn.functional as F

        cfg = self._cfg()
        y = np.asarray(y)
        self.radius_px_ = self.radius_px or disk_radius_px(as_frames(X).frame_shape)
        x = central_disks(X, self.radius_px_)
        if len(x) != len(y):
            raise ValueError(f"fit: {len(x)} frames but {len(y)} labels")
        self.classes_ = np.unique(y)
        t = np.searchsorted(self.classes_, y)
        rng = np.random.default_rng(self.random_state)
        if groups is not None and np.unique(groups).size >= 2:  # whole training scans held out
            g = np.unique(groups)
            held = rng.choice(g, max(1, int(round(0.1 * g.size))), replace=False)
            val = np.isin(groups, held)
        else:
            val = rng.random(len(y)) < 0.1
        x = pool_blocks(x, cfg.pool)
        self.mean_, self.std_ = float(x[~val].mean()), float(x[~val].std() or 1.0)
        xt = torch.from_numpy((x - self.mean_) / self.std_)
        tt = torch.from_numpy(t)
        tr_idx, va_idx = np.flatnonzero(~val), np.flatnonzero(val)
        torch.manual_seed(self.random_state)
        net = channels_last(self._net(len(self.classes_), cfg.channels)).to(self.device)
        opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
        gen = torch.Generator().manual_seed(self.random_state + 1)
        best, best_state, waited = np.inf, None, 0
        self.history_ = []
        for epoch in range(cfg.max_epochs):
            net.train()
            order = torch.from_numpy(tr_idx)[torch.randperm(len(tr_idx), generator=gen)]
            losses = []
            for s in range(0, len(order), cfg.batch_size):
                b = order[s:s + cfg.batch_size]
                loss = F.cross_entropy(net(xt[b].to(self.device)), tt[b].to(self.device))
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(float(loss.detach()))
            net.eval()
            with torch.no_grad():
                vl = float(F.cross_entropy(net(xt[va_idx].to(self.device)), tt[va_idx].to(self.device))) \
                    if len(va_idx) else float(np.mean(losses))
            self.history_.append({"epoch": epoch, "train_loss": float(np.mean(losses)), "val_loss": vl})
            if vl < best - 1e-6:
                best, best_state, waited = vl, copy.deepcopy(net.state_dict()), 0
            else:
                waited += 1
                if waited >= cfg.patience:
                    break
        net.load_state_dict(best_state)
        self.net_ = net.eval()
        self.best_epoch_ = int(np.argmin([h["val_loss"] for h in self.history_]))
        return self

    def predict_proba(self, X) -> np.ndarray:
        import torch

        x = torch.from_numpy((pool_blocks(central_disks(X, self.radius_px_), self._cfg().pool) - self.mean_) / self.std_)
        with torch.no_grad():
            out = [torch.softmax(self.net_(x[s:s + 256].to(self.device)), dim=1).cpu().numpy()
                   for s in range(0, len(x), 256)]
        return np.concatenate(out) if out else np.zeros((0, len(self.classes_)))

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

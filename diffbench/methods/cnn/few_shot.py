"""A few-shot hit classifier in the spirit of SpeckleNN (Wang et al., IUCrJ 2023): a small CNN maps
each frame to an embedding trained with a triplet loss, so that frames of one hit class lie close
together whatever the particle; a new experiment is then classified by distance to k labelled
examples per class (the class prototypes, means of their embeddings), with no retraining.

This is the question a beamline user faces at a new experiment: a network trained on other
particles, and a handful of labelled frames of this one. ``scripts/few_shot.py`` measures it on
species the embedding never saw.

Input frames are binned to ``size`` (longer side), scaled by their own photon count and
square-rooted (:func:`~diffbench.methods.shape_pca.sqrt_fractions`: brightness is a nuisance here too).
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.answers import Answers, digest
from diffbench.methods.base import Method, MethodTags, channels_last, torch_unavailable
from diffbench.methods.shape_pca import sqrt_fractions


def _inputs(X, size: int) -> np.ndarray:
    """(N, 1, h, w) float32: frames block-summed to ≤ ``size`` pixels on the longer side, divided by
    their total, square-rooted, scaled to unit mean square."""
    from diffbench.methods.frames import as_frames

    frames = as_frames(X)
    ny, nx = frames.frame_shape[-2:]
    b = max(1, -(-max(ny, nx) // size))
    h, w = ny // b, nx // b
    out = np.zeros((len(frames), 1, h, w), dtype=np.float32)
    for s, block in frames.batches(256):
        block = block.reshape(len(block), ny, nx).astype(np.float64)
        if frames.valid is not None:
            block = block * frames.valid
        binned = block[:, :h * b, :w * b].reshape(len(block), h, b, w, b).sum((2, 4))
        v = sqrt_fractions(binned.reshape(len(block), -1)).reshape(len(block), h, w)
        out[s:s + len(block), 0] = v * np.sqrt(h * w)
    return out


class FewShotEmbedding(Method):
    """Triplet-loss embedding + nearest-prototype classification (see the module docstring).

    embedding_dim : length of the embedding. size : input side (pixels, after binning).
    n_iter : training steps of ``batch_size`` triplets (anchor, positive of the same class, negative
    of another), margin ``margin``, Adam at ``learning_rate``. random_state : seeds everything.

    ``fit(X, y)`` learns the embedding from labelled frames and takes the class prototypes from them;
    :meth:`set_support` replaces the prototypes with k labelled frames of a new experiment;
    ``predict`` answers the class of the nearest prototype, ``transform`` the embeddings.
    Fitted: ``net_``, ``classes_``, ``prototypes_``, ``loss_curve_``.
    """

    def __init__(self, embedding_dim: int = 16, size: int = 64, n_iter: int = 300, batch_size: int = 32,
                 margin: float = 0.5, learning_rate: float = 1e-3, device: str = "cpu", random_state: int = 0):
        self.embedding_dim = embedding_dim
        self.size = size
        self.n_iter = n_iter
        self.batch_size = batch_size
        self.margin = margin
        self.learning_rate = learning_rate
        self.device = device
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(requires_y=True, output="multiclass", neural=True)

    @staticmethod
    def unavailable() -> str | None:
        return torch_unavailable()

    def _net(self):
        from torch import nn

        c = [1, 16, 32, 64]
        layers = []
        for a, b in zip(c[:-1], c[1:]):
            layers += [nn.Conv2d(a, b, 3, padding=1), nn.BatchNorm2d(b), nn.ReLU(), nn.MaxPool2d(2)]
        return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c[-1], self.embedding_dim))

    def fit(self, X, y):
        import torch
        import torch.nn.functional as F

        x = torch.from_numpy(_inputs(X, self.size))
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("fit: a triplet loss needs at least two classes")
        idx = {c: torch.from_numpy(np.flatnonzero(y == c)) for c in self.classes_}
        torch.manual_seed(self.random_state)
        g = torch.Generator().manual_seed(self.random_state + 1)
        self.net_ = channels_last(self._net()).to(self.device)
        opt = torch.optim.Adam(self.net_.parameters(), lr=self.learning_rate)
        self.loss_curve_, running = [], []
        self.net_.train()
        k = len(self.classes_)
        for it in range(self.n_iter):
            ca = torch.randint(k, (self.batch_size,), generator=g)
            cn = (ca + torch.randint(1, k, (self.batch_size,), generator=g)) % k  # another class
            pick = lambda cls: torch.stack([idx[self.classes_[int(c)]][torch.randint(len(idx[self.classes_[int(c)]]), (1,), generator=g)][0] for c in cls])  # noqa: E731
            a, p, n = pick(ca), pick(ca), pick(cn)
            e = F.normalize(self.net_(torch.cat([x[a], x[p], x[n]]).to(self.device)), dim=1)
            ea, ep, en = e.chunk(3)
            loss = F.triplet_margin_loss(ea, ep, en, margin=self.margin)
            opt.zero_grad()
            loss.backward()
            opt.step()
            running.append(float(loss.detach()))
            if (it + 1) % 10 == 0:
                self.loss_curve_.append(float(np.mean(running)))
                running = []
        self.net_.eval()
        self.embeddings_ = Answers()
        self.set_support(X, y)
        return self

    def transform(self, X) -> np.ndarray:
        import torch
        import torch.nn.functional as F

        x = _inputs(X, self.size)

        def embed():
            t = torch.from_numpy(x)
            with torch.no_grad():
                out = [F.normalize(self.net_(t[s:s + 256].to(self.device)), dim=1).cpu().numpy()
                       for s in range(0, len(t), 256)]
            return np.concatenate(out) if out else np.zeros((0, self.embedding_dim), np.float32)

        # predict and score_samples embed the same frames: CPU inference answers them once
        return self.embeddings_.get(digest(x) if self.device == "cpu" else "", embed)

    def set_support(self, X, y) -> "FewShotEmbedding":
        """Class prototypes from labelled frames ``X`` (k per class, of a new experiment)."""
        e = self.transform(X)
        y = np.asarray(y)  # labels keep their type: a boolean truth gets boolean answers
        self.classes_ = np.unique(y)
        self.prototypes_ = np.stack([e[y == c].mean(axis=0) for c in self.classes_])
        return self

    def _distances(self, X) -> np.ndarray:
        e = self.transform(X)
        return ((e[:, None, :] - self.prototypes_[None]) ** 2).sum(-1)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmin(self._distances(X), axis=1)]

    def score_samples(self, X) -> np.ndarray:
        """Two classes: squared distance to the first class's prototype minus that to the last's
        (high = like ``classes_[-1]``, e.g. ``True``); more classes: minus the nearest distance."""
        d = self._distances(X)
        return d[:, 0] - d[:, -1] if d.shape[1] == 2 else -d.min(axis=1)

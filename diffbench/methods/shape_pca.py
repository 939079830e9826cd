"""A latent space of what a pattern looks like, not how bright it is: streamed PCA of each frame
divided by its own photon count, square-rooted (a variance-stabilising transform of the fractions).

Raw-pixel PCA of single-particle frames puts the photon count on its first axis: on a PR772 mix
|Spearman ρ| of PC 1 with log photons is 0.98 and the page sorts frames by pulse energy and
fluence. Normalised frames keep speckle, fringe spacing and contrast — particle size, single
versus multiple hits, rings. Measured by ``scripts/latent_choice.py`` (5-NN hit-class accuracy in the
first two components; |ρ| of PC 1 with log photons): the viewer's default latent for frames.
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import Method, MethodTags


def sqrt_fractions(flat: np.ndarray) -> np.ndarray:
    """√(each row / its sum) of (N, d) counts: what a frame looks like, whatever its brightness
    (a variance-stabilising transform of the photon fractions; empty rows stay 0)."""
    total = flat.sum(axis=1, keepdims=True)
    return np.sqrt(np.clip(flat, 0, None) / np.where(total > 0, total, 1.0))


class ShapePCA(Method):
    """Streamed PCA (``n_components``) of √(frame / its total over valid pixels).

    Fitted: ``pca_`` (a :class:`~diffbench.methods.streaming_pca.StreamingPCA`), with
    ``explained_variance_ratio_`` of the normalised frames' variance.
    """

    def __init__(self, n_components: int = 3, batch_size: int = 256):
        self.n_components = n_components
        self.batch_size = batch_size

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(output="latent")

    def _batches(self, X):
        from diffbench.methods.frames import as_frames

        frames = as_frames(X)
        valid = None if frames.valid is None else frames.valid.ravel()
        for _, block in frames.batches(self.batch_size):
            flat = block.reshape(len(block), -1).astype(np.float64)
            if valid is not None and valid.size == flat.shape[1]:
                flat = flat[:, valid]
            yield sqrt_fractions(flat)

    def fit(self, X, y=None):
        from diffbench.methods.streaming_pca import StreamingPCA

        self.pca_ = StreamingPCA(self.n_components)
        held = []
        for b in self._batches(X):  # the first partial fit needs at least n_components rows
            held.append(b)
            if sum(len(h) for h in held) >= max(self.n_components, 2):
                self.pca_.partial_fit(np.vstack(held))
                held = []
        if held:
            self.pca_.partial_fit(np.vstack(held))
        self.explained_variance_ratio_ = self.pca_.explained_variance_ratio_
        return self

    def transform(self, X) -> np.ndarray:
        parts = [self.pca_.transform(b) for b in self._batches(X)]
        return np.vstack(parts) if parts else np.zeros((0, self.n_components))

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).transform(X)

"""Incremental PCA latent space + Elliptic Envelope outlier flag (paper 004).

Ramalingam, Yoon & Poitevin (SLAC 2020; compSPI/LatentSpaceBuilder): frames Fourier-downsampled
to 128×128 (raw counts, no log), incremental PCA with 3 components fitted by ``partial_fit`` on
batches of 100 (the paper used scikit-learn's ``IncrementalPCA``; :class:`StreamingPCA` runs the
same update ≈ 20× faster), then ``EllipticEnvelope`` (scikit-learn default contamination 0.1, random_state 13)
on the projections; ``predict`` gives 1 for inliers (single hits) and 0 for outliers.

Streaming: ``fit`` reads the input twice, batch by batch (partial fits, then projections), so
memory is bounded by the batch size and the N × n_components latent array, for files of any size
(sharded indexes included). The paper's optional early stop on the Jensen–Shannon distance between
successive latent densities is not implemented: every batch is used.
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import BINARY_CLASSES, Method
from diffbench.methods.features import fourier_downsample
from diffbench.methods.frames import as_frames
from diffbench.methods.streaming_pca import StreamingPCA
from diffbench.utils.progress import progress_bar


class IPCAEllipticEnvelope(Method):
    """Parameters
    ----------
    n_components : latent dimensions (paper: 3).
    downsample : (h, w) of the Fourier downsampling (paper: 128×128), or None to use frames as they are.
    batch_size : frames per partial fit (paper: 100).
    contamination : expected outlier fraction for the envelope (paper: sklearn's default 0.1;
        the benchmark also runs the true fraction).
    random_state : seed of the envelope's MinCovDet (paper: 13).
    progress : a progress bar over both passes of ``fit`` (None: when stderr is a terminal).
    """

    def __init__(self, n_components: int = 3, downsample=(128, 128), batch_size: int = 100,
                 contamination: float = 0.1, random_state: int | None = 13, progress: bool | None = None):
        self.n_components = n_components
        self.downsample = downsample
        self.batch_size = batch_size
        self.contamination = contamination
        self.random_state = random_state
        self.progress = progress

    def _features(self, block: np.ndarray) -> np.ndarray:
        if self.downsample is not None and block.ndim == 3 and block.shape[1:] != tuple(self.downsample):
            block = fourier_downsample(block, self.downsample)
        return block.reshape(len(block), -1)

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None) -> np.ndarray:
        """Fit, and return the latent coordinates of X (two passes over X: fit, then project)."""
        from sklearn.covariance import EllipticEnvelope

        if not 0 < self.contamination <= 0.5:
            raise ValueError(f"contamination must be in (0, 0.5], got {self.contamination!r}")
        frames = as_frames(X)
        k = self.n_components
        if len(frames) <= k:
            raise ValueError(f"need more than n_components={k} frames to fit, got {len(frames)}")
        self.ipca_ = StreamingPCA(n_components=k)
        with progress_bar(2 * len(frames), "ipca-envelope", self.progress) as bar:
            task = bar.add_task("ipca-envelope: fit, then project", total=2 * len(frames)) if bar else None
            held = None  # one batch held back so that a short final batch is merged, never dropped
            for _, block in frames.batches(self.batch_size):
                f = self._features(block)
                if bar:
                    bar.advance(task, len(f))
                if held is not None and len(f) < k:
                    held = np.concatenate([held, f])
                    continue
                if held is not None:
                    self.ipca_.partial_fit(held)
                held = f
            self.ipca_.partial_fit(held)
            z = self.transform(frames, _advance=(lambda m: bar.advance(task, m)) if bar else None)
        self.envelope_ = EllipticEnvelope(contamination=self.contamination, random_state=self.random_state).fit(z)
        self.classes_ = BINARY_CLASSES
        return z

    def transform(self, X, _advance=None) -> np.ndarray:
        """Latent coordinates (N, n_components), streamed."""
        frames = as_frames(X)
        parts = []
        for _, b in frames.batches(max(self.batch_size, 256)):
            parts.append(self.ipca_.transform(self._features(b)))
            if _advance:
                _advance(len(b))
        return np.concatenate(parts) if parts else np.zeros((0, self.n_components))

    def score_samples(self, X) -> np.ndarray:
        """Higher = more typical of the bulk (negative squared Mahalanobis distance)."""
        return self.envelope_.score_samples(self.transform(X))

    def decision_function(self, X) -> np.ndarray:
        """score_samples shifted so that 0 is the envelope's threshold (positive = inlier)."""
        return self.envelope_.decision_function(self.transform(X))

    def predict(self, X) -> np.ndarray:
        """1 = inlier (the single-hit class), 0 = outlier."""
        return (self.envelope_.predict(self.transform(X)) == 1).astype(np.int8)

"""An absolute embedding: rotation-invariant features of a class average mapped to its common-line
PCA coordinates by a multilayer perceptron (paper 001; methods.md §4), so that a new average is
placed without recomputing the N × N common-line matrix.

Features: each average, normalised to unit sum, on a polar grid about its centre; per ring the
moduli of the angular Fourier coefficients |c_m(r)| (unchanged by an in-plane rotation;
:func:`~diffbench.methods.features.angular_fourier_features`), keeping the even orders only (a
centrosymmetric pattern has no odd ones: Friedel) and only the orders the ring can resolve
(m ≤ π r for a ring of radius r pixels); the ring means c_0(r) enter as log values. Targets: the
CLPCA coordinates of the training averages (:class:`~diffbench.methods.clpca.CommonLinePCA`),
each standardised. Network: 4 hidden layers 512-128-64-32 (ReLU) → 3 outputs (scikit-learn's
``MLPRegressor``, Adam), trained on 80 % of the averages; ``validation_nmse_`` is the mean squared
error on the other 20 % per coordinate divided by that coordinate's variance (the paper reports
0.088, 0.059, 0.042 unnormalised on its own scale).
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import Method, MethodTags
from diffbench.methods.frames import as_frames


def invariant_features(images, n_radii: int = 16, n_angles: int = 64, orders: int = 12) -> np.ndarray:
    """(N, d) rotation-invariant features of square images (see the module docstring)."""
    from diffbench.methods.features import angular_fourier_features, polar_resample

    imgs = np.asarray(images, dtype=np.float64)
    n, g = imgs.shape[0], imgs.shape[-1]
    sums = imgs.reshape(n, -1).sum(axis=1)
    imgs = imgs / np.where(sums > 0, sums, 1.0)[:, None, None]
    centre = (g // 2, g // 2)
    r_max = g // 2 - 1
    ratios = angular_fourier_features(imgs, centre, n_radii, n_angles, r_max, orders)  # |c_m| / c_0
    polar, _ = polar_resample(imgs, centre, n_radii, n_angles, r_max)
    c0 = np.log(np.maximum(polar.mean(axis=-1), 1e-12))
    radius = (np.arange(n_radii) + 0.5) * r_max / n_radii
    m = np.arange(orders + 1)
    keep = (m[None, :] % 2 == 0) & (m[None, :] > 0) & (m[None, :] <= np.pi * radius[:, None])
    return np.concatenate([c0, ratios[:, keep]], axis=1)


class AbsoluteEmbedding(Method):
    """CLPCA coordinates predicted from rotation-invariant features (see the module docstring).

    clpca_params : parameters of the :class:`~diffbench.methods.clpca.CommonLinePCA` whose
    coordinates are the targets. hidden : hidden layer sizes. validation_fraction : averages held
    out for ``validation_nmse_``. max_iter : Adam epochs. n_radii, n_angles, orders : features.
    random_state : seeds the split and the network.
    """

    def __init__(self, clpca_params: dict | None = None, hidden: tuple = (512, 128, 64, 32),
                 validation_fraction: float = 0.2, max_iter: int = 500, n_radii: int = 16, n_angles: int = 64,
                 orders: int = 12, random_state: int | None = 0):
        self.clpca_params = clpca_params
        self.hidden = hidden
        self.validation_fraction = validation_fraction
        self.max_iter = max_iter
        self.n_radii = n_radii
        self.n_angles = n_angles
        self.orders = orders
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(output="latent")

    def _features(self, X) -> np.ndarray:
        return invariant_features(as_frames(X).array(), self.n_radii, self.n_angles, self.orders)

    def fit(self, X, y=None):
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPRegressor
        from sklearn.preprocessing import StandardScaler

        from diffbench.methods.clpca import CommonLinePCA

        if not 0 < self.validation_fraction < 1:
            raise ValueError(f"AbsoluteEmbedding: validation_fraction must be in (0, 1), got {self.validation_fraction!r}")
        target = CommonLinePCA(**(self.clpca_params or {})).fit(X).embedding_
        feats = self._features(X)
        self.target_scale_ = target.std(axis=0)
        self.target_mean_ = target.mean(axis=0)
        t = (target - self.target_mean_) / np.where(self.target_scale_ > 0, self.target_scale_, 1.0)
        rng = np.random.default_rng(self.random_state)
        val = rng.random(len(t)) < self.validation_fraction
        self.scaler_ = StandardScaler().fit(feats[~val])
        self.network_ = MLPRegressor(hidden_layer_sizes=tuple(self.hidden), max_iter=self.max_iter,
                                     random_state=self.random_state)
        with warnings.catch_warnings():  # a fixed epoch budget, as the paper's training
            warnings.simplefilter("ignore", ConvergenceWarning)
            self.network_.fit(self.scaler_.transform(feats[~val]), t[~val])
        pred = self.network_.predict(self.scaler_.transform(feats[val])) if val.any() else np.empty((0, t.shape[1]))
        self.validation_nmse_ = (np.mean((pred - t[val]) ** 2, axis=0) if val.any()
                                 else np.full(t.shape[1], np.nan))
        return self

    def transform(self, X) -> np.ndarray:
        """(N, 3) predicted CLPCA coordinates of the averages ``X`` (in CLPCA's units)."""
        z = self.network_.predict(self.scaler_.transform(self._features(X)))
        return np.asarray(z, dtype=np.float64).reshape(len(z), -1) * self.target_scale_ + self.target_mean_

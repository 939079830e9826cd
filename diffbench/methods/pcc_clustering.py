"""Pearson-correlation (PCC) map of a scan and its clustering (paper 002, Matinyan et al. 2023).

Paper 002 correlates every frame of a 40×40 scan with every other (a 1600×1600 matrix; one row
reshaped to 40×40 shows where the sample looks like that scan point). The paper uses the map
descriptively; to score it against the truth map the matrix is clustered here:
spectral clustering with the affinity (1 + PCC) / 2, on features that are either the log-RIA about
refined beam centres (default: insensitive to beam drift) or the raw frames.
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import Method, MethodTags
from diffbench.methods.ed_ria import RadialIntensityAverage
from diffbench.methods.frames import as_frames


def pcc_matrix(features) -> np.ndarray:
    """Pearson correlation of every row with every other, (N, N); constant rows correlate 0."""
    f = np.asarray(features, dtype=np.float64).reshape(len(features), -1)
    f = f - f.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(f, axis=1)
    f = np.divide(f, norm[:, None], out=np.zeros_like(f), where=norm[:, None] > 0)
    return np.clip(f @ f.T, -1.0, 1.0)


def _row_keys(feats: np.ndarray) -> list[bytes]:
    """One key per frame: its feature vector's bytes (identifies a frame whatever its position)."""
    f = np.ascontiguousarray(feats, dtype=np.float64)
    return [row.tobytes() for row in f]


def canonical_order(feats: np.ndarray) -> np.ndarray:
    """A permutation that sorts the frames by their features (lexicographic on the rows): fitting
    in this order makes the clustering independent of the order the frames were given in."""
    f = np.asarray(feats, dtype=np.float64)
    return np.lexsort(f.T[::-1]) if f.size else np.arange(len(f))


class PCCClustering(Method):
    """Cluster the frames of one scan by their PCC matrix.

    n_clusters : number of clusters (the truth map has up to 5 labels).
    features : "ria" (log radial averages about refined centres) or "frames" (pixels as they are).
    random_state : seed of the spectral embedding's k-means.

    Transductive: ``predict`` answers for the frames ``fit`` saw, recognised by their features
    whatever their order; another frame is assigned to the cluster whose mean feature vector it
    correlates with best. The labels do not depend on the order of the frames: ``fit`` clusters
    them in a canonical order (:func:`canonical_order`; the spectral embedding's iterative solver
    otherwise gives order-dependent results).
    """

    def __init__(self, n_clusters: int = 4, features: str = "ria", random_state: int | None = 0):
        self.n_clusters = n_clusters
        self.features = features
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(output='cluster')

    def _features(self, X) -> np.ndarray:
        if self.features == "ria":
            return self.ria_.transform(X)
        if self.features == "frames":
            f = as_frames(X)
            return np.concatenate([b.reshape(len(b), -1) for _, b in f.batches(256)])
        raise ValueError(f"features must be 'ria' or 'frames', got {self.features!r}")

    def fit(self, X, y=None):
        from sklearn.cluster import SpectralClustering

        if self.features == "ria":
            self.ria_ = RadialIntensityAverage().fit(X)
        feats = self._features(X)
        if len(feats) < self.n_clusters:
            raise ValueError(f"need at least n_clusters={self.n_clusters} frames, got {len(feats)}")
        order = canonical_order(feats)
        pcc = pcc_matrix(feats[order])
        sc = SpectralClustering(self.n_clusters, affinity="precomputed", random_state=self.random_state,
                                assign_labels="cluster_qr")
        labels = np.empty(len(feats), dtype=np.int64)
        labels[order] = sc.fit_predict((1.0 + pcc) / 2.0)
        # cluster ids numbered by first appearance in the canonical order: renaming-free output
        _, first = np.unique(labels[order], return_index=True)
        rename = np.empty(self.n_clusters, dtype=np.int64)
        rename[np.unique(labels[order])[np.argsort(first)]] = np.arange(len(first))
        self.labels_ = rename[labels]
        self.pcc_ = np.empty_like(pcc)
        self.pcc_[np.ix_(order, order)] = pcc  # in the caller's order
        self.centroids_ = np.stack([feats[self.labels_ == k].mean(axis=0) if np.any(self.labels_ == k)
                                    else np.zeros(feats.shape[1]) for k in range(self.n_clusters)])
        self.seen_ = dict(zip(_row_keys(feats), self.labels_.tolist()))
        return self

    def predict(self, X) -> np.ndarray:
        feats = self._features(X)
        keys = _row_keys(feats)
        if all(k in self.seen_ for k in keys):
            return np.array([self.seen_[k] for k in keys], dtype=np.int64)
        return np.argmax(pcc_matrix(np.vstack([feats, self.centroids_]))[:len(feats), len(feats):], axis=1)

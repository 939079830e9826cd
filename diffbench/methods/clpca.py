"""Common-line PCA of 2-D class averages (paper 001, Appendix A; Dragonfly's ``calc_cc.py`` and
``clpca.py`` as methods.md §4 reads them), and the other embeddings of the same matrix.

Every average is normalised to unit sum. For angles θ_i = iπ/n (i = 0 … n − 1) the full straight
line through the centre is sampled at the integer radii r ∈ [−G/2, G/2) of a G × G image, leaving
out |r| ≤ ``mask_radius`` (the beam stop); nearest pixel for ``interp_order=0``, else spline
interpolation of that order. Two averages A, B are as similar as their best-matching pair of
lines: C_AB = max over (i, j) of the Pearson correlation of line i of A with line j of B (a common
line of two projections of one object). The matrix gets 1 on its diagonal and is made symmetric
by min(C, Cᵀ); its rows are the samples of the embedding: PCA to 3 components (CLPCA), or, as
paper 001's Appendix A compares, Isomap, spectral embedding or t-SNE of the same rows.

The lines assume a flat Ewald sphere; at the paper's 1.8° they are arcs to within a pixel.
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import Method, MethodTags
from diffbench.methods.frames import as_frames

EMBEDDINGS = ("pca", "isomap", "spectral", "tsne")


def central_lines(images, n_angles: int, mask_radius: float, interp_order: int = 1) -> np.ndarray:
    """(N, n_angles, L): each unit-sum image sampled along the ``n_angles`` lines through its centre
    (pixel G // 2), at integer radii from −G/2 to G/2 without |r| ≤ ``mask_radius``, each line
    standardised (mean 0, unit norm) so that a dot product is a Pearson correlation."""
    from scipy.ndimage import map_coordinates

    imgs = np.asarray(images, dtype=np.float64)
    if imgs.ndim != 3 or imgs.shape[1] != imgs.shape[2]:
        raise ValueError(f"common lines need square images (N, G, G), got shape {imgs.shape}")
    n, g = imgs.shape[0], imgs.shape[1]
    c = g // 2
    r = np.arange(-(g // 2), g - g // 2, dtype=np.float64)
    r = r[np.abs(r) > mask_radius]
    if r.size < 3:
        raise ValueError(f"mask_radius={mask_radius} leaves {r.size} points per line of a {g} x {g} image")
    theta = np.arange(n_angles) * np.pi / n_angles
    ys = c + np.sin(theta)[:, None] * r[None, :]
    xs = c + np.cos(theta)[:, None] * r[None, :]
    sums = imgs.reshape(n, -1).sum(axis=1)
    imgs = imgs / np.where(sums > 0, sums, 1.0)[:, None, None]
    lines = np.empty((n, n_angles, r.size))
    for k in range(n):
        if interp_order == 0:
            lines[k] = imgs[k][np.rint(ys).astype(int), np.rint(xs).astype(int)]
        else:
            lines[k] = map_coordinates(imgs[k], [ys.ravel(), xs.ravel()], order=interp_order,
                                       mode="nearest").reshape(n_angles, r.size)
    lines -= lines.mean(axis=2, keepdims=True)
    norm = np.linalg.norm(lines, axis=2, keepdims=True)
    return lines / np.where(norm > 0, norm, 1.0)


def common_line_matrix(lines_a: np.ndarray, lines_b: np.ndarray | None = None, block: int = 64) -> np.ndarray:
    """C_AB = max over line pairs of their Pearson correlation, for standardised lines (N, n_ang, L)
    of :func:`central_lines` (``lines_b`` None: every pair of ``lines_a``, with 1 on the diagonal
    and min(C, Cᵀ)). One matrix product per block of rows (BLAS), then the max over each n_ang ×
    n_ang block: O(N² n_ang² L)."""
    same = lines_b is None
    b = lines_a if same else lines_b
    na, nang, L = lines_a.shape
    nb = b.shape[0]
    flat_b = b.reshape(nb * nang, L).T
    out = np.empty((na, nb))
    for s in range(0, na, block):
        a = lines_a[s:s + block]
        cc = (a.reshape(-1, L) @ flat_b).reshape(len(a), nang, nb, nang)
        out[s:s + len(a)] = cc.max(axis=(1, 3))
    if same:
        np.fill_diagonal(out, 1.0)
        out = np.minimum(out, out.T)
    return out


class CommonLinePCA(Method):
    """Embedding of class averages by their common-line correlation matrix (see the module docstring).

    n_angles : lines per average (paper GUI 180; CLI 40; quick 36). mask_radius : pixels about the
    centre left out. interp_order : 0 nearest pixel, 1 bilinear. n_components : embedding dimension
    (3 as the paper). embedding : "pca" (CLPCA), "isomap", "spectral" or "tsne" (Appendix A).
    n_neighbors : neighbours of Isomap / the spectral graph. random_state : seeds spectral and t-SNE.

    Fitted: ``matrix_`` (N, N), ``embedding_`` (N, n_components), ``lines_``. ``transform`` of
    other averages correlates them with the fitted ones (PCA and Isomap project them; spectral
    embedding and t-SNE have no out-of-sample map and answer only for the fitted averages).
    """

    def __init__(self, n_angles: int = 36, mask_radius: float = 3.0, interp_order: int = 1, n_components: int = 3,
                 embedding: str = "pca", n_neighbors: int = 10, random_state: int | None = 0):
        self.n_angles = n_angles
        self.mask_radius = mask_radius
        self.interp_order = interp_order
        self.n_components = n_components
        self.embedding = embedding
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(output="latent")

    def _images(self, X) -> np.ndarray:
        return as_frames(X).array()

    def _model(self, n: int):
        from sklearn.decomposition import PCA
        from sklearn.manifold import TSNE, Isomap, SpectralEmbedding

        k = min(self.n_neighbors, n - 1)
        return {"pca": lambda: PCA(n_components=self.n_components),
                "isomap": lambda: Isomap(n_neighbors=k, n_components=self.n_components),
                "spectral": lambda: SpectralEmbedding(n_components=self.n_components, n_neighbors=k,
                                                      random_state=self.random_state),
                "tsne": lambda: TSNE(n_components=self.n_components, perplexity=min(30.0, (n - 1) / 3),
                                     init="pca", random_state=self.random_state,
                                     method="exact" if self.n_components > 3 else "barnes_hut")}[self.embedding]()

    def fit(self, X, y=None):
        if self.embedding not in EMBEDDINGS:
            raise ValueError(f"CommonLinePCA: embedding must be one of {EMBEDDINGS}, got {self.embedding!r}")
        if not isinstance(self.n_angles, (int, np.integer)) or self.n_angles < 2:
            raise ValueError(f"CommonLinePCA: n_angles must be an integer >= 2, got {self.n_angles!r}")
        self.lines_ = central_lines(self._images(X), self.n_angles, self.mask_radius, self.interp_order)
        if len(self.lines_) <= self.n_components:
            raise ValueError(f"CommonLinePCA: {len(self.lines_)} averages for {self.n_components} components")
        self.matrix_ = common_line_matrix(self.lines_)
        self.model_ = self._model(len(self.matrix_))
        self.embedding_ = np.asarray(self.model_.fit_transform(self.matrix_), dtype=np.float64)
        return self

    def transform(self, X) -> np.ndarray:
        """(N, n_components) coordinates of the averages ``X``."""
        lines = central_lines(self._images(X), self.n_angles, self.mask_radius, self.interp_order)
        if lines.shape == self.lines_.shape and np.array_equal(lines, self.lines_):
            return self.embedding_.copy()
        if self.embedding in ("spectral", "tsne"):
            raise ValueError(f"CommonLinePCA(embedding={self.embedding!r}) has no map for averages it was not "
                             "fitted on; use pca or isomap")
        return np.asarray(self.model_.transform(common_line_matrix(lines, self.lines_)), dtype=np.float64)

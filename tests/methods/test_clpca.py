"""Common-line PCA (paper 001 App. A, Dragonfly's calc_cc/clpca as methods.md §4 reads them): the
line sampling, the common-line matrix against a direct computation, and the separation of averages
of two distinct shapes."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.methods.clpca import CommonLinePCA, central_lines, common_line_matrix


def _streaks(rng, n, size=33, shape="cube"):
    """Noisy 2-D 'averages': a cube's two perpendicular streaks at a random in-plane angle, or a
    sphere's rings (the two shapes paper 001 separates)."""
    y, x = np.mgrid[0:size, 0:size] - size // 2
    r = np.hypot(x, y) + 1e-9
    out = []
    for _ in range(n):
        if shape == "cube":
            a = rng.uniform(0, np.pi)
            u, v = x * np.cos(a) + y * np.sin(a), -x * np.sin(a) + y * np.cos(a)
            img = np.exp(-np.abs(u) / 1.5) + np.exp(-np.abs(v) / 1.5)
        else:
            img = 1 + np.cos(0.9 * r)
        img = img * np.exp(-r / 8)
        out.append(rng.poisson(200 * img / img.max()).astype(float))
    return np.array(out)


def test_lines_are_standardised_and_the_matrix_is_the_best_line_pair_correlation(rng):
    imgs = rng.random((5, 17, 17))
    lines = central_lines(imgs, n_angles=6, mask_radius=2, interp_order=0)
    # integer radii -8..8 without |r| <= 2: 12 points per line
    assert lines.shape == (5, 6, 12)
    assert_allclose(lines.mean(axis=2), 0, atol=1e-12)
    assert_allclose(np.linalg.norm(lines, axis=2), 1, rtol=1e-12)
    # the angle-0 line is the centre row (nearest pixel), without its middle five pixels
    row = imgs[0, 8] / imgs[0].sum()
    row = np.r_[row[:6], row[11:]]
    assert_allclose(lines[0, 0], (row - row.mean()) / np.linalg.norm(row - row.mean()), rtol=1e-10)
    c = common_line_matrix(lines, block=2)
    direct = max(np.corrcoef(lines[1, i], lines[3, j])[0, 1] for i in range(6) for j in range(6))
    assert_allclose(c[1, 3], direct, rtol=1e-10)
    assert_allclose(np.diag(c), 1.0) and np.array_equal(c, c.T)


def test_clpca_separates_averages_of_two_distinct_shapes(rng):
    imgs = np.concatenate([_streaks(rng, 30, shape="cube"), _streaks(rng, 30, shape="sphere")])
    z = CommonLinePCA(n_angles=36, mask_radius=3).fit(imgs).transform(imgs)
    assert z.shape == (60, 3)
    first = z[:, 0]
    # the first component alone splits the two shapes (sign arbitrary)
    assert min(first[:30].max(), first[30:].max()) < max(first[:30].min(), first[30:].min())


@pytest.mark.parametrize("embedding", ["isomap", "spectral", "tsne"])
def test_other_embeddings_of_the_same_matrix(rng, embedding):
    imgs = np.concatenate([_streaks(rng, 20, shape="cube"), _streaks(rng, 20, shape="sphere")])
    est = CommonLinePCA(embedding=embedding, n_neighbors=8).fit(imgs)
    z = est.transform(imgs)
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    labels = np.r_[np.zeros(20), np.ones(20)]
    assert cross_val_score(KNeighborsClassifier(5), z, labels, cv=5).mean() > 0.9
    if embedding in ("spectral", "tsne"):
        with pytest.raises(ValueError, match="no map for averages it was not fitted on"):
            est.transform(imgs[:5])


def test_bad_parameters_are_one_line_errors(rng):
    with pytest.raises(ValueError, match="embedding must be one of"):
        CommonLinePCA(embedding="umap").fit(rng.random((10, 9, 9)))
    with pytest.raises(ValueError, match="mask_radius=10 leaves"):
        CommonLinePCA(mask_radius=10).fit(rng.random((10, 9, 9)))

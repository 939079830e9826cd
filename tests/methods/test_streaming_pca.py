"""StreamingPCA against scikit-learn's IncrementalPCA (same update, other SVD route) and an exact SVD."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.decomposition import IncrementalPCA

from diffbench.methods.streaming_pca import StreamingPCA


def _data(n=600, d=400, rank=None, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.array([30.0, 12.0, 5.0, 1.0, 0.5])
    basis = np.linalg.qr(rng.normal(size=(d, 5)))[0].T
    k = 5 if rank is None else rank
    X = (rng.normal(size=(n, k)) * scales[:k]) @ basis[:k] + 3.0
    if rank is None:
        X += 0.1 * rng.normal(size=(n, d))
    return X


def _same_up_to_sign(a, b, atol):
    for u, v in zip(a, b):
        assert_allclose(abs(u @ v), 1.0, atol=atol)


def test_matches_sklearn_incremental_pca_batch_by_batch():
    # Same algorithm (Ross et al. 2008), so the results agree to rounding: components, singular
    # values and mean to 1e-10 relative (measured ~1e-14 on float64; the Gram route squares the
    # condition number, which only costs digits for directions far below the kept ones).
    X = _data()
    ours, ref = StreamingPCA(3), IncrementalPCA(3)
    for s in range(0, len(X), 100):
        ours.partial_fit(X[s:s + 100])
        ref.partial_fit(X[s:s + 100])
    _same_up_to_sign(ours.components_, ref.components_, 1e-10)
    assert_allclose(ours.singular_values_, ref.singular_values_, rtol=1e-10)
    assert_allclose(ours.explained_variance_, ref.explained_variance_, rtol=1e-10)
    # the ratio against the whole variance, as scikit-learn computes it from the full data
    assert_allclose(ours.explained_variance_ratio_, ref.explained_variance_ratio_, rtol=1e-8)
    assert_allclose(ours.mean_, ref.mean_, rtol=1e-12)
    assert ours.n_samples_seen_ == len(X)
    assert_allclose(np.abs(ours.transform(X)), np.abs(ref.transform(X)), rtol=1e-8, atol=1e-8)


def test_exact_on_data_of_rank_k():
    # Data of exact rank 3 around a mean: truncating to 3 components loses nothing, so the
    # streamed result equals the SVD of all the centred data at once (to rounding).
    X = _data(rank=3)
    ours = StreamingPCA(3).fit(X, batch_size=37)  # batches that do not divide N
    Xc = X - X.mean(axis=0)
    _, s, vt = np.linalg.svd(Xc, full_matrices=False)
    assert_allclose(ours.mean_, X.mean(axis=0), rtol=1e-12)
    assert_allclose(ours.singular_values_, s[:3], rtol=1e-9)
    _same_up_to_sign(ours.components_, vt[:3], 1e-9)
    assert_allclose(ours.transform(X) @ ours.components_, Xc, atol=1e-8 * np.abs(Xc).max())


def test_components_are_orthonormal_and_signs_deterministic():
    X = _data(seed=3)
    a = StreamingPCA(3).fit(X)
    b = StreamingPCA(3).fit(X)
    assert_allclose(a.components_ @ a.components_.T, np.eye(3), atol=1e-10)
    assert np.array_equal(a.components_, b.components_)
    assert np.all(a.components_[np.arange(3), np.argmax(np.abs(a.components_), axis=1)] > 0)


def test_bad_batches_are_refused():
    with pytest.raises(ValueError, match="at least n_components=3"):
        StreamingPCA(3).partial_fit(np.ones((2, 10)))
    m = StreamingPCA(2).partial_fit(np.random.default_rng(0).normal(size=(5, 10)))
    with pytest.raises(ValueError, match="10"):
        m.partial_fit(np.ones((5, 11)))
    with pytest.raises(ValueError, match="2-D"):
        m.partial_fit(np.ones(10))

"""Estimators that know nothing of diffbench get plain arrays (N, ny·nx); diffbench's own get Frames."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone

from diffbench.methods.base import fit_method, method_tags
from diffbench.methods.frames import Frames
from diffbench.methods.plain import PlainArrays, plain_array
from diffbench.methods.registry import make_method


def _frames(n=40, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    data = rng.poisson(1.0, size=(n, 6, 8)).astype(np.uint16)
    data[y == 1, 2:4, 2:6] += 9  # a bright patch marks class 1
    valid = np.ones((6, 8), bool)
    valid[0, 0] = False
    return Frames(data, valid=valid), y


def test_plain_array_flattens_rows_and_zeroes_masked_pixels():
    f, _ = _frames()
    arr = plain_array(f)
    assert arr.shape == (40, 48) and arr.dtype == np.float32
    assert_allclose(arr[:, 1:], f.data.reshape(40, -1)[:, 1:])  # row order, exact counts
    assert np.all(arr[:, 0] == 0)  # the masked pixel


def test_a_scikit_learn_classifier_is_wrapped_fitted_and_asked_with_arrays():
    f, y = _frames()
    est = make_method("sklearn.linear_model:LogisticRegression", max_iter=500)
    assert isinstance(est, PlainArrays) and method_tags(est).requires_y
    fit_method(est, f, y)
    assert (est.predict(f) == y).mean() == 1.0
    assert est.predict_proba(f).shape == (40, 2)
    assert not hasattr(est, "transform")  # answers only what the classifier answers
    clone(est)  # a scikit-learn estimator itself


class OnlyFitTransform:
    """A latent method with fit_transform and nothing else (t-SNE's shape)."""

    def get_params(self, deep=True):
        return {}

    def set_params(self, **p):
        return self

    def fit_transform(self, X, y=None):
        assert isinstance(X, np.ndarray) and X.ndim == 2
        return X[:, :2] * 1.0


def test_a_fit_transform_only_class_is_a_latent_method():
    f, _ = _frames()
    est = PlainArrays(OnlyFitTransform())
    assert hasattr(est, "fit_transform") and not hasattr(est, "transform") and not hasattr(est, "predict")
    z = est.fit_transform(f)
    assert_allclose(z, plain_array(f)[:, :2])


def test_diffbench_methods_are_not_wrapped():
    assert type(make_method("ipca-envelope")).__name__ == "IPCAEllipticEnvelope"


def test_too_large_a_plain_array_is_one_line(monkeypatch):
    import diffbench.methods.plain as plain

    monkeypatch.setattr(plain, "MAX_PLAIN_BYTES", 100)
    with pytest.raises(MemoryError, match="subsample"):
        plain_array(_frames()[0])

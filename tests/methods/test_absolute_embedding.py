"""The absolute-embedding MLP (paper 001): rotation-invariant features, and CLPCA coordinates
learnt well enough to place held-out averages."""

import numpy as np
from numpy.testing import assert_allclose

from diffbench.methods.absolute_embedding import AbsoluteEmbedding, invariant_features


def test_features_do_not_change_when_an_average_turns_in_plane(rng):
    img = rng.random((2, 33, 33))
    # a quarter turn about the centre pixel (16, 16) moves every polar sample by 16 of the 64 angles exactly
    turned = np.rot90(img, axes=(1, 2))
    assert_allclose(invariant_features(turned), invariant_features(img), rtol=1e-9, atol=1e-12)
    # and a different image has different features
    assert not np.allclose(invariant_features(rng.random((2, 33, 33))), invariant_features(img))


def test_the_network_learns_the_first_clpca_coordinate_of_two_shapes(rng):
    from test_clpca import _streaks

    imgs = np.concatenate([_streaks(rng, 60, shape="cube"), _streaks(rng, 60, shape="sphere")])
    est = AbsoluteEmbedding(random_state=0).fit(imgs)
    assert est.validation_nmse_.shape == (3,)
    # the first coordinate separates the shapes and depends on nothing an in-plane rotation changes
    assert est.validation_nmse_[0] < 0.2, est.validation_nmse_
    z = est.transform(imgs)
    assert z.shape == (120, 3)
    again = AbsoluteEmbedding(random_state=0).fit(imgs).transform(imgs)
    assert_allclose(again, z)  # deterministic for a fixed random_state

"""Quaternion convention and uniformity of random orientations."""

import math

import numpy as np
from numpy.testing import assert_allclose
from scipy import stats

from diffbench.geometry.orientation import (
    axis_angle_quaternion,
    quaternion_to_matrix,
    random_quaternions,
)


def test_convention_active_rotation_about_z():
    # +90° about z takes the particle's x axis to the lab's y axis (active, right-handed)
    r = quaternion_to_matrix(axis_angle_quaternion([0, 0, 1], math.pi / 2))
    assert_allclose(r @ [1, 0, 0], [0, 1, 0], atol=1e-15)
    assert_allclose(r @ r.T, np.eye(3), atol=1e-15)


def test_matrix_agrees_with_scipy_rotation(rng):
    from scipy.spatial.transform import Rotation

    q = random_quaternions(100, rng)
    ref = Rotation.from_quat(q[:, [1, 2, 3, 0]]).as_matrix()  # scipy is scalar-last
    assert_allclose(quaternion_to_matrix(q), ref, atol=1e-12)


def test_random_orientations_are_uniform(rng):
    q = random_quaternions(20000, rng)
    assert_allclose(np.linalg.norm(q, axis=1), 1.0, rtol=1e-12)
    assert (q[:, 0] >= 0).all()
    r = quaternion_to_matrix(q)
    # a rotated axis is uniform on the sphere: its z component is uniform on [-1, 1]
    assert stats.kstest(r[:, 2, 2], stats.uniform(-1, 2).cdf).pvalue > 1e-3
    assert stats.kstest(r[:, 0, 2], stats.uniform(-1, 2).cdf).pvalue > 1e-3
    # rotation angles follow (1 − cos θ)/π on [0, π] (Haar measure)
    theta = 2 * np.arccos(np.clip(q[:, 0], -1, 1))
    cdf = lambda t: (t - np.sin(t)) / np.pi  # noqa: E731
    assert stats.kstest(theta, cdf).pvalue > 1e-3

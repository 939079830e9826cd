"""Point groups in the simulator's particle frames: their orders, closure, and that each maps the
simulated shape onto itself."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.geometry.orientation import quaternion_multiply, quaternion_to_matrix
from diffbench.geometry.symmetry import point_group
from diffbench.simulate.spi.shapes import icosahedron_vertices


@pytest.mark.parametrize("name, order", [("C1", 1), ("C7", 7), ("D8", 16), ("T", 12), ("O", 24), ("I", 60)])
def test_orders_and_closure(name, order):
    g = point_group(name)
    assert g.shape == (order, 4)
    assert_allclose(g[0], [1, 0, 0, 0])
    assert_allclose(np.linalg.norm(g, axis=1), 1.0, rtol=1e-14)
    # closed under products: every product is an element (|dot| = 1 up to rounding, 1e-12)
    prod = quaternion_multiply(g[:, None, :], g[None, :, :]).reshape(-1, 4)
    assert (np.abs(prod @ g.T).max(axis=1) > 1 - 1e-12).all()


def _maps_onto_itself(points, group):
    for r in quaternion_to_matrix(group):
        moved = points @ r.T
        d = np.linalg.norm(moved[:, None, :] - points[None, :, :], axis=-1)
        if d.min(axis=1).max() > 1e-12:
            return False
    return True


def test_the_icosahedral_group_is_the_simulated_capsids():
    # the virus species' icosahedron: vertices (0, ±1, ±φ) and cyclic permutations (shapes.py)
    v = icosahedron_vertices()
    assert _maps_onto_itself(v, point_group("I"))
    # and not a rotated copy: the octahedral group (4-folds on x, y, z) does not keep it
    assert not _maps_onto_itself(v, point_group("O"))


def test_the_octahedral_group_keeps_the_cube_and_d8_a_ring_of_eight():
    cube = np.array([(x, y, z) for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float)
    assert _maps_onto_itself(cube, point_group("O"))
    a = 2 * math.pi * np.arange(8) / 8
    rings = np.concatenate([np.stack([np.cos(a + np.pi / 8), np.sin(a + np.pi / 8), np.full(8, h)], 1) for h in (-0.5, 0.5)])
    assert _maps_onto_itself(rings, point_group("D8"))


@pytest.mark.parametrize("name, needle", [("SO(3)", "no orientation to recover"), ("X5", "unknown point group"),
                                          ("C0", "n must be >= 1")])
def test_bad_groups_are_refused(name, needle):
    with pytest.raises(ValueError, match=needle.replace("(", r"\(")):
        point_group(name)

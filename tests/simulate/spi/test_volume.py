"""The volume route (voxelise → transform → trilinear slice) against analytic amplitudes."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.physics.form_factors import cube_amplitude, sphere_amplitude
from diffbench.simulate.spi.reference import amplitude
from diffbench.simulate.spi.shapes import (
    IcosahedralShell,
    Sphere,
    Superball,
    icosahedron_face_normals,
    superball_volume,
)
from diffbench.simulate.spi.volume import choose_dq, shape_volume

Q_MAX = 1.0e9  # 1/nm


def _random_q(rng, n, qmax):
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v * qmax * rng.random((n, 1)) ** (1 / 3)


def _interp_error(vol, analytic, q):
    f = amplitude(q, 0, 0.0, vol).real
    a = analytic(q)
    # error relative to the local envelope of the amplitude (|F| ~ F(0) (qR)⁻² for a solid body)
    return np.abs(f - a), np.abs(a)


@pytest.mark.parametrize("spf", [8.0, 16.0])
def test_sphere_volume_matches_analytic(rng, spf):
    r = 20e-9
    vol = shape_volume(Sphere(r), Q_MAX, choose_dq(2 * r, spf))
    q = _random_q(rng, 4000, Q_MAX * 0.98)
    f = amplitude(q, 0, 0.0, vol).real
    a = sphere_amplitude(np.linalg.norm(q, axis=1), r)
    # volume at q = 0 is the sphere volume to the partial-volume accuracy (1e-3)
    assert_allclose(vol.data[0, 0, 0, 0], 4 / 3 * math.pi * r**3, rtol=1e-3)
    # trilinear error bound (π/spf)²/8 of the envelope, plus partial-volume voxelisation (≤ 2 %)
    envelope = 4 / 3 * math.pi * r**3 * np.minimum(1, 3 / (np.linalg.norm(q, axis=1) * r) ** 2)
    err = np.abs(f - a) / envelope
    bound = (math.pi / spf) ** 2 / 8 + 0.02
    assert np.percentile(err, 99) < bound
    # the intensity summed over the sampled points agrees to a few per cent
    assert_allclose((f**2).sum(), (a**2).sum(), rtol=3 * bound)


def test_cube_volume_matches_analytic(rng):
    a_edge = 40e-9
    vol = shape_volume(Superball(a_edge / 2, 0.0), Q_MAX, choose_dq(a_edge * math.sqrt(3), 8))
    q = _random_q(rng, 4000, Q_MAX * 0.98)
    f = amplitude(q, 0, 0.0, vol).real
    a = cube_amplitude(q, a_edge)
    assert_allclose(vol.data[0, 0, 0, 0], a_edge**3, rtol=1e-6)  # the cube fills whole voxels exactly
    envelope = a_edge**3
    assert np.percentile(np.abs(f - a) / envelope, 99) < (math.pi / 8) ** 2 / 8 + 0.01
    assert_allclose((f**2).sum(), (a**2).sum(), rtol=0.05)


def test_superball_volume_formula_and_melt_end_points():
    assert_allclose(superball_volume(1.0, math.inf), 8.0)
    assert_allclose(superball_volume(1.0, 2.0), 4 / 3 * math.pi, rtol=1e-12)
    # voxelised volume (F at q = 0) follows the closed form at an intermediate melt
    sb = Superball(20e-9, 0.5)
    vol = shape_volume(sb, 0.3e9, 2e7)
    assert_allclose(vol.data[0, 0, 0, 0], superball_volume(20e-9, sb.p), rtol=2e-3)


def test_icosahedron_geometry_and_symmetry():
    n = icosahedron_face_normals()
    assert n.shape == (20, 3)
    # the 20 face normals are the 3-fold axes: (±1, ±1, ±1)/√3 among them
    assert np.isclose(np.abs(n) @ np.ones(3), math.sqrt(3)).sum() == 8
    shell = IcosahedralShell(30e-9, 5e-9, shell_density=1.0, inner_density=0.5)
    rho = shell.voxelise_octant(1e-9).real
    # mirror symmetry x ↔ y ↔ z is not required, but the shell's volume is: outer − ½ inner
    outer = shell.volume_m3()
    inner = outer * ((shell.inradius_m - 5e-9) / shell.inradius_m) ** 3
    assert_allclose(8 * rho.sum() * 1e-27, outer - 0.5 * inner, rtol=5e-3)
    with pytest.raises(ValueError, match="shell_thickness_m"):
        IcosahedralShell(30e-9, 40e-9)


def test_bspline_octants_of_shapes_beat_trilinear_at_a_quarter_of_the_grid(rng):
    """B-spline coefficient octants (σ = 2, folded with a mirrored plane) against the closed forms.

    Cube: the density fills whole voxels, so what is left is interpolation error only; at σ = 2 it is
    below 1e-4 of F(0) (99th percentile; trilinear at 8 samples per fringe: 6e-4). Sphere: the
    partial-volume voxelisation error (≈ 1.5 % of the envelope) dominates both; the B-spline must not
    add to it. Also: F is even, so both sides of each axis give the same value (the mirror plane)."""
    a_edge, r = 40e-9, 20e-9
    q = _random_q(rng, 4000, Q_MAX * 0.98)
    cube = shape_volume(Superball(a_edge / 2, 0.0), Q_MAX, 2 * math.pi / (2 * a_edge * math.sqrt(3)),
                        interpolation="bspline3")
    assert cube.fold and cube.q_max_m >= Q_MAX and cube.data.shape[-1] == 2
    f = amplitude(q, 0, 0.0, cube)
    assert np.percentile(np.abs(f.real - cube_amplitude(q, a_edge)) / a_edge**3, 99) < 1e-4
    assert_allclose(amplitude(-q, 0, 0.0, cube), f, rtol=1e-12)
    sph = shape_volume(Sphere(r), Q_MAX, 2 * math.pi / (2 * 2 * r), interpolation="bspline3")
    f = amplitude(q, 0, 0.0, sph).real
    envelope = 4 / 3 * math.pi * r**3 * np.minimum(1, 3 / (np.linalg.norm(q, axis=1) * r) ** 2)
    err = np.abs(f - sphere_amplitude(np.linalg.norm(q, axis=1), r)) / envelope
    assert np.percentile(err, 99) < 0.025
    assert sph.data.size * 8 < shape_volume(Sphere(r), Q_MAX, choose_dq(2 * r, 8)).data.size


def test_shape_volume_rejects_unknown_interpolation():
    with pytest.raises(ValueError, match="interpolation"):
        shape_volume(Sphere(10e-9), 1e9, 1e8, interpolation="cubic")

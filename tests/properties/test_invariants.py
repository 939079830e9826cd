"""Property tests (hypothesis): invariants that must hold for every input, not just the cases the
unit tests pick — rotations, Ewald geometry, form-factor scaling, the fluence integral, the
determinism of datasets under any split of the work, and the scoring helpers."""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from diffbench.geometry.beam import Beam, photon_energy_ev, wavelength_m
from diffbench.geometry.detector import Detector, q_vectors
from diffbench.geometry.orientation import canonical, quaternion_to_matrix
from diffbench.physics.form_factors import cube_amplitude, sphere_amplitude

finite = dict(allow_nan=False, allow_infinity=False)
quats = st.lists(st.floats(-1, 1, **finite), min_size=4, max_size=4).filter(lambda v: np.linalg.norm(v) > 1e-3)


@given(quats)
def test_quaternion_matrices_are_proper_rotations_and_q_equals_minus_q(v):
    q = canonical(np.array(v))
    m = quaternion_to_matrix(q)
    # orthogonal with determinant +1 to rounding (1e-12 for entries of order 1)
    assert_allclose(m @ m.T, np.eye(3), atol=1e-12)
    assert_allclose(np.linalg.det(m), 1.0, atol=1e-12)
    assert_allclose(quaternion_to_matrix(-q), m, atol=1e-15)
    assert q[0] >= 0 and math.isclose(np.linalg.norm(q), 1.0, rel_tol=1e-12)


@settings(max_examples=40, deadline=None)
@given(nx=st.integers(2, 40), ny=st.integers(2, 40), pixel=st.floats(10e-6, 500e-6), distance=st.floats(0.05, 2.0),
       cx=st.floats(-10, 50), cy=st.floats(-10, 50), energy=st.floats(200, 20000))
def test_q_vectors_lie_on_the_ewald_sphere(nx, ny, pixel, distance, cx, cy, energy):
    det = Detector(nx=nx, ny=ny, pixel_size_m=pixel, distance_m=distance, beam_center_xy_px=(cx, cy))
    beam = Beam(photon_energy_ev=energy, pulse_energy_j=1e-3, focus_diameter_m=1e-6)
    q = q_vectors(det, beam).reshape(-1, 3)
    k = 2 * np.pi / wavelength_m(energy)
    k_out = q + np.array([0.0, 0.0, k])
    # elastic scattering: |k_out| = |k_in| (relative 1e-12), and |q| = 2k sin θ ≤ 2k
    assert_allclose(np.linalg.norm(k_out, axis=1), k, rtol=1e-12)
    assert np.all(np.linalg.norm(q, axis=1) <= 2 * k * (1 + 1e-12))
    assert_allclose(photon_energy_ev(wavelength_m(energy)), energy, rtol=1e-12)


@given(radius=st.floats(1e-9, 500e-9), scale=st.floats(0.2, 5.0), q=st.floats(0, 5e9))
def test_sphere_amplitude_scales_with_size_and_is_bounded_by_the_volume(radius, scale, q):
    # the size-distribution rule of the volume route, F_{sR}(q) = s³ F_R(s q), holds exactly for the
    # closed form (relative 1e-9: both sides evaluate the same expression in different orders)
    a = sphere_amplitude(q, radius * scale)
    b = scale**3 * sphere_amplitude(q * scale, radius)
    v = 4 / 3 * np.pi * (radius * scale) ** 3
    assert abs(a - b) <= 1e-9 * v
    assert abs(a) <= v * (1 + 1e-12)


@given(q=st.lists(st.floats(-3e9, 3e9, **finite), min_size=3, max_size=3), perm=st.permutations([0, 1, 2]),
       signs=st.lists(st.sampled_from([-1.0, 1.0]), min_size=3, max_size=3), edge=st.floats(5e-9, 200e-9))
def test_cube_amplitude_has_octahedral_symmetry(q, perm, signs, edge):
    # permuting axes and flipping signs are the 48 operations of m-3m: the cube looks the same
    q = np.array(q)
    a = cube_amplitude(q, edge)
    b = cube_amplitude(q[list(perm)] * np.array(signs), edge)
    assert_allclose(b, a, rtol=1e-12, atol=1e-18 * edge**3)
    assert abs(a) <= edge**3 * (1 + 1e-12)


@settings(max_examples=30, deadline=None)
@given(diameter=st.floats(0.2e-6, 5e-6), pulse=st.floats(1e-5, 5e-3), profile=st.sampled_from(["top-hat", "gaussian"]))
def test_fluence_integrates_to_the_photons_per_pulse(diameter, pulse, profile):
    beam = Beam(photon_energy_ev=1700, pulse_energy_j=pulse, focus_diameter_m=diameter, profile=profile)
    # ∫ J(r) 2πr dr on a fine radial grid to 4 beam diameters: the photons of the pulse (0.5 %:
    # the top-hat's edge falls inside one of 40,000 grid steps)
    r = np.linspace(0, 4 * diameter, 40001)
    j = beam.fluence_at(r, np.zeros_like(r))
    total = np.trapezoid(j * 2 * np.pi * r, r)
    assert_allclose(total, beam.photons_per_pulse(), rtol=5e-3)


@pytest.fixture(scope="module")
def reference_batch():
    from diffbench.recipes.catalogue import resolve
    from diffbench.simulate.spi.engine import Simulator

    recipe, _ = resolve("sphere-calibration-v2", overrides=["detector.preset=square-64",
                                                   "hits.classes={single: 0.5, multiple: 0.3, empty: 0.2}"])
    sim = Simulator(recipe, seed=11, use_cache=False)
    images, truth, parts = sim.simulate(range(12))
    return sim, images, truth, parts


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.integers(1, 11), max_size=5, unique=True))
def test_patterns_are_identical_however_the_indices_are_batched(reference_batch, cuts):
    # truth is sacred: pattern i depends only on (seed, i), never on which batch or worker renders it
    sim, images, truth, parts = reference_batch
    edges = [0] + sorted(cuts) + [12]
    got = [sim.simulate(range(a, b)) for a, b in zip(edges[:-1], edges[1:]) if b > a]
    assert np.array_equal(np.concatenate([g[0] for g in got]), images)
    t = np.concatenate([g[1] for g in got])
    for field in ("multiplicity", "photons_total", "expected_photons_total", "pulse_energy_j"):
        assert np.array_equal(t[field], truth[field])
    p = np.concatenate([g[2] for g in got])
    assert np.array_equal(p["orientation_wxyz"], parts["orientation_wxyz"])
    assert np.array_equal(p["position_m"], parts["position_m"])


@given(k=st.integers(0, 10_000), extra=st.integers(0, 10_000))
def test_wilson_interval_contains_the_proportion(k, extra):
    from diffbench.bench.metrics import wilson_interval

    n = k + extra
    lo, hi = wilson_interval(k, n)
    if n == 0:
        assert math.isnan(lo) and math.isnan(hi)
        return
    assert 0.0 <= lo <= k / n + 1e-12 and k / n - 1e-12 <= hi <= 1.0


@given(st.lists(st.floats(1e-6, 1e6, **finite), min_size=5, max_size=200))
def test_psd_contrast_of_a_positive_profile_lies_in_0_1(values):
    from diffbench.bench.metrics import psd_contrast

    g = psd_contrast(np.array(values))
    assert math.isnan(g) or 0.0 <= g <= 1.0


@given(angle=st.floats(0, 2 * np.pi), r=st.floats(0, 9.0), t=st.floats(0, 2 * np.pi))
def test_em_slicer_weights_are_a_partition_of_unity(angle, r, t):
    from diffbench.methods.em2d import rotation_slicer

    s = rotation_slicer(np.array([[r * np.cos(t), r * np.sin(t)]]), np.array([angle]), 21)
    w = s.toarray()
    assert np.all(w >= -1e-15) and math.isclose(w.sum(), 1.0, rel_tol=1e-12)

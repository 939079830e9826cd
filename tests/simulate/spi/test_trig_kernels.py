"""The vectorised sine/cosine and the amplitude and phase loops built on it, against numpy.

Each kernel helper is inlined into a caller; the render kernel is ``fastmath``, so every check runs
in a fastmath wrapper (where LLVM may reassociate the range reduction) as well as a strict one."""

import math

import numba as nb
import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.geometry.orientation import quaternion_to_matrix
from diffbench.physics.form_factors import cube_amplitude, sphere_amplitude
from diffbench.simulate.spi.trig_kernels import add_shifted, cube_amplitudes, sincos, sphere_amplitudes


def _sincos_loop(x, s_out, c_out):
    for i in range(x.size):
        s_out[i], c_out[i] = sincos(x[i])


WRAPPERS = {
    "strict": nb.njit(_sincos_loop),
    "fastmath": nb.njit(fastmath=True)(_sincos_loop),
}
SPHERE = nb.njit(fastmath=True)(lambda qt, valid, i0, i1, m, r, out: sphere_amplitudes(qt, valid, i0, i1, m, r, out))
CUBE = nb.njit(fastmath=True)(lambda qt, valid, i0, i1, m, a, out: cube_amplitudes(qt, valid, i0, i1, m, a, out))
SHIFT = nb.njit(fastmath=True)(
    lambda qt, i0, i1, ar, ai, r, fr, fi, acc_r, acc_i: add_shifted(qt, i0, i1, ar, ai, r, fr, fi, acc_r, acc_i))


def _run(kind, x):
    s = np.empty_like(x)
    c = np.empty_like(x)
    WRAPPERS[kind](x, s, c)
    return s, c


def _tolerance(kind, x):
    """Strict: 2.5e-16, about one ulp more than libm's own error (results lie in [−1, 1], where one
    ulp is ≤ 1.1e-16). Fastmath: LLVM reassociates x − k P1 − k P2 − k P3 into x − k·fl(π/2), and
    fl(π/2) is 6.1e-17 off, so the error grows as |k| 6.1e-17 ≈ 3.9e-17 |x| (measured 3.9e-12 at
    |x| = 1e5, 5e-14 at the kernel's largest phases, ~1.4e3 rad); 4e-17 |x| allows exactly that."""
    return 2.5e-16 + (4e-17 * np.abs(x) if kind == "fastmath" else 0.0)


@pytest.mark.parametrize("kind", sorted(WRAPPERS))
@pytest.mark.parametrize("limit", [2 * math.pi, 1e3, 1e5])
def test_sincos_matches_libm(kind, limit):
    """Measured strict maxima over 2·10⁶ arguments: 1.1e-16 (|x| ≤ 2π), 1.1e-16 (1e3), 2.2e-16
    (1e5). A wrong quadrant, sign or coefficient is off by ≥ 1e-3 somewhere in 2·10⁵ arguments."""
    x = np.random.default_rng(7).uniform(-limit, limit, 200_000)
    s, c = _run(kind, x)
    tol = _tolerance(kind, x)
    assert np.all(np.abs(s - np.sin(x)) <= tol)
    assert np.all(np.abs(c - np.cos(x)) <= tol)


@pytest.mark.parametrize("kind", sorted(WRAPPERS))
def test_sincos_at_quadrant_boundaries_and_tiny_arguments(kind):
    """Exact multiples of π/4 (where round(2x/π) switches quadrant) and arguments down to 1e-300,
    where sin x = x and cos x = 1 to the last bit."""
    x = np.concatenate([np.arange(-40, 41) * (math.pi / 4), [0.0, -0.0, 1e-300, -1e-300, 1e-8, 3e-5]])
    s, c = _run(kind, x)
    tol = _tolerance(kind, x)
    assert np.all(np.abs(s - np.sin(x)) <= tol)
    assert np.all(np.abs(c - np.cos(x)) <= tol)
    assert s[-2] == 1e-8 and c[-2] == 1.0


def _pixels(n=5000, seed=3, q_max=4e8):
    rng = np.random.default_rng(seed)
    qt = np.ascontiguousarray(rng.uniform(-q_max, q_max, (3, n)))
    valid = rng.random(n) > 0.1
    m = 1.07 * quaternion_to_matrix(rng.normal(size=4) / np.linalg.norm(rng.normal(size=4))).T
    return qt, valid, m


def test_sphere_amplitudes_match_the_closed_form():
    """Against physics.form_factors.sphere_amplitude (numpy) at |m q|, including the series below
    x = 0.01 (q near 0) and 0 on invalid pixels. atol 1e-12 V: the closed form loses up to four
    digits to cancellation just above x = 0.01 (relative 1e-16/x² = 1e-12) in both codes."""
    qt, valid, m = _pixels()
    qt[:, :50] *= 1e-7  # x ≪ 0.01: the series branch
    radius = 40e-9
    out = np.empty(qt.shape[1] - 100)
    SPHERE(qt, valid, 100, qt.shape[1], m, radius, out)  # a block that does not start at 0
    q_particle = np.linalg.norm(m @ qt[:, 100:], axis=0)
    want = np.where(valid[100:], sphere_amplitude(q_particle, radius), 0.0)
    volume = 4 / 3 * np.pi * radius**3
    assert_allclose(out, want, rtol=0, atol=1e-12 * volume)
    out0 = np.empty(50)
    SPHERE(qt, valid, 0, 50, m, radius, out0)
    q0 = np.linalg.norm(m @ qt[:, :50], axis=0)
    assert q0.max() * radius < 1e-2
    assert_allclose(out0, np.where(valid[:50], sphere_amplitude(q0, radius), 0.0), rtol=1e-15)


def test_cube_amplitudes_match_the_closed_form():
    """Against physics.form_factors.cube_amplitude in the particle frame (q' = m q). atol 1e-13 a³:
    products of three sinc values, each within a few 1e-16 of numpy's."""
    qt, valid, m = _pixels(seed=4)
    qt[:, :20] *= 1e-9  # sinc's series branch (|u| < 1e-4)
    edge = 30e-9
    out = np.empty(qt.shape[1])
    CUBE(qt, valid, 0, qt.shape[1], m, edge, out)
    want = np.where(valid, cube_amplitude((m @ qt).T, edge), 0.0)
    assert_allclose(out, want, rtol=0, atol=1e-13 * edge**3)


def test_add_shifted_is_a_times_f_times_the_phase_factor():
    """acc += a F e^{i q·r} for a particle 2 µm from its group's first one: phases up to
    q·r ≈ 1.4e3 rad, where an error in the range reduction would show. atol 1e-12 of |a F|."""
    qt, _, _ = _pixels(seed=5)
    rng = np.random.default_rng(6)
    n = qt.shape[1]
    f = rng.normal(size=n) + 1j * rng.normal(size=n)
    a = 0.3 - 1.2j
    r = np.array([1.2e-6, -1.5e-6, 0.4e-6])
    acc0 = rng.normal(size=n) + 1j * rng.normal(size=n)
    acc_re, acc_im = acc0.real.copy(), acc0.imag.copy()
    SHIFT(qt, 10, n, a.real, a.imag, (r[0], r[1], r[2]), f.real[10:].copy(), f.imag[10:].copy(),
          acc_re[10:], acc_im[10:])
    want = acc0.copy()
    want[10:] += a * f[10:] * np.exp(1j * (r @ qt[:, 10:]))
    scale = np.abs(a) * np.abs(f).max()
    assert_allclose(acc_re + 1j * acc_im, want, rtol=0, atol=1e-12 * scale)
    assert np.abs(r @ qt).max() > 1e3

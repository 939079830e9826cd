"""Shell correlations against analytic cases: identical volumes, independent noise, a known
signal-to-noise ratio, and the ½-bit curve's limits."""

import numpy as np
from numpy.testing import assert_allclose

from diffbench.bench.fsc import crossing_radius, fourier_shell_correlation, half_bit_threshold, shell_correlation


def test_half_bit_threshold_limits():
    assert_allclose(half_bit_threshold(1), 1.0, rtol=1e-4)  # (0.2071 + 1.9102) / (1.2071 + 0.9102)
    assert_allclose(half_bit_threshold(1e12), 0.2071 / 1.2071, rtol=1e-5)
    assert np.all(np.diff(half_bit_threshold(np.arange(1, 1000))) < 0)


def test_identical_volumes_correlate_fully_and_independent_noise_does_not(rng):
    v = rng.normal(size=(32, 32, 32))
    sc = fourier_shell_correlation(v, v)
    assert_allclose(sc.correlation[1:], 1.0, rtol=1e-12)
    noise = fourier_shell_correlation(v, rng.normal(size=v.shape))
    # shells of n voxels: the correlation of independent noise has sd ~ 1/sqrt(n); 5 sd
    k = np.arange(3, len(sc.correlation))
    assert (np.abs(noise.correlation[k]) < 5 / np.sqrt(sc.n_voxels[k])).all()
    assert crossing_radius(noise) <= 3


def test_a_known_signal_to_noise_ratio_gives_snr_over_one_plus_snr(rng):
    # two halves = common signal (power S) + independent noise (power N): FSC -> S / (S + N)
    shape, snr = (40, 40, 40), 0.5
    signal = rng.normal(size=shape)
    a = signal + rng.normal(size=shape) / np.sqrt(snr)
    b = signal + rng.normal(size=shape) / np.sqrt(snr)
    sc = fourier_shell_correlation(a, b)
    k = np.arange(6, len(sc.correlation))
    assert_allclose(sc.correlation[k], snr / (1 + snr), atol=5 / np.sqrt(sc.n_voxels[k].min()))
    # n voxels per shell ~ 4 pi r^2 for one-voxel shells
    assert_allclose(sc.n_voxels[10], 4 * np.pi * 10**2, rtol=0.1)


def test_the_crossing_follows_a_falling_correlation():
    # a correlation that falls linearly through a flat 0.5 threshold between shells 7 and 8
    r = np.arange(16, dtype=float)
    from diffbench.bench.fsc import ShellCorrelation

    sc = ShellCorrelation(r, 1.0 - r / 15.0, np.full(16, 100), np.full(16, 0.5))
    assert_allclose(crossing_radius(sc), 7.5, rtol=1e-12)
    assert crossing_radius(sc, threshold=-1.0) == 15.0  # never below: the last shell


def test_intensity_volumes_are_correlated_as_they_are(rng):
    a = rng.random((24, 24, 24))
    sc = shell_correlation(a, 2.0 * a)  # a scale does not change a correlation
    assert_allclose(sc.correlation, 1.0, rtol=1e-12)
    mask = np.zeros(a.shape, bool)
    mask[:12] = True
    assert (shell_correlation(a, a, mask).n_voxels < sc.n_voxels).any()


def test_without_the_isotropic_part_the_spherical_average_scores_zero(rng):
    """Two positive intensity volumes falling with |q| correlate near 1 shell by shell whatever their
    detail; with each shell's mean removed, a model that is the truth's spherical average plus
    detail of its own (independent noise) scores 0 within the noise (sd 1/√n for n voxels) and the
    truth itself 1."""
    n = 25
    z, y, x = np.meshgrid(*[np.arange(n) - n // 2] * 3, indexing="ij")
    r = np.sqrt(x**2 + y**2 + z**2)
    truth = np.exp(-r / 4) * (1 + 0.5 * np.cos(0.9 * x) * np.cos(0.7 * y))  # anisotropic detail
    shells = np.rint(r).astype(int)
    mean = (np.bincount(shells.ravel(), truth.ravel()) / np.bincount(shells.ravel()))[shells]
    plain = shell_correlation(truth, mean).correlation[1:12]
    assert (plain > 0.8).all()  # without the shell means: high for a model with no detail at all
    sc = shell_correlation(truth, mean * (1 + 0.3 * rng.normal(size=truth.shape)), subtract_isotropic=True)
    k = np.arange(2, 12)
    assert (np.abs(sc.correlation[k]) < 5 / np.sqrt(sc.n_voxels[k])).all(), sc.correlation[k]
    assert_allclose(shell_correlation(truth, truth, subtract_isotropic=True).correlation[2:12], 1.0, rtol=1e-12)


def test_two_isotropic_volumes_with_different_radial_falls_share_no_anisotropic_structure(rng):
    """Within a one-voxel shell a steep intensity falls by a factor of several; removing only the
    shell's mean leaves that fall, and two isotropic volumes whose falls differ in slope correlate
    near ±1 on shells where neither has any angular detail. With the radial profile removed they
    score 0 within the noise of the voxels' angular scatter (sd ~1/sqrt(n) for n voxels per shell:
    5 sd allowed), while the shell-mean-only correlation of the same pair is 0.7-0.9."""
    n = 25
    z, y, x = np.meshgrid(*[np.arange(n) - n // 2] * 3, indexing="ij")
    r = np.sqrt(x**2 + y**2 + z**2)
    a = np.exp(-r / 1.5) * (1 + 0.05 * rng.normal(size=r.shape))
    b = np.exp(-r / 3.0) * (1 + 0.05 * rng.normal(size=r.shape))
    shells = np.rint(r).astype(int)
    k = np.arange(3, 12)
    dev = lambda v: v - (np.bincount(shells.ravel(), v.ravel()) / np.bincount(shells.ravel()))[shells]  # noqa: E731
    mean_only = np.array([np.corrcoef(dev(a)[shells == s], dev(b)[shells == s])[0, 1] for s in k])
    assert (mean_only > 0.6).all(), mean_only  # measured 0.70-0.88
    sc = shell_correlation(a, b, subtract_isotropic=True)
    assert (np.abs(sc.correlation[k]) < 5 / np.sqrt(sc.n_voxels[k])).all(), sc.correlation[k]


def test_shell_anisotropy_is_zero_for_a_function_of_q_alone_and_large_for_angular_detail():
    """exp(-r/3) varies only with |q|: what the quarter-voxel radial profile leaves is its curvature
    within a bin, ~ (1/9)(1/8)^2/2 ~ 1e-3 of it (< 1 % asserted); 1 + 0.5 cos(0.9 x) cos(0.7 y) varies
    by about 0.5/2 = 25 % rms over angles on every shell past the second."""
    from diffbench.bench.fsc import shell_anisotropy

    n = 25
    z, y, x = np.meshgrid(*[np.arange(n) - n // 2] * 3, indexing="ij")
    r = np.sqrt(x**2 + y**2 + z**2)
    iso = shell_anisotropy(np.exp(-r / 3))
    assert (iso[1:13] < 0.01).all(), iso
    detail = shell_anisotropy(np.exp(-r / 3) * (1 + 0.5 * np.cos(0.9 * x) * np.cos(0.7 * y)))
    assert (detail[3:13] > 0.1).all(), detail


def test_a_lone_dip_is_passed_over_when_two_shells_in_a_row_are_asked():
    from diffbench.bench.fsc import ShellCorrelation

    c = np.array([1.0, 0.9, 0.1, 0.9, 0.8, 0.1, 0.05, 0.0])
    sc = ShellCorrelation(np.arange(8.0), c, np.full(8, 10**6), np.full(8, 0.5))
    assert_allclose(crossing_radius(sc), 1 + 0.4 / 0.8, rtol=1e-12)  # first crossing: between shells 1 and 2
    assert_allclose(crossing_radius(sc, consecutive=2), 4 + 0.3 / 0.7, rtol=1e-12)  # the lone dip at 2 passed over

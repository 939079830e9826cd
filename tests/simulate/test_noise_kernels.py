"""Poisson sampling of the kernel: mean, variance, distribution, determinism."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import stats

from diffbench.simulate import noise_kernels

N = 200_000


@pytest.mark.parametrize("lam", [1e-3, 0.3, 3.0, 9.99, 10.0, 47.0, 1e4])
def test_poisson_mean_and_variance(lam):
    out = np.empty(N, dtype=np.int64)
    noise_kernels.poisson_fill(np.full(N, lam), np.uint64(12345), out)
    # mean within 5 standard errors; variance within 5 standard errors of the sample variance
    # (var of s² for Poisson ≈ (λ + 2λ²)/N)
    assert abs(out.mean() - lam) < 5 * np.sqrt(lam / N)
    assert abs(out.var() - lam) < 5 * np.sqrt((lam + 2 * lam * lam) / N) + 1e-12


@pytest.mark.parametrize("lam", [2.5, 30.0])
def test_poisson_distribution_chi_square(lam):
    out = np.empty(N, dtype=np.int64)
    noise_kernels.poisson_fill(np.full(N, lam), np.uint64(777), out)
    lo, hi = int(stats.poisson.ppf(1e-4, lam)), int(stats.poisson.ppf(1 - 1e-4, lam))
    ks = np.arange(lo, hi + 1)
    obs = np.array([(out == k).sum() for k in ks])
    exp = stats.poisson.pmf(ks, lam) * N
    obs = np.append(obs, N - obs.sum())
    exp = np.append(exp, N - exp.sum())
    chi2 = ((obs - exp) ** 2 / exp).sum()
    assert stats.chi2.sf(chi2, len(ks)) > 1e-4


def test_draws_depend_only_on_key_and_pixel():
    lam = np.linspace(0, 50, 1000)
    a = np.empty(1000, dtype=np.int64)
    b = np.empty(1000, dtype=np.int64)
    noise_kernels.poisson_fill(lam, np.uint64(5), a)
    noise_kernels.poisson_fill(lam, np.uint64(5), b)
    assert_array_equal(a, b)
    noise_kernels.poisson_fill(lam, np.uint64(6), b)
    assert (a != b).any()


def test_kernel_route_gives_the_same_counts_as_the_sampler():
    """The kernel decides k = 0 from each pixel's precomputed first uniform for λ < 10 and calls the
    sampler otherwise: the counts must be those of the sampler alone, including λ ≤ 0, λ just under
    and at 10, and large λ."""
    rng = np.random.default_rng(3)
    lam = np.concatenate([[-1.0, 0.0, 1e-12, 9.999999, 10.0, 10.000001, 1e5],
                          10 ** rng.uniform(-4, 2, 20_000)])
    a = np.empty(lam.size, dtype=np.int64)
    b = np.empty(lam.size, dtype=np.int64)
    noise_kernels.poisson_fill(lam, np.uint64(99), a, given_first=True)
    noise_kernels.poisson_fill(lam, np.uint64(99), b, given_first=False)
    assert_array_equal(a, b)
    assert (a > 0).mean() > 0.3  # the comparison covers non-zero counts too

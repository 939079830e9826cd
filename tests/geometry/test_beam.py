"""Beam: wavelength, fluence, profiles at off-axis positions, unbiased jitter."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.geometry.beam import Beam, photon_energy_ev, wavelength_m


def test_wavelength_of_1700_ev():
    # 1.7 keV ↔ 0.7293 nm (paper 000 quotes 0.729 nm); CODATA hc to 1e-9 relative.
    assert_allclose(wavelength_m(1700.0), 7.29318814e-10, rtol=1e-8)
    assert_allclose(photon_energy_ev(wavelength_m(6000.0)), 6000.0, rtol=1e-12)


def test_top_hat_fluence_is_photons_over_area():
    b = Beam(4600.0, 7.37e-4, 1.0e-6, profile="top-hat")
    n = 7.37e-4 / (4600.0 * 1.602176634e-19)
    assert_allclose(b.peak_fluence(), n / (math.pi * 0.25e-12), rtol=1e-12)
    # inside the disk: J0; just outside: 0
    assert_allclose(b.fluence_at([0.0, 0.49e-6], [0.0, 0.0]), [b.peak_fluence()] * 2, rtol=1e-12)
    assert b.fluence_at(0.51e-6, 0.0) == 0.0


def test_gaussian_profile_half_maximum_at_half_fwhm_off_axis():
    b = Beam(1700.0, 2e-4, 1.5e-6, profile="gaussian")
    j0 = b.peak_fluence()
    # at (x, y) with r = FWHM/2 the fluence is half the peak, in any transverse direction
    for x, y in [(0.75e-6, 0.0), (0.0, 0.75e-6), (0.75e-6 / math.sqrt(2), 0.75e-6 / math.sqrt(2))]:
        assert_allclose(b.fluence_at(x, y), 0.5 * j0, rtol=1e-12)


def test_gaussian_profile_integrates_to_photons_per_pulse():
    b = Beam(1700.0, 2e-4, 1.5e-6, profile="gaussian")
    x = np.linspace(-6e-6, 6e-6, 1201)
    dx = x[1] - x[0]
    total = b.fluence_at(x[None, :], x[:, None]).sum() * dx * dx
    # grid quadrature of a smooth Gaussian with 0.01 µm steps: error far below 1e-6
    assert_allclose(total, b.photons_per_pulse(), rtol=1e-6)


def test_pulse_energy_jitter_is_unbiased(rng):
    b = Beam(1700.0, 2e-4, 1.5e-6, pulse_energy_jitter=0.3)
    e = np.array([b.sample_pulse_energy(rng) for _ in range(40000)])
    # mean within 5 standard errors of the nominal value; relative sd near 0.3
    assert abs(e.mean() / 2e-4 - 1) < 5 * 0.3 / math.sqrt(len(e))
    assert_allclose(e.std() / e.mean(), 0.3, rtol=0.03)
    assert (e > 0).all()


@pytest.mark.parametrize("field,value", [("photon_energy_ev", -1.0), ("pulse_energy_j", 0.0), ("focus_diameter_m", float("nan"))])
def test_bad_beam_values_name_the_field(field, value):
    kw = dict(photon_energy_ev=1700.0, pulse_energy_j=1e-3, focus_diameter_m=1e-6)
    kw[field] = value
    with pytest.raises(ValueError, match=field):
        Beam(**kw)

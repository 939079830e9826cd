"""The X-ray beam: photon energy, wavelength, fluence, focus profile, jitter, polarisation.

Units are SI: pulse energy in joules, focus diameter in metres, fluence in photons/m².
The transverse plane is (x, y); z is along the beam (docs/conventions.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from diffbench.units import EV_J, HC_EV_M

Polarisation = Literal["horizontal", "vertical", "unpolarised"]
Profile = Literal["top-hat", "gaussian"]


def wavelength_m(photon_energy_ev: float) -> float:
    """Photon wavelength in metres, λ = h c / E."""
    if photon_energy_ev <= 0:
        raise ValueError(f"photon_energy_ev must be > 0, got {photon_energy_ev!r}")
    return HC_EV_M / photon_energy_ev


def photon_energy_ev(wavelength: float) -> float:
    """Photon energy in eV for a wavelength in metres (inverse of :func:`wavelength_m`)."""
    if wavelength <= 0:
        raise ValueError(f"wavelength must be > 0, got {wavelength!r}")
    return HC_EV_M / wavelength


@dataclass(frozen=True)
class Beam:
    """A pulsed, focused X-ray beam.

    Parameters
    ----------
    photon_energy_ev : photon energy in eV.
    pulse_energy_j : mean pulse energy at the sample in joules (after beamline transmission).
    focus_diameter_m : top-hat diameter, or full width at half maximum of the Gaussian profile.
    profile : ``"top-hat"`` (uniform inside the diameter, zero outside) or ``"gaussian"``.
    pulse_energy_jitter : relative standard deviation of the pulse energy. The jitter is a
        gamma distribution with mean 1 (unbiased: the mean fluence is the nominal one, and it
        never goes negative).
    polarisation : ``"horizontal"`` (along x, the XFEL default), ``"vertical"`` (along y) or
        ``"unpolarised"``.
    """

    photon_energy_ev: float
    pulse_energy_j: float
    focus_diameter_m: float
    profile: Profile = "gaussian"
    pulse_energy_jitter: float = 0.0
    polarisation: Polarisation = "horizontal"

    def __post_init__(self):
        for name in ("photon_energy_ev", "pulse_energy_j", "focus_diameter_m"):
            value = getattr(self, name)
            if not (value > 0 and math.isfinite(value)):
                raise ValueError(f"beam.{name} must be a finite number > 0, got {value!r}")
        if not self.pulse_energy_jitter >= 0:
            raise ValueError(f"beam.pulse_energy_jitter must be >= 0, got {self.pulse_energy_jitter!r}")
        if self.profile not in ("top-hat", "gaussian"):
            raise ValueError(f"beam.profile must be 'top-hat' or 'gaussian', got {self.profile!r}")
        if self.polarisation not in ("horizontal", "vertical", "unpolarised"):
            raise ValueError(
                f"beam.polarisation must be horizontal, vertical or unpolarised, got {self.polarisation!r}"
            )

    @property
    def wavelength_m(self) -> float:
        return wavelength_m(self.photon_energy_ev)

    @property
    def photon_energy_j(self) -> float:
        return self.photon_energy_ev * EV_J

    @property
    def k_m(self) -> float:
        """Wavenumber 2π/λ in 1/m."""
        return 2.0 * math.pi / self.wavelength_m

    def photons_per_pulse(self, pulse_energy_j: float | None = None) -> float:
        """Number of photons in a pulse of the given (default: nominal) energy."""
        e = self.pulse_energy_j if pulse_energy_j is None else pulse_energy_j
        return e / self.photon_energy_j

    def peak_fluence(self, pulse_energy_j: float | None = None) -> float:
        """Fluence on the beam axis in photons/m².

        Top-hat: N / (π d²/4). Gaussian with FWHM d: N / (2π σ²), σ = d / (2√(2 ln 2)),
        so that the integral over the plane is the number of photons N.
        """
        n = self.photons_per_pulse(pulse_energy_j)
        d = self.focus_diameter_m
        if self.profile == "top-hat":
            return n / (math.pi * d * d / 4.0)
        sigma = d / (2.0 * math.sqrt(2.0 * math.log(2.0)))
        return n / (2.0 * math.pi * sigma * sigma)

    def fluence_at(self, x_m, y_m, pulse_energy_j: float | None = None):
        """Fluence in photons/m² at transverse position(s) (x, y) in metres.

        The beam axis is at x = y = 0; the along-beam coordinate z does not enter.
        """
        x = np.asarray(x_m, dtype=float)
        y = np.asarray(y_m, dtype=float)
        r2 = x * x + y * y
        j0 = self.peak_fluence(pulse_energy_j)
        d = self.focus_diameter_m
        if self.profile == "top-hat":
            return np.where(r2 <= (d / 2.0) ** 2, j0, 0.0)
        sigma = d / (2.0 * math.sqrt(2.0 * math.log(2.0)))
        return j0 * np.exp(-r2 / (2.0 * sigma * sigma))

    def sample_pulse_energy(self, rng: np.random.Generator) -> float:
        """One pulse energy in joules, with unbiased relative jitter (gamma, mean 1)."""
        s = self.pulse_energy_jitter
        if s < 1e-6:  # below a part per million the gamma is the constant (and 1/s² would overflow)
            return self.pulse_energy_j
        shape = 1.0 / (s * s)
        return self.pulse_energy_j * rng.gamma(shape, 1.0 / shape)

    @property
    def polarisation_vector(self) -> np.ndarray | None:
        """Unit electric-field vector, or None for an unpolarised beam."""
        if self.polarisation == "horizontal":
            return np.array([1.0, 0.0, 0.0])
        if self.polarisation == "vertical":
            return np.array([0.0, 1.0, 0.0])
        return None

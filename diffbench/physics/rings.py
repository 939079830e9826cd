"""Powder rings, single-crystal spots and amorphous halos, in absolute units.

Everything here is a differential cross-section dσ/dΩ (m²/sr) per unit of material: per m³ of
crystal for ice, per formula unit for amorphous material. An image is then
``expected counts = fluence (1/m²) × amount × dσ/dΩ × dΩ_pixel`` (× the polarisation factor for
X-rays), added to the particle signal before Poisson noise.

Radiation: X-rays scatter with f = r_e · f0(q) (m); electrons with the Mott–Bethe factor f_e(q) (m).

Crystal (kinematic, first Born; derivation in docs of :func:`powder_cross_section_per_m3`): a crystal
of volume V scatters dσ/dΩ = |F(q)|² V (2π)³ / v_c² Σ_g δ³(q − g). Finite crystallite size
replaces δ³ by a normalised Gaussian of standard deviation σ_q = Δq_FWHM / 2.3548 with the Scherrer
width Δq_FWHM = 2π K / L (K = 0.9), combined in quadrature with the instrument's width.

* A powder (random orientations) averages δ³(q − Rg) to δ(|q| − |g|) / (4π g²): a ring whose total
  cross-section is σ = f² m |G|² V λ³ / (4 v_c² sin θ) (the classical powder formula).
* A single crystal at orientation R puts each reflection on the Ewald sphere at q = Rg, weighted by
  its excitation error s (distance of Rg from the sphere): the spot's total cross-section is
  f² |G|² V (2π)³ / v_c² · N(s; σ_s) / k².

Amorphous material: dσ/dΩ per formula unit = Σ_atoms f_atom(q)² · S(q) with a model structure
factor S(q) = 1 − exp(−(q/q_c)²) + Σ_halos h · exp(−(q − q_h)² / 2σ_h²): halo positions, widths and
heights are parameters, the baseline → 1 at large q (independent atoms).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from diffbench.physics.ice import PHASES, reflections
from diffbench.units import (
    ANGSTROM,  # noqa: E402
    R_E_M,
)

FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
#: Scherrer shape factor K for roughly equiaxed crystallites.
SCHERRER_K = 0.9


# ----------------------------------------------------------------------------------- geometry
def bragg_two_theta_rad(d_m, wavelength_m):
    """Scattering angle 2θ = 2 asin(λ / 2d) of a lattice spacing d (both metres)."""
    return 2.0 * np.arcsin(np.asarray(wavelength_m) / (2.0 * np.asarray(d_m)))


def ring_radius_m(d_m, wavelength_m, distance_m):
    """Radius on a flat detector normal to the beam: r = L tan(2 asin(λ / 2d)), metres."""
    return distance_m * np.tan(bragg_two_theta_rad(d_m, wavelength_m))


def scherrer_fwhm_q(crystallite_size_m: float, k: float = SCHERRER_K) -> float:
    """Scherrer width in |q|: Δq_FWHM = 2π K / L (1/m); equal to β = K λ / (L cos θ) in 2θ."""
    if not crystallite_size_m > 0:
        raise ValueError(f"crystallite_size_m must be > 0, got {crystallite_size_m!r}")
    return 2.0 * math.pi * k / crystallite_size_m


def scherrer_fwhm_two_theta_rad(crystallite_size_m: float, wavelength_m: float, d_m: float, k: float = SCHERRER_K):
    """The textbook Scherrer equation β = K λ / (L cos θ) (radians of 2θ)."""
    theta = math.asin(wavelength_m / (2 * d_m))
    return k * wavelength_m / (crystallite_size_m * math.cos(theta))


def ring_sigma_q(crystallite_size_m: float, instrument_fwhm_q_m: float = 0.0) -> float:
    """Standard deviation in |q| (1/m) of a ring: Scherrer and instrument widths in quadrature."""
    fwhm = math.hypot(scherrer_fwhm_q(crystallite_size_m), instrument_fwhm_q_m)
    return fwhm / FWHM_PER_SIGMA


def _gauss(x, sigma):
    return np.exp(-0.5 * (x / sigma) ** 2) / (sigma * math.sqrt(2.0 * math.pi))


# ---------------------------------------------------------------------------------- radiation
@dataclass(frozen=True)
class Radiation:
    """X-rays (``voltage_v`` None) or electrons; ``wavelength_m`` in metres."""

    wavelength_m: float
    voltage_v: float | None = None

    @property
    def kind(self) -> str:
        return "xray" if self.voltage_v is None else "electron"

    @property
    def k_m(self) -> float:
        return 2.0 * math.pi / self.wavelength_m

    def scattering_factor_m(self, element: str, q_m) -> np.ndarray:
        """Atomic scattering amplitude in metres: r_e f0(q) for X-rays, f_e(q) for electrons."""
        from diffbench.physics.electron import electron_scattering_factor_m
        from diffbench.physics.scattering_factors import element_factor

        if self.voltage_v is None:
            return R_E_M * element_factor(element, q_m, None).real
        return electron_scattering_factor_m(element, q_m, self.voltage_v)


def xray(wavelength_m: float) -> Radiation:
    return Radiation(wavelength_m)


def electrons(voltage_v: float) -> Radiation:
    from diffbench.physics.electron import electron_wavelength_m

    return Radiation(electron_wavelength_m(voltage_v), voltage_v)


# --------------------------------------------------------------------------------- crystalline
def _line_table(phase: str, radiation: Radiation, d_min_m: float, b_factor_m2: float, line_scale=None):
    """Per reflection: |g| (1/m) and f_O² |G|² e^{−2B s²} (m²), s = |g| / 4π; ``line_scale``
    ({d_m: factor}) multiplies the reflections within 0.005 Å of each d."""
    r = reflections(phase, d_min_m)
    g = 2 * math.pi / r.d_m
    f = radiation.scattering_factor_m("O", g)
    s = g / (4 * math.pi)
    w = f * f * r.g2 * np.exp(-2.0 * b_factor_m2 * s * s)
    for d, factor in (line_scale or {}).items():
        w = np.where(np.abs(r.d_m - d) < 0.005 * ANGSTROM, w * factor, w)
    return r, g, w


def powder_cross_section_per_m3(q_m, phase: str, radiation: Radiation, sigma_q_m, d_min_m: float = 0.9 * ANGSTROM,
                                b_factor_m2: float = 1.5 * ANGSTROM**2, line_scale=None) -> np.ndarray:
    """dσ/dΩ per m³ of randomly oriented crystallites (m²/sr/m³ = 1/(m sr)) at |q| = ``q_m``.

    Σ_g |F_g|² (2π)³ / v_c² · N(|q| − |g|; σ_q) / (4π |g|²); ``sigma_q_m`` may be an array (per-pixel
    widths, e.g. including the pixel's own extent in q); ``line_scale`` {d_m: factor} tunes lines.
    """
    _, g, w = _line_table(phase, radiation, d_min_m, b_factor_m2, line_scale)
    vc = PHASES[phase].cell_volume_m3
    q = np.asarray(q_m, dtype=float)
    sig = np.broadcast_to(np.asarray(sigma_q_m, dtype=float), q.shape)
    out = np.zeros(q.shape)
    pref = (2 * math.pi) ** 3 / vc**2
    for gi in np.unique(g.round(decimals=-3)):
        sel = np.abs(g - gi) < 1e3
        gm, wsum = g[sel].mean(), w[sel].sum()
        near = np.abs(q - gm) < 8 * sig
        if near.any():
            out[near] += pref * wsum * _gauss(q[near] - gm, sig[near]) / (4 * math.pi * gm * gm)
    return out


def powder_ring_total_cross_section_per_m3(phase: str, d_m: float, radiation: Radiation,
                                           b_factor_m2: float = 1.5 * ANGSTROM**2, line_scale=None) -> float:
    """Total cross-section (m² per m³ of powder) of the powder line at ``d_m``: the classical
    f² m |G|² λ³ / (4 v_c² sin θ), integrated over the whole cone (for tests and amplitudes);
    ``line_scale`` as for :func:`powder_cross_section_per_m3`."""
    r, g, w = _line_table(phase, radiation, 0.9 * d_m, b_factor_m2, line_scale)
    sel = np.abs(r.d_m - d_m) < 1e-3 * ANGSTROM
    if not sel.any():
        raise ValueError(f"no {phase} line at d = {d_m * 1e10:.4f} Å")
    vc = PHASES[phase].cell_volume_m3
    lam = radiation.wavelength_m
    sin_t = lam / (2 * d_m)
    return float(w[sel].sum() * lam**3 / (4 * vc**2 * sin_t))


@dataclass(frozen=True)
class Spot:
    """One excited reflection of a single crystal: where it lands and how strong it is.

    q_m : the spot's scattering vector (on the Ewald sphere), 1/m, lab frame (beam along +z).
    cross_section_m2_per_m3 : total dσ (integrated over the spot) per m³ of crystal.
    hkl, excitation_error_m : bookkeeping for truth.
    """

    q_m: np.ndarray
    cross_section_m2_per_m3: float
    hkl: tuple
    excitation_error_m: float


def crystal_spots(rotation: np.ndarray, phase: str, radiation: Radiation, sigma_q_m: float, sigma_normal_m: float | None = None,
                  d_min_m: float = 0.9 * ANGSTROM, b_factor_m2: float = 1.5 * ANGSTROM**2,
                  max_excitation_sigmas: float = 4.0) -> list[Spot]:
    """Excited reflections of one crystal rotated by ``rotation`` (3×3, crystal → lab).

    A reflection at Rg is excited when its excitation error s = |k ẑ + Rg| − k lies within
    ``max_excitation_sigmas`` of the shape function's width along the sphere normal,
    ``sigma_normal_m`` (default ``sigma_q_m``; thin plates normal to the beam have a wider one,
    σ = 0.9·2π / (2.3548 t)). The spot's direction is that of k ẑ + Rg.
    """
    r, g, w = _line_table(phase, radiation, d_min_m, b_factor_m2)
    vc = PHASES[phase].cell_volume_m3
    k = radiation.k_m
    sn = sigma_q_m if sigma_normal_m is None else sigma_normal_m
    rg = r.g_m @ np.asarray(rotation).T
    kout = rg.copy()
    kout[:, 2] += k
    s = np.linalg.norm(kout, axis=1) - k
    on = np.abs(s) < max_excitation_sigmas * sn
    spots = []
    pref = (2 * math.pi) ** 3 / vc**2 / (k * k)
    for i in np.flatnonzero(on):
        q = kout[i] / np.linalg.norm(kout[i]) * k
        q[2] -= k
        spots.append(Spot(q, float(pref * w[i] * _gauss(s[i], sn)), tuple(int(v) for v in r.hkl[i]), float(s[i])))
    return spots


# ----------------------------------------------------------------------------------- amorphous
@dataclass(frozen=True)
class Halo:
    """A broad ring of an amorphous material: centre d (m), FWHM in |q| (1/m), peak height added
    to S(q)."""

    d_m: float
    fwhm_q_m: float
    height: float

    @property
    def q_m(self) -> float:
        return 2 * math.pi / self.d_m


@dataclass(frozen=True)
class AmorphousMaterial:
    """An amorphous material: composition of one formula unit, number density of formula units
    (1/m³), its halos (tunable) and the |q| (1/m) below which S(q) falls to 0
    (q_cut: 0.7 × the first halo's q by default)."""

    name: str
    composition: dict
    number_density_m3: float
    halos: tuple[Halo, ...] = field(default=())
    q_cut_m: float | None = None

    def structure_factor(self, q_m) -> np.ndarray:
        """Model S(q): low-q suppression to 0, baseline 1, Gaussian halos."""
        q = np.asarray(q_m, dtype=float)
        q_cut = self.q_cut_m or (0.7 * self.halos[0].q_m if self.halos else 1e-30)
        s = 1.0 - np.exp(-((q / q_cut) ** 2))
        for h in self.halos:
            sig = h.fwhm_q_m / FWHM_PER_SIGMA
            s = s + h.height * np.exp(-0.5 * ((q - h.q_m) / sig) ** 2)
        return s

    def cross_section_per_unit(self, q_m, radiation: Radiation) -> np.ndarray:
        """dσ/dΩ per formula unit (m²/sr): Σ n_el f_el(q)² · S(q)."""
        q = np.asarray(q_m, dtype=float)
        self_term = sum(n * radiation.scattering_factor_m(el, q) ** 2 for el, n in self.composition.items())
        return self_term * self.structure_factor(q)


def _per_m3(mass_density_kg_m3: float, molar_mass_g: float) -> float:
    return mass_density_kg_m3 * 1000.0 / molar_mass_g * 6.02214076e23


_Q = 1e10  # 1/Å in 1/m
#: Default amorphous materials: positions as d, FWHM as ΔQ in Å⁻¹.
AMORPHOUS = {
    # Vitreous (≈ LDA) ice, 0.94 g/cm³: main halo 3.7 Å (Q 1.70 Å⁻¹), second ≈ 2.14 Å.
    "vitreous-ice": AmorphousMaterial("vitreous-ice", {"O": 1, "H": 2}, _per_m3(940.0, 18.015),
                                      (Halo(3.7 * ANGSTROM, 0.28 * _Q, 1.6), Halo(2.14 * ANGSTROM, 0.45 * _Q, 0.5))),
    # Liquid water at room temperature, 1.00 g/cm³: main peak ≈ 3.1 Å (Q 2.0 Å⁻¹), shoulder ≈ 2.2 Å.
    "liquid-water": AmorphousMaterial("liquid-water", {"O": 1, "H": 2}, _per_m3(1000.0, 18.015),
                                      (Halo(3.1 * ANGSTROM, 0.55 * _Q, 1.2), Halo(2.2 * ANGSTROM, 0.6 * _Q, 0.3))),
    # Evaporated amorphous carbon, 2.0 g/cm³: graphite-like (10) and (11) bands at ≈ 2.1 and 1.2 Å,
    # a weak turbostratic (002)-like band near 3.6 Å; S(q) suppressed below ≈ 2.2 Å⁻¹.
    "amorphous-carbon": AmorphousMaterial("amorphous-carbon", {"C": 1}, _per_m3(2000.0, 12.011),
                                          (Halo(2.1 * ANGSTROM, 0.5 * _Q, 1.5), Halo(1.2 * ANGSTROM, 0.6 * _Q, 0.6),
                                           Halo(3.6 * ANGSTROM, 0.5 * _Q, 0.1))),
}


def get_amorphous(name: str) -> AmorphousMaterial:
    if name not in AMORPHOUS:
        raise ValueError(f"unknown amorphous material {name!r}; known: {', '.join(sorted(AMORPHOUS))}")
    return AMORPHOUS[name]

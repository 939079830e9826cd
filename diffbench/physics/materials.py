"""Materials: electron density and complex scattering factor from composition and mass density.

ρ_e = ρ_mass · N_A · Σ n_k Z_k / Σ n_k A_k. The forward scattering factor per
formula unit is Σ n_k (Z_k + f'_k + i f''_k) at the photon energy, with the anomalous terms
from Chantler's tables through xraydb (no hand-typed tables). ``anomalous=False`` gives f = Z.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from diffbench.units import AVOGADRO

_FORMULA_RE = re.compile(r"([A-Z][a-z]?)(\d*\.?\d*)")


def parse_formula(formula: str) -> dict[str, float]:
    """``"H86C52N13O15S1"`` → {"H": 86, "C": 52, ...}. Fractional counts allowed.

    Element symbols are checked against gemmi's periodic table (imports in ~20 ms), not xraydb's
    (~0.6 s with its scipy and SQLAlchemy imports): every process parses the named materials at
    start-up, and most runs with a cached volume never need xraydb at all."""
    import gemmi

    out: dict[str, float] = {}
    pos = 0
    for m in _FORMULA_RE.finditer(formula.replace(" ", "")):
        if m.start() != pos:
            break
        sym, count = m.group(1), m.group(2)
        if gemmi.Element(sym).atomic_number == 0:  # gemmi's answer for an unknown symbol
            raise ValueError(f"unknown element {sym!r} in formula {formula!r}")
        out[sym] = out.get(sym, 0.0) + (float(count) if count else 1.0)
        pos = m.end()
    if pos != len(formula.replace(" ", "")) or not out:
        raise ValueError(f"cannot parse chemical formula {formula!r}")
    return out


@dataclass(frozen=True)
class Material:
    """A homogeneous material.

    Parameters
    ----------
    name : label.
    formula : chemical formula of one (average) formula unit, e.g. ``"H2O"``.
    mass_density_kg_m3 : mass density in kg/m³.
    """

    name: str
    formula: str
    mass_density_kg_m3: float

    def __post_init__(self):
        if not (self.mass_density_kg_m3 > 0 and math.isfinite(self.mass_density_kg_m3)):
            raise ValueError(f"material {self.name!r}: mass_density_kg_m3 must be > 0, got {self.mass_density_kg_m3!r}")
        parse_formula(self.formula)

    @property
    def composition(self) -> dict[str, float]:
        return parse_formula(self.formula)

    @property
    def electrons_per_unit(self) -> float:
        import xraydb

        return sum(n * xraydb.atomic_number(el) for el, n in self.composition.items())

    @property
    def molar_mass_kg(self) -> float:
        import xraydb

        return sum(n * xraydb.atomic_mass(el) for el, n in self.composition.items()) * 1e-3

    @property
    def electron_density_m3(self) -> float:
        """Electrons per m³."""
        return self.mass_density_kg_m3 * AVOGADRO * self.electrons_per_unit / self.molar_mass_kg

    def scattering_factor_ratio(self, photon_energy_ev: float, anomalous: bool = True) -> complex:
        """(Σ n (Z + f' + i f'')) / Σ n Z at the photon energy: the complex factor per electron."""
        if not anomalous:
            return 1.0 + 0.0j
        return _factor_ratio(self.formula, float(photon_energy_ev))

    def scattering_density(self, photon_energy_ev: float, anomalous: bool = True) -> complex:
        """Complex scattering density ρ_e · f/Z in electrons/m³ (forward direction)."""
        return self.electron_density_m3 * self.scattering_factor_ratio(photon_energy_ev, anomalous)


@functools.lru_cache(maxsize=256)
def _factor_ratio(formula: str, energy_ev: float) -> complex:
    import xraydb

    comp = parse_formula(formula)
    z = sum(n * xraydb.atomic_number(el) for el, n in comp.items())
    f = sum(
        n * (xraydb.atomic_number(el) + xraydb.f1_chantler(el, energy_ev) + 1j * xraydb.f2_chantler(el, energy_ev))
        for el, n in comp.items()
    )
    return complex(f / z)


#: Named materials. Protein: average composition H86 C52 N13 O15 S1 at 1350 kg/m³.
#: Nucleic acid: average dsDNA nucleotide (with Na⁺ counter-ion omitted) at 1700 kg/m³.
#: Virus: whole-virion average for a dsDNA bacteriophage such as PR772 (≈ 60 % protein, 40 % DNA
#: by mass; 1450 kg/m³). Virus core: packaged dsDNA in water (30 % DNA by mass, 1150 kg/m³), the
#: interior of an icosahedral capsid. Gold: 19320 kg/m³ solid, 17310 kg/m³ molten.
MATERIALS: dict[str, Material] = {
    m.name: m
    for m in [
        Material("protein", "H86C52N13O15S1", 1350.0),
        Material("water", "H2O", 1000.0),
        Material("ice", "H2O", 917.0),
        Material("nucleic-acid", "H12.25C9.75N3.75O6P1", 1700.0),
        Material("virus", "H58C38N10.4O13.4P1.1S0.4", 1450.0),
        Material("virus-core", "H92.05C9.75N3.75O45.9P1", 1150.0),
        Material("gold", "Au", 19320.0),
        Material("gold-molten", "Au", 17310.0),
        Material("silica", "SiO2", 2200.0),
        Material("sucrose", "C12H22O11", 1587.0),
    ]
}


def get_material(name: str) -> Material:
    try:
        return MATERIALS[name]
    except KeyError:
        raise KeyError(f"unknown material {name!r}; known: {', '.join(sorted(MATERIALS))}") from None

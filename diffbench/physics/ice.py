"""Crystalline ice: unit cells, reflections and powder lines of hexagonal Ih and cubic Ic ice.

Structures: Ih is P6₃/mmc with a = 4.498 Å, c = 7.338 Å (the DIALS ice cell) and
oxygen on 4f (⅓, ⅔, z = 0.0625); Ic is Fd-3m with a = 6.358 Å and oxygen on the diamond sites.
Hydrogens are left out (disordered, weak), as in the reference table. Reflections are computed
from these structures, not typed in: d-spacings from the cell metric, the geometric structure
factor G(hkl) = Σ_j exp(2πi h·x_j) over the oxygens, so that F = f_O(q) · G for any radiation.

Stacking-disordered ice Isd is modelled as a powder of Ih and Ic with fraction ``cubicity`` of Ic:
lines where both coincide (3.67, 2.25, 1.92 Å) stay, hexagonal-only lines weaken by (1 − cubicity)
(Moreau et al. 2021). Real Isd also scatters diffusely between lines; that is not modelled.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from diffbench.units import ANGSTROM  # noqa: E402

ICE_TYPES = ("Ih", "Ic", "Isd")


@dataclass(frozen=True)
class IcePhase:
    """A crystalline ice phase: direct-space basis (rows a, b, c in metres) and oxygen sites
    (fractional)."""

    name: str
    basis_m: np.ndarray
    oxygen_fractional: np.ndarray

    @property
    def cell_volume_m3(self) -> float:
        return float(abs(np.linalg.det(self.basis_m)))

    @property
    def reciprocal_basis_m(self) -> np.ndarray:
        """Rows a*, b*, c* with a·a* = 2π (1/m): g = h a* + k b* + l c*, |g| = 2π/d."""
        return 2 * math.pi * np.linalg.inv(self.basis_m).T


def _ice_ih() -> IcePhase:
    a, c = 4.498 * ANGSTROM, 7.338 * ANGSTROM
    basis = np.array([[a, 0, 0], [-a / 2, a * math.sqrt(3) / 2, 0], [0, 0, c]])
    z = 0.0625
    sites = np.array([[1 / 3, 2 / 3, z], [2 / 3, 1 / 3, z + 0.5], [2 / 3, 1 / 3, -z], [1 / 3, 2 / 3, 0.5 - z]])
    return IcePhase("Ih", basis, sites % 1.0)


def _ice_ic() -> IcePhase:
    a = 6.358 * ANGSTROM
    fcc = np.array([[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]])
    sites = np.concatenate([fcc, fcc + 0.25])
    return IcePhase("Ic", np.eye(3) * a, sites)


PHASES = {"Ih": _ice_ih(), "Ic": _ice_ic()}


@dataclass(frozen=True)
class Reflections:
    """All reflections g = (h k l) of a phase with d ≥ d_min (Friedel mates both included).

    hkl : (n, 3) int; g_m : (n, 3) reciprocal vectors in the crystal frame, 1/m (|g| = 2π/d);
    d_m : (n,) d-spacings in metres; g2 : (n,) |G(hkl)|², the squared geometric structure factor
    of the oxygen sites (multiply by |f_O(|g|)|² for the radiation at hand).
    """

    phase: str
    hkl: np.ndarray
    g_m: np.ndarray
    d_m: np.ndarray
    g2: np.ndarray


@functools.lru_cache(maxsize=16)
def reflections(phase: str, d_min_m: float) -> Reflections:
    """Allowed reflections (|G|² > 1e-6 of the oxygen count squared) of ``phase`` to ``d_min_m``."""
    ph = PHASES[phase]
    rec = ph.reciprocal_basis_m
    g_max = 2 * math.pi / d_min_m
    lim = [int(math.ceil(g_max * np.linalg.norm(ph.basis_m[i]) / (2 * math.pi))) + 1 for i in range(3)]
    h, k, l = np.meshgrid(*[np.arange(-n, n + 1) for n in lim], indexing="ij")
    hkl = np.stack([h.ravel(), k.ravel(), l.ravel()], axis=1)
    hkl = hkl[np.any(hkl != 0, axis=1)]
    g = hkl @ rec
    gn = np.linalg.norm(g, axis=1)
    keep = gn <= g_max * (1 + 1e-12)
    hkl, g, gn = hkl[keep], g[keep], gn[keep]
    phase_arg = 2 * math.pi * hkl @ ph.oxygen_fractional.T
    G = np.exp(1j * phase_arg).sum(axis=1)
    g2 = np.abs(G) ** 2
    allowed = g2 > 1e-6 * len(ph.oxygen_fractional) ** 2
    order = np.argsort(-gn[allowed], kind="stable")[::-1]
    return Reflections(phase, hkl[allowed][order], g[allowed][order], (2 * math.pi / gn[allowed])[order],
                       g2[allowed][order])


@dataclass(frozen=True)
class PowderLine:
    """One powder ring: d-spacing (m), multiplicity and Σ|G|² over the reflections on it, and the
    label of its first reflection (h k l with h ≥ k ≥ 0 where possible)."""

    phase: str
    d_m: float
    multiplicity: int
    sum_g2: float
    hkl: tuple[int, int, int]


def powder_lines(phase: str, d_min_m: float = 0.95 * ANGSTROM, tolerance_m: float = 1e-14) -> list[PowderLine]:
    """Distinct d-spacings of ``phase`` (Ih or Ic) to ``d_min_m``; reflections whose d agree within
    ``tolerance_m`` form one line."""
    r = reflections(phase, d_min_m)
    order = np.argsort(-r.d_m, kind="stable")
    d = r.d_m[order]
    breaks = np.flatnonzero(np.diff(d) < -tolerance_m) + 1
    lines = []
    for idx in np.split(np.arange(len(d)), breaks):
        sel = order[idx]
        hkls = r.hkl[sel]
        nice = hkls[np.lexsort((-hkls[:, 2], -hkls[:, 1], -hkls[:, 0], (hkls < 0).sum(axis=1)))][0]
        lines.append(PowderLine(phase, float(d[idx].mean()), len(sel), float(r.g2[sel].sum()), tuple(int(v) for v in nice)))
    return lines


def isd_weights(cubicity: float) -> dict[str, float]:
    """Volume fractions of the Ih and Ic powders that stand for stacking-disordered ice."""
    if not 0.0 <= cubicity <= 1.0:
        raise ValueError(f"cubicity must lie in [0, 1], got {cubicity!r}")
    return {"Ih": 1.0 - cubicity, "Ic": cubicity}


def phase_weights(ice_type: str, cubicity: float = 0.5) -> dict[str, float]:
    """Volume fractions of the Ih and Ic structures for an ice type Ih, Ic or Isd."""
    if ice_type == "Ih":
        return {"Ih": 1.0}
    if ice_type == "Ic":
        return {"Ic": 1.0}
    if ice_type == "Isd":
        return isd_weights(cubicity)
    raise ValueError(f"ice type must be one of {', '.join(ICE_TYPES)}, got {ice_type!r}")


#: The 25 ice-ring resolution ranges of AUSPEX (Thorn et al. 2017, Acta Cryst. D73, 729; paper 003)
#: as (low, high) 1/d² in Å⁻²; helpers below convert to SI.
AUSPEX_RANGES_INV_D2_A2 = (
    (0.064, 0.069), (0.071, 0.078), (0.0825, 0.088), (0.138, 0.144), (0.190, 0.205), (0.228, 0.240),
    (0.262, 0.266), (0.267, 0.278), (0.280, 0.288), (0.337, 0.341), (0.429, 0.435), (0.459, 0.466),
    (0.478, 0.486), (0.531, 0.537), (0.587, 0.599), (0.606, 0.643), (0.650, 0.675), (0.711, 0.740),
    (0.775, 0.799), (0.828, 0.879), (0.904, 0.945), (0.967, 0.979), (1.001, 1.032), (1.039, 1.051),
    (1.057, 1.071),
)


def auspex_ranges_d_m() -> np.ndarray:
    """(25, 2) AUSPEX ranges as (d_high, d_low) in metres (d_high > d_low)."""
    r = np.asarray(AUSPEX_RANGES_INV_D2_A2)
    return np.stack([1 / np.sqrt(r[:, 0]), 1 / np.sqrt(r[:, 1])], axis=1) * ANGSTROM

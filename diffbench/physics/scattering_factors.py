"""X-ray atomic scattering factors from the tables xraydb ships: f0(|q|) of Waasmaier & Kirfel
(1995) and Chantler's anomalous f' + i f'' at the photon energy. Electron scattering factors are
derived from these by the Mott–Bethe formula in :mod:`diffbench.physics.electron`; materials'
forward factors in :mod:`diffbench.physics.materials`."""

from __future__ import annotations

import math

import numpy as np


def element_factor(element: str, q_m: np.ndarray, photon_energy_ev: float | None) -> np.ndarray:
    """Complex atomic scattering factor f0(|q|) + f' + i f'' (electrons). ``None`` energy: f0 only.

    xraydb's f0 takes s = sin θ / λ in Å⁻¹, i.e. |q| / (4π) with q in 1/Å.
    """
    import xraydb

    s = np.asarray(q_m, dtype=float) * 1e-10 / (4.0 * math.pi)
    f = np.asarray(xraydb.f0(element, s), dtype=float).astype(complex)
    if photon_energy_ev is not None:
        f = f + xraydb.f1_chantler(element, photon_energy_ev) + 1j * xraydb.f2_chantler(element, photon_energy_ev)
    return f


def atomic_numbers(elements: np.ndarray) -> np.ndarray:
    """Atomic number of each element symbol, as float (one gemmi lookup per distinct element)."""
    import gemmi

    symbols, inverse = np.unique(np.asarray(elements), return_inverse=True)
    return np.array([gemmi.Element(str(e)).atomic_number for e in symbols], dtype=float)[inverse]

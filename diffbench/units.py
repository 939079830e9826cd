"""Physical constants (CODATA 2018, exact 2019 SI) and unit factors, defined once for the package.

Inside diffbench every quantity is SI; a name carries its unit where it is not (``_ev``, ``_a``).
"""

#: Classical electron radius r_e in metres (CODATA 2018).
R_E_M = 2.8179403262e-15
#: Planck constant times speed of light, in eV·m: λ[m] = HC_EV_M / E[eV].
HC_EV_M = 6.62607015e-34 * 299792458.0 / 1.602176634e-19  # exact in the 2019 SI
#: Elementary charge in coulombs = joules per electronvolt.
EV_J = 1.602176634e-19
#: Avogadro constant in 1/mol.
AVOGADRO = 6.02214076e23
#: Electron rest energy in eV (for the relativistic electron wavelength).
ELECTRON_REST_ENERGY_EV = 510998.95
#: Thomson cross-section 8π r_e²/3 in m².
THOMSON_CROSS_SECTION_M2 = 8.0 * 3.141592653589793 * R_E_M**2 / 3.0
#: Bohr radius a0 in metres (CODATA 2018), for the Mott–Bethe formula.
BOHR_RADIUS_M = 5.29177210903e-11
#: One ångström in metres (the unit of published d-spacings and resolution ranges).
ANGSTROM = 1e-10
#: One square ångström in square metres (electron doses are quoted in e⁻/Å²).
ANGSTROM2_M2 = 1e-20  # written out: ANGSTROM**2 rounds to 1.0000000000000001e-20

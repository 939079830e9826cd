"""Physical constants (CODATA 2018, SI) used across the simulator."""

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

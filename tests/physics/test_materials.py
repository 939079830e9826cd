"""Materials: electron densities from composition and density, anomalous factors."""

import pytest
from numpy.testing import assert_allclose

from diffbench.physics.materials import (
    MATERIALS,
    Material,
    get_material,
    parse_formula,
)


def test_electron_densities_match_physics_notes():
    # physics.md §1 (1 % — the notes round to three digits)
    assert_allclose(get_material("protein").electron_density_m3, 4.36e29, rtol=1e-2)
    assert_allclose(get_material("water").electron_density_m3, 3.34e29, rtol=1e-2)
    assert_allclose(get_material("gold").electron_density_m3, 4.66e30, rtol=1e-2)
    # molten gold is ≈ 10 % less dense (cubes expand ≈ 10 % as they melt)
    ratio = get_material("gold").electron_density_m3 / get_material("gold-molten").electron_density_m3
    assert 1.08 < ratio < 1.13


def test_anomalous_correction_for_protein_at_1700_ev():
    # physics.md §1: |f|²/Z² ≈ 1.062 for protein at 1.7 keV with Henke tables; Chantler's
    # tables (xraydb) give a value within 1 %.
    r = get_material("protein").scattering_factor_ratio(1700.0)
    assert_allclose(abs(r) ** 2, 1.062, rtol=1e-2)
    assert get_material("protein").scattering_factor_ratio(1700.0, anomalous=False) == 1.0


def test_named_materials_and_errors():
    for name in ("protein", "water", "gold", "gold-molten", "virus"):
        assert name in MATERIALS
    assert parse_formula("H2O") == {"H": 2.0, "O": 1.0}
    with pytest.raises(ValueError, match="Xx"):
        parse_formula("Xx2O")
    with pytest.raises(ValueError, match="mass_density"):
        Material("bad", "H2O", -1.0)
    with pytest.raises(KeyError, match="unknown material"):
        get_material("unobtainium")

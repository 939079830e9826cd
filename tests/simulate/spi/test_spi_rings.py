"""Ice powder rings and amorphous halos on SPI patterns (a recipe's ``rings:`` section), against
the classical powder-ring total and the independent-atom limit."""

import copy
import math

import numpy as np
import pytest

from diffbench.geometry.detector import polarisation_factor
from diffbench.physics.rings import (
    ANGSTROM,
    powder_ring_total_cross_section_per_m3,
    xray,
)
from diffbench.physics.scattering_factors import element_factor
from diffbench.recipes.catalogue import RecipeError, load_catalogue, resolve
from diffbench.simulate.spi.engine import Simulator
from diffbench.simulate.spi.schema import Recipe
from diffbench.units import R_E_M

THICK_M = 1.0e-7


def _recipe(rings: dict, **over) -> Recipe:
    """Empty shots (no particle), no jitter: only the rings reach the detector."""
    raw = copy.deepcopy(load_catalogue()["recipes"]["gold-jet-ice-v4"])
    raw["description"] = "rings test"
    raw["beam"]["pulse_energy_jitter"] = 0.0
    raw["hits"] = {"classes": {"empty": 1.0}}
    raw["rings"] = rings
    raw.update(over)
    return Recipe.model_validate(raw)


def _ic_only(**ice):
    return {"ice": {"probability": 1.0, "ice_types": {"Ic": 1.0}, "thickness_m": THICK_M,
                    "crystallite_size_m": 40e-9, **ice}}


def _annulus_sum(sim, img, d_m, half_width_q=0.4e9):
    q = np.linalg.norm(sim.qvec, axis=1)
    sel = np.abs(q - 2 * math.pi / d_m) < half_width_q
    return float(img.ravel()[sel].sum())


def test_full_ring_on_the_detector_holds_the_classical_powder_line_total():
    """Ic (111) at 3.67 Å, 8 keV, 0.05 m: a full circle at r ≈ 150 px. Expected photons =
    N_photons · t · σ_line · ⟨P⟩, σ_line = f² m |G|² λ³ / (4 v_c² sin θ) and, for horizontal
    polarisation averaged over the azimuth, ⟨P⟩ = 1 − sin²2θ / 2. Tolerance 1 %: the sum over pixel
    centres approximates the integral of a ≈ 0.7 px wide ring (the ring crosses pixels at all
    sub-pixel phases, so the sampling error averages out far below that), the solid angle at pixel
    centres is good to (p/L)² ≈ 1e-5, and ±0.4e9 1/m holds > 6 σ of the line."""
    sim = Simulator(_recipe(_ic_only()), seed=1)
    img, truth, _ = sim.simulate([0], noise=False)
    d = 6.358 * ANGSTROM / math.sqrt(3)
    two_theta = 2 * math.asin(sim.beam.wavelength_m / (2 * d))
    expected = (sim.beam.photons_per_pulse() * THICK_M
                * powder_ring_total_cross_section_per_m3("Ic", d, xray(sim.beam.wavelength_m))
                * (1 - math.sin(two_theta) ** 2 / 2))
    np.testing.assert_allclose(_annulus_sum(sim, img[0], d), expected, rtol=1e-2)
    # the per-line truth attribute gives the same line on the whole cone (no polarisation)
    line = sim.rings.lines[(sim.rings.lines["phase"] == b"Ic") & (np.abs(sim.rings.lines["d_m"] - d) < 1e-13)]
    np.testing.assert_allclose(line["photons_per_m"][0] * THICK_M * (1 - math.sin(two_theta) ** 2 / 2),
                               expected, rtol=1e-9)


def test_line_scale_removes_one_line_and_keeps_the_others():
    d111, d220 = 6.358 * ANGSTROM / math.sqrt(3), 6.358 * ANGSTROM / math.sqrt(8)
    base = Simulator(_recipe(_ic_only()), seed=1)
    cut = Simulator(_recipe(_ic_only(line_scale={"3.67": 0.0})), seed=1)
    a, _, _ = base.simulate([0], noise=False)
    b, _, _ = cut.simulate([0], noise=False)
    assert _annulus_sum(cut, b[0], d111) < 1e-6 * _annulus_sum(base, a[0], d111)
    np.testing.assert_allclose(_annulus_sum(cut, b[0], d220), _annulus_sum(base, a[0], d220), rtol=1e-12)


def test_flat_structure_factor_halo_is_the_independent_atom_limit():
    """With its halos removed, S(q) = 1 and a water layer scatters as independent atoms:
    λ = N t n (f_O² + 2 f_H²) r_e² P dΩ per pixel (f0 only, no anomalous term). Same formula, so
    the tolerance is the float32 rounding of noise-free images (6e-8 relative; 1e-6 allowed)."""
    rec = _recipe({"amorphous": {"material": "liquid-water", "thickness_m": 1e-6, "halos": []}})
    sim = Simulator(rec, seed=1)
    img, truth, _ = sim.simulate([0], noise=False)
    q = np.linalg.norm(sim.qvec, axis=1)
    f2 = element_factor("O", q, None).real ** 2 + 2 * element_factor("H", q, None).real ** 2
    n_m3 = 1000.0 * 1000.0 / 18.015 * 6.02214076e23
    lam = (sim.beam.photons_per_pulse() * 1e-6 * n_m3 * f2 * R_E_M**2
           * polarisation_factor(sim.detector, sim.beam).ravel() * sim.detector.solid_angle_sr().ravel() * sim.valid)
    np.testing.assert_allclose(img[0].ravel(), lam, rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(truth["amorphous_expected_photons"][0], lam.sum(), rtol=1e-9)
    assert truth["amorphous_material"][0] == b"liquid-water"


def test_ring_truth_adds_up_and_scales_with_thickness_and_pulse():
    rings = {"ice": {"probability": 1.0, "ice_types": {"Isd": 1.0}, "cubicity": 0.4,
                     "thickness_m": {"distribution": "uniform", "low": 1e-8, "high": 1e-6}},
             "amorphous": {"material": "vitreous-ice", "thickness_m": {"distribution": "uniform", "low": 1e-7, "high": 1e-6}}}
    rec = _recipe(rings, beam={**load_catalogue()["recipes"]["gold-jet-ice-v4"]["beam"], "pulse_energy_jitter": 0.3})
    sim = Simulator(rec, seed=4)
    img, t, _ = sim.simulate(range(4), noise=False)
    np.testing.assert_allclose(t["expected_photons_total"], t["ice_expected_photons"] + t["amorphous_expected_photons"],
                               rtol=1e-9)
    np.testing.assert_allclose(img.reshape(4, -1).sum(axis=1), t["expected_photons_total"], rtol=1e-5)  # float32 images
    assert set(t["ice_type"]) == {b"Isd"} and np.all(t["ice_cubicity"] == 0.4)
    # ice photons ∝ thickness × pulse energy, Isd = 0.6 Ih + 0.4 Ic
    per = t["ice_expected_photons"] / (t["ice_thickness_m"] * t["pulse_energy_j"])
    np.testing.assert_allclose(per, per[0], rtol=1e-9)
    tot = sim.rings.template_totals
    np.testing.assert_allclose(per[0] * sim.beam.pulse_energy_j, 0.6 * tot[0] + 0.4 * tot[1], rtol=1e-9)


def test_shot_fractions_follow_the_probabilities_and_rings_leave_particles_alone():
    rec = _recipe({"ice": {"probability": 0.3, "ice_types": {"Ih": 1.0, "Ic": 1.0}, "thickness_m": THICK_M}},
                  hits={"classes": {"empty": 0.5, "single": 0.5}})
    sim = Simulator(rec, seed=2)
    shots = [sim.plan(i) for i in range(3000)]
    ice = np.array([s.rings.ice_type for s in shots])
    frac = (ice != "").mean()
    assert abs(frac - 0.3) < 4 * math.sqrt(0.3 * 0.7 / 3000)
    assert abs((ice == "Ih").sum() / (ice != "").sum() - 0.5) < 4 * math.sqrt(0.25 / (ice != "").sum())
    # the rings draw from their own stream: the same recipe without rings plans the same particles
    plain = Simulator(_recipe({}, hits={"classes": {"empty": 0.5, "single": 0.5}}), seed=2)
    for i in (0, 7, 99):
        a, b = sim.plan(i), plain.plan(i)
        assert a.hit_class == b.hit_class and a.pulse_energy_j == b.pulse_energy_j
        assert [p.draw.size_m for p in a.particles] == [p.draw.size_m for p in b.particles]


def test_without_rings_the_fields_are_empty():
    recipe, _ = resolve("sphere-calibration-v2")
    sim = Simulator(recipe, seed=0)
    assert sim.templates.shape[0] == 1 and not sim.rings.active
    _, t, _ = sim.simulate([0], noise=False)
    assert t["ice_type"][0] == b"" and t["ice_expected_photons"][0] == 0 and t["amorphous_thickness_m"][0] == 0


@pytest.mark.parametrize("override, path", [
    ("rings.amorphous.material=glass", r"rings\.amorphous\.material"),
    ("rings.ice.line_scale.abc=0", r"rings\.ice\.line_scale"),
    ("rings.ice.probability=1.5", r"rings\.ice\.probability"),
])
def test_bad_ring_settings_are_named(override, path):
    with pytest.raises(RecipeError, match=path):
        resolve("gold-jet-ice-v4", overrides=[override])

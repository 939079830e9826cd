"""The scattering formula against closed forms: sphere, cube, two particles, Thomson total,
symmetry, and the numba kernel against the numpy reference."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.geometry.detector import polarisation_factor, q_vectors
from diffbench.physics.form_factors import cube_amplitude, sphere_amplitude
from diffbench.physics.materials import get_material
from diffbench.simulate.spi import kernels, reference
from diffbench.simulate.spi.engine import Particle, Simulator
from diffbench.simulate.spi.schema import Recipe
from diffbench.units import R_E_M, THOMSON_CROSS_SECTION_M2
from tests.conftest import small_recipe

# Kernel values are stored as float32 (ulp 6e-8) and computed with fastmath: agreement with the
# float64 closed form to 1e-5 relative is what float32 storage of N allows with margin.
RTOL_KERNEL = 1e-5


def _sim(**over):
    return Simulator(Recipe.model_validate(small_recipe(**over)), seed=1)


def _expected(sim, index=0):
    img, truth, parts = sim.simulate([index], noise=False)
    return img[0].astype(np.float64), truth[0], parts


def test_sphere_pattern_equals_closed_form_per_pixel():
    sim = _sim()
    img, _, parts = _expected(sim)
    det, beam = sim.detector, sim.beam
    q = np.linalg.norm(q_vectors(det, beam), axis=-1)
    rho = get_material("protein").scattering_density(beam.photon_energy_ev)
    f = rho * sphere_amplitude(q, 30e-9)
    j = beam.peak_fluence()
    n = j * R_E_M**2 * polarisation_factor(det, beam) * det.solid_angle_sr() * np.abs(f) ** 2
    assert_allclose(img, n, rtol=RTOL_KERNEL)


def test_rotated_cube_pattern_equals_closed_form_per_pixel():
    sim = _sim(species={"c": dict(shape="cube", size_m=50e-9, material="gold")}, target="c",
               random_orientation=True)
    img, _, parts = _expected(sim, index=3)
    det, beam = sim.detector, sim.beam
    from diffbench.geometry.orientation import quaternion_to_matrix

    r = quaternion_to_matrix(parts["orientation_wxyz"][0])
    q_lab = q_vectors(det, beam)
    q_particle = q_lab @ r  # rows: Rᵀ q
    rho = get_material("gold").scattering_density(beam.photon_energy_ev)
    n = beam.peak_fluence() * R_E_M**2 * polarisation_factor(det, beam) * det.solid_angle_sr() \
        * np.abs(rho * cube_amplitude(q_particle, 50e-9)) ** 2
    # relative where the pattern is not near a zero of the sinc product
    big = n > 1e-6 * n.max()
    assert_allclose(img[big], n[big], rtol=RTOL_KERNEL)
    assert_allclose(img, n, atol=1e-6 * n.max())


def test_centred_sphere_is_symmetric_about_the_beam_centre():
    sim = _sim(detector={"preset": "square-64"})
    img, _, _ = _expected(sim)
    # beam centre at (31.5, 31.5): point symmetry and both mirror symmetries (P is even in x, y)
    assert_allclose(img, img[::-1, ::-1], rtol=1e-6)
    assert_allclose(img, img[:, ::-1], rtol=1e-6)
    assert_allclose(img, img[::-1, :], rtol=1e-6)


def test_sphere_first_zero_and_fringe_period_in_pixels():
    # physics.md §4: a 70 nm sphere on the paper-000 pnCCD has its first zero ≈ 26 px from the
    # centre and a fringe period ≈ 18 px (qR = 4.493 and Δq ≈ π/R).
    sim = _sim(detector={"preset": "pnccd-lcls-amo"}, species={"s": dict(shape="sphere", size_m=70e-9)})
    img, _, _ = _expected(sim)
    row = img[6, 512:700]
    minima = [i for i in range(1, len(row) - 1) if row[i] < row[i - 1] and row[i] < row[i + 1]]
    assert abs(minima[0] + 0.5 - 26) <= 1.5
    assert abs(np.mean(np.diff(minima[:5])) - 18) <= 1.0


def test_total_photons_of_a_small_sphere_match_thomson_cross_section():
    # A 5 nm sphere (qR < 0.1 over the detector) scatters like (ρV) free electrons. The detector is
    # one face of a cube around the sample (|x|, |y| ≤ D), unpolarised beam. Reference: J σ_T (ρV)²
    # times the fraction of the dipole pattern ∫ P dΩ / (8π/3) falling on that face, by quadrature.
    from scipy.integrate import dblquad

    n, d = 401, 0.1
    over = dict(detector={"preset": "square-64", "nx": n, "ny": n, "distance_m": d, "pixel_size_m": 2 * d / n,
                          "beam_center_xy_px": [200.0, 200.0]},
                beam=dict(photon_energy_ev=100, pulse_energy_j=1e-4, focus_diameter_m=1e-6,
                          polarisation="unpolarised"),
                species={"s": dict(shape="sphere", size_m=0.2e-9, material="water")}, anomalous=False)
    sim = Simulator(Recipe.model_validate(small_recipe(**over)), 0)
    beam = sim.beam
    img, truth, _ = sim.simulate([0], noise=False)
    rho_v = get_material("water").electron_density_m3 * math.pi / 6 * (0.2e-9) ** 3
    qr_max = np.linalg.norm(sim.qvec, axis=1).max() * 0.1e-9
    assert qr_max < 0.1

    def integrand(y, x):
        r = math.sqrt(x * x + y * y + d * d)
        cos2t = d / r
        return 0.5 * (1 + cos2t**2) * d / r**3

    face, _ = dblquad(integrand, -d, d, -d, d, epsabs=1e-12, epsrel=1e-10)
    ref = beam.peak_fluence() * THOMSON_CROSS_SECTION_M2 * rho_v**2 * face / (8 * math.pi / 3)
    # |F|² falls by < (qR)²/5 = 0.2 % at the edge (Guinier); polarisation taken at pixel centres
    # (error ~ (p/D)² = 2.5e-5): 0.5 % covers both.
    assert_allclose(truth["expected_photons_total"], ref, rtol=5e-3)


def _pair(sim, d):
    """Images of one sphere and of two at ±d/2 along x (one coherent group), noise-free."""
    shot = sim.plan(0)
    name, draw, quat, _, flu, _ = shot.particles[0]
    shot.particles = [Particle(name, draw, quat, np.array([-d / 2, 0, 0]), flu, 0),
                      Particle(name, draw, quat, np.array([d / 2, 0, 0]), flu, 0)]
    img2, _, _ = sim.render([shot], noise=False)
    shot.particles = shot.particles[:1]
    img1, _, _ = sim.render([shot], noise=False)
    return img1[0].astype(float), img2[0].astype(float)


def test_pixel_integrated_fringes_match_the_pixel_average_of_cos_qd():
    """With pixel integration (8 sub-pixels per fringe of the 420 nm pair: k = 5 here), a pixel
    holds the mean of 2|F|²(1 + cos(q·d)) over its area: compared with that mean computed on 32 × 32
    sub-pixels. Tolerance 0.04 on the ratio (range 0-4): the midpoint rule over k = 5 sub-pixels
    of a cosine with 0.58 fringes per pixel misses the mean's contrast by ≤ 0.01 (×2 in the
    ratio), and |F|² of the 20 nm sphere varies a little across a pixel."""
    d = 400e-9
    base = dict(species={"s": dict(shape="sphere", size_m=20e-9)},
                hits={"classes": {"multiple": 1}, "multiple": {"min": 2, "max": 2}, "separation_m": [d, d]},
                pixel_integration={"samples_per_fringe": 8})
    sim = _sim(**base)
    assert sim.pixel_samples == 5
    img1, img2 = _pair(sim, d)
    k = 32
    sub = sim.detector.subdivided(k)
    qf = q_vectors(sub, sim.beam)
    # the pixel's mean of cos(q·d) weighted by what each sub-pixel receives: dΩ P |F(q)|²
    w = sub.solid_angle_sr() * polarisation_factor(sub, sim.beam) * sphere_amplitude(np.linalg.norm(qf, axis=-1), 10e-9) ** 2
    mean_cos = ((w * np.cos(qf[..., 0] * d)).reshape(64, k, 64, k).sum(axis=(1, 3))
                / w.reshape(64, k, 64, k).sum(axis=(1, 3)))
    assert_allclose(img2 / img1, 2 * (1 + mean_cos), atol=0.04)
    # and the centre-sampled pattern would not: the fringes lose contrast over a pixel
    centre = q_vectors(sim.detector, sim.beam)[..., 0]
    assert np.abs(img2 / img1 - 2 * (1 + np.cos(centre * d))).max() > 0.1


def test_two_particles_give_fringes_of_period_two_pi_over_d():
    d = 400e-9
    base = dict(species={"s": dict(shape="sphere", size_m=20e-9)},
                hits={"classes": {"multiple": 1}, "multiple": {"min": 2, "max": 2}, "separation_m": [d, d]},
                pixel_integration={"samples": 1})  # pixel centres: the formula holds exactly
    sim = _sim(**base)
    img1, img2 = _pair(sim, d)
    q = q_vectors(sim.detector, sim.beam)
    # I₂ = 2 |F|² (1 + cos(q·d)): fringes of period 2π/d along the pair's axis
    assert_allclose(img2 / img1, 2 * (1 + np.cos(q[..., 0] * d)), rtol=1e-4, atol=1e-4)


def test_far_apart_particles_add_incoherently():
    sim = _sim(species={"s": dict(shape="sphere", size_m=20e-9)},
               hits={"classes": {"multiple": 1}, "multiple": {"min": 2, "max": 2}},
               injection={"hit_diameter_m": 0.0, "depth_m": 0.0})
    assert sim._coherent_groups("multiple", np.array([[0, 0, 0], [5e-6, 0, 0]])).tolist() == [0, 1]
    assert sim._coherent_groups("multiple", np.array([[0, 0, 0], [50e-9, 0, 0]])).tolist() == [0, 0]


@pytest.mark.parametrize("recipe_over", [
    dict(),
    dict(species={"c": dict(shape="cube", size_m=50e-9, material="gold")}, target="c"),
    dict(species={"v": dict(shape="icosahedral-virus", size_m={"distribution": "uniform", "low": 40e-9, "high": 60e-9},
                             shell_thickness_m=4e-9, inner_material="virus-core")}, target="v"),
    dict(species={"m": dict(shape="melting-cube", material="gold", size_m=40e-9,
                             melt={"distribution": "uniform", "low": 0, "high": 1}, melt_levels=5)}, target="m"),
    dict(species={"s": dict(shape="sphere", size_m=20e-9)}, target="s",
         hits={"classes": {"aggregate": 1}, "aggregate": {"min": 3, "max": 3}}),
    # atomic model: cubic B-spline coefficients (kernel) against scipy's order-3 spline evaluation,
    # two coherent particles
    dict(species={"g": dict(shape="atomic", structure="package:1SS8.pdb.gz", assembly="first")}, target="g",
         hits={"classes": {"multiple": 1}, "multiple": {"min": 2, "max": 2}, "separation_m": [20e-9, 50e-9]}),
])
def test_numba_kernel_matches_numpy_reference(recipe_over):
    sim = _sim(random_orientation=True, **recipe_over)
    for i in range(3):
        shot = sim.plan(i)
        img, _, _ = sim.render([shot], noise=False)
        ref = reference.expected_photons(sim, shot)
        assert_allclose(img[0], ref, rtol=1e-4, atol=1e-6 * ref.max())


@pytest.mark.parametrize("species, pixel_size_m", [
    (dict(shape="icosahedral-virus", size_m=50e-9, shell_thickness_m=4e-9, inner_material="virus-core"), 200e-6),
    # pixels 0.27 grid steps apart in the volume: neighbours' stencils share fewer rows
    (dict(shape="icosahedral-virus", size_m=50e-9, shell_thickness_m=4e-9, inner_material="virus-core"), 400e-6),
    (dict(shape="atomic", structure="package:1SS8.pdb.gz", assembly="first"), 200e-6),
])
def test_kernel_visits_every_pixel_of_a_ragged_detector(species, pixel_size_m):
    """The kernel walks blocks of 4096 pixels in chunks of 256, and computes weights 8 pixels at a
    time: on a 100×91 detector (blocks and chunks that start and end mid-row, a last block of 908
    pixels, not a whole number of chunks, whose last chunk of 140 is not a whole number of 8-pixel
    lanes) every pixel must still get exactly its own amplitude, as the numpy reference computes it
    pixel by pixel."""
    sim = _sim(random_orientation=True, detector={"preset": "square-64", "nx": 100, "ny": 91,
                                                  "pixel_size_m": pixel_size_m,
                                                  "beam_center_xy_px": [49.5, 45.0]},
               species={"p": species}, target="p")
    assert sim.valid.size % kernels.BLOCK % kernels.CHUNK % 8 and sim.detector.shape[1] % kernels.CHUNK
    step = sim.q_step / sim.kernel_tables().dq[0]
    assert (step > 0.25) == (pixel_size_m > 300e-6)
    for i in range(2):
        shot = sim.plan(i)
        img, _, _ = sim.render([shot], noise=False)
        ref = reference.expected_photons(sim, shot)
        assert_allclose(img[0], ref, rtol=1e-4, atol=1e-6 * ref.max())


def test_flat_and_gas_background_add_their_expected_photons():
    # empty shots: only background. Flat level on every valid pixel plus a gas profile normalised to
    # gas_photons; both scale with the pulse energy (no jitter here → exactly nominal).
    sim = _sim(hits={"classes": {"empty": 1}},
               background={"flat_photons_per_pixel": 0.01, "gas_photons": 300.0})
    img, truth, parts = _expected(sim)
    assert len(parts) == 0 and truth["multiplicity"] == 0
    n_valid = sim.detector.valid().sum()
    assert_allclose(truth["expected_photons_total"], 0.01 * n_valid + 300.0, rtol=1e-9)
    # the gas profile falls with q (helium form factor), the flat part does not
    gas = img - 0.01
    assert gas[31, 31] > gas[0, 0] > 0


def test_saturation_clips_counts_and_is_counted():
    sim = _sim(detector={"preset": "square-64", "saturation_photons": 50},
               beam=dict(photon_energy_ev=1700, pulse_energy_j=2e-2, focus_diameter_m=1.5e-6))
    imgs, truth, _ = sim.simulate([0, 1], noise=True)
    expected, _, _ = sim.simulate([0, 1], noise=False)
    assert imgs.max() == 50
    assert_allclose(truth["n_saturated"], (imgs == 50).reshape(2, -1).sum(axis=1))
    assert (truth["n_saturated"] > 0).all() and (expected > 60).sum() > 0

"""Detector geometry: q on the Ewald sphere, solid angles, polarisation, masks, presets."""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.geometry.beam import Beam
from diffbench.geometry.detector import (
    MASK_MISSING,
    MASK_OUTSIDE_REGION,
    MASK_SHADOWED,
    Detector,
    polarisation_factor,
    q_vectors,
)
from diffbench.geometry.presets import (
    DETECTOR_PRESETS,
    detector_from_dict,
    make_detector,
)


def test_q_of_chosen_pixels_by_hand():
    det = Detector(nx=11, ny=11, pixel_size_m=1e-3, distance_m=0.1, beam_center_xy_px=(5.0, 5.0))
    beam = Beam(photon_energy_ev=1000.0, pulse_energy_j=1e-3, focus_diameter_m=1e-6)
    q = q_vectors(det, beam)
    hc_ev_m = 6.62607015e-34 * 299792458.0 / 1.602176634e-19  # exact SI constants
    k = 2 * math.pi / (hc_ev_m / 1000.0)
    assert_allclose(q[5, 5], [0.0, 0.0, 0.0], atol=1e-6)
    # pixel (ix=8, iy=5): x = 3 mm. 2θ = atan(0.03); |q| = 2k sin θ
    two_theta = math.atan(0.003 / 0.1)
    assert_allclose(np.linalg.norm(q[5, 8]), 2 * k * math.sin(two_theta / 2), rtol=1e-12)
    assert_allclose(q[5, 8], [k * math.sin(two_theta), 0.0, k * (math.cos(two_theta) - 1)], rtol=1e-12)
    # corner pixel (0, 0): x = y = -5 mm
    r = math.sqrt(0.005**2 * 2 + 0.1**2)
    assert_allclose(q[0, 0], [k * -0.005 / r, k * -0.005 / r, k * (0.1 / r - 1)], rtol=1e-12)
    # every q lies on the Ewald sphere: |q + k ẑ| = k
    assert_allclose(np.linalg.norm(q + [0, 0, k], axis=-1), k, rtol=1e-12)


def test_exact_solid_angle_of_a_cube_face_is_4pi_over_6():
    # 201×201 pixels tiling exactly the face |x|, |y| ≤ D of a cube around the sample
    n, d = 201, 0.1
    det = Detector(nx=n, ny=n, pixel_size_m=2 * d / n, distance_m=d, beam_center_xy_px=(100.0, 100.0))
    # the exact rectangle formula is exact per pixel; only float round-off remains
    assert_allclose(det.solid_angle_sr().sum(), 4 * math.pi / 6, rtol=1e-10)


def test_centre_solid_angle_approximates_exact_to_second_order():
    det = Detector(nx=5, ny=5, pixel_size_m=1e-3, distance_m=0.05, beam_center_xy_px=(2.0, 2.0))
    centre = Detector(nx=5, ny=5, pixel_size_m=1e-3, distance_m=0.05, beam_center_xy_px=(2.0, 2.0), solid_angle="centre")
    # on axis: p²/D² exactly up to O((p/D)²) = 4e-4 relative
    assert_allclose(centre.solid_angle_sr()[2, 2], (1e-3 / 0.05) ** 2, rtol=1e-12)
    assert_allclose(det.solid_angle_sr(), centre.solid_angle_sr(), rtol=(1e-3 / 0.05) ** 2)


def test_polarisation_factor():
    det = Detector(nx=3, ny=3, pixel_size_m=0.1, distance_m=0.1, beam_center_xy_px=(1.0, 1.0))
    hor = polarisation_factor(det, Beam(1000.0, 1e-3, 1e-6, polarisation="horizontal"))
    ver = polarisation_factor(det, Beam(1000.0, 1e-3, 1e-6, polarisation="vertical"))
    unp = polarisation_factor(det, Beam(1000.0, 1e-3, 1e-6, polarisation="unpolarised"))
    # pixel at x = +0.1 m, y = 0: 2θ = 45°. Horizontal: 1 − sin²(45°) = 0.5; vertical: 1; unpolarised 0.75
    assert_allclose([hor[1, 2], ver[1, 2], unp[1, 2]], [0.5, 1.0, 0.75], rtol=1e-12)
    assert_allclose(hor[1, 1], 1.0)
    assert_allclose((hor + ver) / 2, unp, rtol=1e-12)


def test_mask_bits_and_fixed_shape():
    det = make_detector("pnccd-amo86615")
    m = det.mask()
    assert m.shape == (1040, 1024) and m.dtype == np.uint32
    assert (m[512:528] & MASK_MISSING).all()  # the gap rows are masked, not removed
    cx, cy = det.beam_center_xy_px
    assert m[int(cy), int(cx)] & MASK_SHADOWED
    agipd = make_detector("agipd-euxfel")
    ang = np.degrees(agipd.scattering_angle_rad())
    assert ((agipd.mask() & MASK_OUTSIDE_REGION) != 0).sum() == (ang > 1.8).sum() > 0


def test_pnccd_lcls_amo_geometry_matches_paper_000():
    det = make_detector("pnccd-lcls-amo")
    beam = Beam(1700.0, 2e-4, 1.5e-6)
    # physics.md §4: q per pixel ≈ 0.00497 nm⁻¹
    assert_allclose(det.pixel_q_step_m(beam) * 1e-9, 0.00497, rtol=2e-3)
    assert det.shape == (512, 1024)
    assert 500 < det.beam_center_xy_px[0] < 524 and det.beam_center_xy_px[1] < 16


@pytest.mark.parametrize("name", sorted(DETECTOR_PRESETS))
def test_every_preset_instantiates_and_round_trips(name):
    det = make_detector(name)
    back = detector_from_dict(det.to_dict())
    assert back.to_dict() == det.to_dict()
    assert_allclose(back.mask(), det.mask())
    assert det.valid().mean() > 0.5


def test_bad_detector_values_are_named():
    with pytest.raises(ValueError, match="distance_m"):
        Detector(nx=4, ny=4, pixel_size_m=1e-4, distance_m=-1.0, beam_center_xy_px=(2, 2))
    with pytest.raises(KeyError, match="unknown detector preset"):
        make_detector("no-such-detector")

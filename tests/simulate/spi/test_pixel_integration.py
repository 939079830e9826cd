"""Pixel integration: a binned detector equals the sum of its native pixels.

The chaperonin tasks bin a 75 µm pnCCD 8 × 8 (600 µm pixels). A GroEL pattern on a 64 × 64 patch
of that binned detector is compared with the same shot on the native 512 × 512 pixels summed 8 × 8
(native pixels resolve these fringes with ≥ 7 samples each, so their sum stands in for the area
integral). Tolerance: relative L2 over valid pixels ≤ 1 % for singles and for coherent doubles at
every separation the recipes produce (16-70 nm between centres). Each shot gets the k its own
group needs at 5 sub-pixels per fringe (chaperonin-*-v6): singles k = 2, doubles k = 3-6, measured
0.08-0.78 %; at 4 per fringe the 42 nm doubles (k = 4) reached 1.01 %, and centre sampling (k = 1)
gave 1.6 % for singles and 6-47 % for doubles.
"""

import copy

import numpy as np
import pytest

from diffbench.recipes.catalogue import resolve
from diffbench.simulate.spi.engine import Simulator

BASE = ["detector.preset=square-64", "detector.distance_m=0.15", "detector.beamstop_radius_m=0",
        "hits.classes={single: 0.5, multiple: 0.5}", "beam.profile=top-hat"]


@pytest.fixture(scope="module")
def pair_of_detectors():
    binned, _ = resolve("chaperonin-90-v7", overrides=BASE + ["detector.pixel_size_m=600e-6"])
    native, _ = resolve("chaperonin-90-v7", overrides=BASE + ["detector.nx=512", "detector.ny=512",
                                                               "detector.pixel_size_m=75e-6",
                                                               "detector.beam_center_xy_px=[255.5, 255.5]"])
    return Simulator(binned, 1, noise=False), Simulator(native, 1, noise=False)


def _l2(binned, native, shot):
    a = binned.render([shot], noise=False)[0][0].astype(float)
    b = native.render([shot], noise=False)[0][0].astype(float).reshape(64, 8, 64, 8).sum(axis=(1, 3))
    v = binned.valid.reshape(64, 64)
    return np.linalg.norm((a - b)[v]) / np.linalg.norm(b[v])


@pytest.mark.parametrize("separation_nm", [0, 16, 19, 32, 42, 50, 70])
def test_binned_pixels_equal_the_sum_of_native_pixels(pair_of_detectors, separation_nm):
    binned, native = pair_of_detectors
    assert binned.pixel_samples == 6 and native.pixel_samples == 1
    rng = np.random.default_rng(separation_nm)
    singles = [s for s in native.plan_batch(range(12)) if len(s.particles) == 1][:2]
    for s in singles:
        shot = s
        if separation_nm:
            p = s.particles[0]
            u = rng.normal(size=3)
            u[2] = 0
            u /= np.linalg.norm(u)
            shot = copy.copy(s)
            shot.particles = [p._replace(group=0),
                              p._replace(position_m=p.position_m + u * separation_nm * 1e-9, group=0)]
        assert _l2(binned, native, shot) <= 0.01


def test_centre_sampling_does_not(pair_of_detectors):
    """The same comparison with one sample per pixel fails: the test can tell."""
    _, native = pair_of_detectors
    centre, _ = resolve("chaperonin-90-v7", overrides=BASE + ["detector.pixel_size_m=600e-6",
                                                               "pixel_integration.samples=1"])
    centre = Simulator(centre, 1, noise=False)
    single = next(s for s in native.plan_batch(range(12)) if len(s.particles) == 1)
    assert _l2(centre, native, single) > 0.012


def test_each_shot_gets_the_k_its_own_group_needs(pair_of_detectors):
    """Singles need fewer sub-pixels than the recipe's widest doubles; no shot gets more than the
    recipe's k, and a pair's k grows with its separation."""
    binned, _ = pair_of_detectors
    shots = binned.plan_batch(range(200))
    ks = {len(s.particles): set() for s in shots}
    for s in shots:
        ks[len(s.particles)].add(binned.shot_samples(s))
    assert ks[1] == {2}
    assert min(ks[2]) >= 3 and max(ks[2]) <= binned.pixel_samples
    single = next(s for s in shots if len(s.particles) == 1)
    p = single.particles[0]
    pair = [copy.copy(single) for _ in range(2)]
    for shot, sep in zip(pair, (16e-9, 70e-9)):
        shot.particles = [p._replace(group=0), p._replace(position_m=p.position_m + [sep, 0, 0], group=0)]
    assert binned.shot_samples(pair[0]) < binned.shot_samples(pair[1]) == binned.pixel_samples


def test_a_batch_of_mixed_k_renders_each_shot_as_alone():
    """Shots of different k in one batch (one kernel call per k, scattered back in order) give the
    same counts and truth as each shot rendered by itself: exact equality."""
    recipe, _ = resolve("chaperonin-90-v7", overrides=BASE + ["detector.pixel_size_m=600e-6"])
    sim = Simulator(recipe, 3)
    shots = sim.plan_batch(range(16))
    assert len({sim.shot_samples(s) for s in shots}) > 1
    images, truth, _ = sim.render(shots, noise=True)
    for i, s in enumerate(shots):
        one, t1, _ = sim.render([s], noise=True)
        np.testing.assert_array_equal(images[i], one[0])
        assert truth[i].tobytes() == t1[0].tobytes()

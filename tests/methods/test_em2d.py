"""2-D EM classification (methods.md §2.1): interpolation geometry, Dragonfly's β rule, recovery of
known classes, in-plane angles and per-frame scales from Poisson frames, and the class choice."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.methods.base import method_tags
from diffbench.methods.em2d import (
    EM2DClassification,
    EMSelection,
    beam_cells,
    empirical_beta,
    rotation_slicer,
    symmetry_scores,
)

N_GRID, C = 33, 16


def _polar_grid(n=N_GRID, c=C):
    y, x = np.mgrid[0:n, 0:n]
    return np.hypot(x - c, y - c), np.arctan2(y - c, x - c)


def _image(order, rot, amp=5.0):
    r, phi = _polar_grid()
    return amp * np.exp(-r / 6) * (1 + 0.8 * np.cos(order * (phi - rot))) * (r <= 16) + 0.02


@pytest.fixture(scope="module")
def three_classes():
    """600 Poisson frames (~1,000 photons each) of three classes with 6-, 2- and 4-fold angular
    modulation, each at a random in-plane angle and a random scale in [0.5, 2]."""
    rng = np.random.default_rng(1)
    n = 600
    cls, rot, scale = rng.integers(0, 3, n), rng.uniform(0, 2 * np.pi, n), rng.uniform(0.5, 2, n)
    orders = (6, 2, 4)
    frames = np.stack([rng.poisson(scale[i] * _image(orders[cls[i]], rot[i])) for i in range(n)])
    return frames.astype(np.float32), cls, rot, scale, orders


def test_slicer_reads_a_linear_image_exactly_at_rotated_positions():
    # bilinear interpolation is exact for a linear function, so the slice must equal the function
    # at the rotated coordinates to rounding (1e-12)
    g = 21
    y, x = np.mgrid[0:g, 0:g]
    image = 3.0 + 0.5 * (x - g // 2) - 0.25 * (y - g // 2)
    rng = np.random.default_rng(0)
    r, t = rng.uniform(0, 8.5, 50), rng.uniform(0, 2 * np.pi, 50)
    uv = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    angles = np.array([0.0, 0.3, np.pi / 2, 2.0])
    s = rotation_slicer(uv, angles, g)
    got = (s @ image.ravel()).reshape(len(angles), len(uv))
    for a, th in enumerate(angles):
        u = np.cos(th) * uv[:, 0] - np.sin(th) * uv[:, 1]
        v = np.sin(th) * uv[:, 0] + np.cos(th) * uv[:, 1]
        assert_allclose(got[a], 3.0 + 0.5 * u - 0.25 * v, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="outside"):
        rotation_slicer(np.array([[12.0, 0.0]]), angles, g)


def test_cells_sum_pixels_and_sit_at_their_mean_position():
    valid = np.ones((12, 12), bool)
    valid[5, 5] = False
    cells, uv, n_pix = beam_cells((12, 12), (5.5, 5.5), valid, 2, 0.0, 100.0)
    frame = np.arange(144.0).reshape(12, 12)
    # beam at 5.5: cell i holds the pixel pair x = 5.5 + 2i ± 0.5, so the 5x5 inner cells are whole
    # 2x2 blocks centred exactly on integer cell positions; the outermost pixel columns and rows
    # (x or y = 0 or 11) form 1-pixel-wide cells, kept with 2 pixels (half a cell) and dropped at the
    # four 1-pixel corners; the masked pixel is left out of its (central) cell, which keeps 3
    corners = frame[0, 0] + frame[0, 11] + frame[11, 0] + frame[11, 11]
    inside = cells >= 0
    assert_allclose(frame.ravel()[inside].sum(), frame.sum() - corners - frame[5, 5], rtol=1e-12)
    assert_allclose(np.bincount(cells[inside]), n_pix, rtol=0)
    whole = n_pix == 4
    assert whole.sum() == 24 and n_pix.sum() == 144 - 4 - 1
    assert_allclose(uv[whole], np.rint(uv[whole]), atol=1e-12)
    assert_allclose(np.sort(np.abs(uv[whole]).max(axis=1))[-1], 2.0, atol=1e-12)


def test_empirical_beta_is_dragonflys_rule():
    # β0 = exp(−6.5 (N·1e-5)^0.15): exactly exp(−6.5) at N = 1e5 photons, larger for weaker frames
    assert_allclose(empirical_beta([1e5]), [np.exp(-6.5)], rtol=1e-12)
    assert_allclose(empirical_beta([1e3]), [np.exp(-6.5 * 0.01 ** 0.15)], rtol=1e-12)
    assert empirical_beta([10.0])[0] > empirical_beta([1e6])[0]


def test_symmetry_score_of_pure_angular_modulations():
    # one angular order and nothing else: the score is 1 at that order, 0 at the others, to the
    # error of sampling cos(6φ) on pixels: on the inner rings (r = 2–4 px) its period is only 2–4
    # pixels and bilinear interpolation leaks ~1 % of the power into other orders (hence 0.02)
    six, two = _image(6, 0.4), _image(2, 1.0)
    s6 = symmetry_scores(np.stack([six, two]), 6)
    s2 = symmetry_scores(np.stack([six, two]), 2)
    assert_allclose(s6, [1, 0], atol=0.02)
    assert_allclose(s2, [0, 1], atol=0.02)


def test_em_recovers_classes_angles_and_scales(three_classes):
    from sklearn.metrics import adjusted_rand_score

    frames, cls, rot, scale, orders = three_classes
    em = EM2DClassification(n_classes=3, n_angles=24, n_iter=12, grid_radius=16, random_state=0).fit(frames)
    # Poisson frames of ~1,000 photons separate these classes perfectly
    assert adjusted_rand_score(cls, em.labels_) == 1.0
    # per-frame scale: φ tracks the true multiplier up to one constant (Poisson noise of ~1,000
    # photons gives ~3 % scatter)
    ratio = em.scales_ / scale
    assert np.std(ratio) / np.mean(ratio) < 0.05
    # in-plane angles: within a class, estimated plus true angle (the slice reads the class image at
    # R(θ)u while the frame was the image turned by −rot) is one constant modulo the class's
    # symmetry period 2π/order; with 24 angles over π the grid step is 7.5°, so each frame should be
    # within one step of its class's circular mean, barring a few frames in noise (≤ 2 %)
    step = np.pi / 24
    for c in range(3):
        members = cls == c
        k = orders[c]
        z = np.exp(1j * k * (em.angles_rad_[members] + rot[members]))
        dev = np.abs(np.angle(z * np.conj(z.mean()))) / k
        assert np.mean(dev <= step) >= 0.98 and np.median(dev) < step / 2
    # each class average carries its own symmetry
    for c in range(3):
        order = orders[np.bincount(cls[em.labels_ == c]).argmax()]
        assert np.argmax([symmetry_scores(em.models_[c:c + 1], o)[0] for o in (2, 4, 6)]) == (2, 4, 6).index(order)
    # new frames are assigned like the training frames
    assert (em.predict(frames[:50]) == em.labels_[:50]).all()
    assert em.log_likelihood_[-1] > em.log_likelihood_[0]


def test_selection_by_symmetry_and_oracle(three_classes):
    frames, cls, *_ = three_classes
    y = cls == 0  # the 6-fold class is the target
    kw = dict(n_classes=3, n_angles=24, n_iter=8, grid_radius=16, random_state=0)
    auto = EMSelection(**kw).fit(frames)
    assert (auto.predict(frames) == y).mean() == 1.0
    oracle = EMSelection(select="oracle", **kw).fit(frames, y)
    assert method_tags(oracle).requires_y and not method_tags(auto).requires_y
    assert (oracle.predict(frames) == y).mean() == 1.0
    assert np.all((oracle.score_samples(frames) > 0.5) == y)
    with pytest.raises(ValueError, match="needs the truth"):
        EMSelection(select="oracle", **kw).fit(frames)
    with pytest.raises(ValueError, match="select must be"):
        EMSelection(select="eye", **kw).fit(frames)


@pytest.mark.parametrize("field,value", [("n_classes", 0), ("n_angles", 2.5), ("bin_px", 0), ("beta", 2.0)])
def test_bad_parameters_name_the_field(field, value, three_classes):
    with pytest.raises(ValueError, match=field):
        EM2DClassification(**{field: value}).fit(three_classes[0][:10])

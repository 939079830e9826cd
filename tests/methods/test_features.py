"""Shared features against cases with known answers."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.methods.features import (
    RadialBinning,
    crop_center,
    fourier_downsample,
    radial_profile,
)


def test_radial_profile_of_radius_map_is_the_bin_radius():
    ny, nx, c = 41, 51, (25.0, 20.0)
    y, x = np.mgrid[0:ny, 0:nx]
    r = np.hypot(x - c[0], y - c[1])
    b = RadialBinning((ny, nx), c)
    prof = b(r[None])[0]
    # the mean of r over a ring is the ring's mean radius, exactly (same pixels, same weights)
    assert_allclose(prof, b.radius_px, rtol=1e-12)
    # ring k holds radii in [k, k+1)
    ok = np.isfinite(prof)
    assert np.all(prof[ok] >= np.arange(b.n_bins)[ok]) and np.all(prof[ok] < np.arange(b.n_bins)[ok] + 1)


def test_masked_pixels_do_not_enter_the_average():
    img = np.ones((1, 32, 32))
    valid = np.ones((32, 32), bool)
    valid[:, :8] = False
    img[0, :, :8] = 1e6  # garbage behind the mask
    prof = radial_profile(img, (15.5, 15.5), valid)[0]
    assert_allclose(prof[np.isfinite(prof)], 1.0, rtol=1e-12)


def test_batch_profiles_equal_single_frame_profiles():
    rng = np.random.default_rng(0)
    frames = rng.poisson(3.0, size=(5, 20, 30)).astype(float)
    b = RadialBinning((20, 30), (14.2, 9.7))
    batch = b(frames)
    for i in range(5):
        assert_allclose(batch[i], b(frames[i:i + 1])[0], rtol=1e-12)


def test_fourier_downsample_keeps_low_frequencies_without_rescaling_the_transform():
    """A constant c becomes c·(ny·nx)/(h·w) (numpy's ifft normalisation on the small grid, as in
    paper 004's code: no amplitude rescaling); a cosine inside the kept band keeps its shape."""
    ny, nx, h, w = 64, 48, 16, 12
    const = np.full((1, ny, nx), 2.0)
    assert_allclose(fourier_downsample(const, (h, w)), 2.0 * ny * nx / (h * w), rtol=1e-5)
    y, x = np.mgrid[0:ny, 0:nx]
    cos = np.cos(2 * np.pi * 3 * x / nx)[None]
    small = fourier_downsample(cos, (h, w))[0]
    ys, xs = np.mgrid[0:h, 0:w]
    assert_allclose(small, ny * nx / (h * w) * np.cos(2 * np.pi * 3 * xs / w), atol=1e-3 * ny * nx / (h * w))
    with pytest.raises(ValueError, match="cannot Fourier-downsample"):
        fourier_downsample(const, (128, 128))


def test_crop_center_places_the_centre_and_pads():
    img = np.arange(100.0).reshape(1, 10, 10)
    c = crop_center(img, (2, 3), (4, 6))[0]
    assert c.shape == (4, 6)
    assert c[2, 3] == img[0, 3, 2]  # centre pixel at (h//2, w//2)
    assert c[0, 1] == img[0, 1, 0] and c[0, 0] == 0  # x = -1 is outside: zero padding
    assert (crop_center(img, (0, 0), (4, 4))[0, :2, :] == 0).all()  # padded above the top edge


def test_polar_resample_of_a_linear_ramp_is_exact():
    # bilinear interpolation reproduces a linear function exactly: f = 2x + 3y at (cx + r cos φ, cy + r sin φ)
    from diffbench.methods.features import polar_resample

    ny, nx = 40, 50
    y, x = np.mgrid[0:ny, 0:nx]
    frame = (2.0 * x + 3.0 * y)[None]
    c = (24.3, 19.6)
    pol, ok = polar_resample(frame, c, n_radii=8, n_angles=16, r_max_px=15.0)
    r = (np.arange(8) + 0.5) * 15.0 / 8
    phi = 2 * np.pi * np.arange(16) / 16
    want = 2 * (c[0] + r[:, None] * np.cos(phi)) + 3 * (c[1] + r[:, None] * np.sin(phi))
    assert ok.all()
    np.testing.assert_allclose(pol[0], want, rtol=1e-12)


def test_angular_fourier_features_are_rotation_invariant_and_see_symmetry():
    from scipy import ndimage

    from diffbench.methods.features import angular_fourier_features

    n = 65
    y, x = np.mgrid[0:n, 0:n] - 32.0
    r, phi = np.hypot(x, y), np.arctan2(y, x)
    six = (1.0 + 0.5 * np.cos(6 * phi + 0.3)) * np.exp(-((r - 18.0) / 4.0) ** 2)  # 6-fold ring
    rotated = ndimage.rotate(six, 37.0, reshape=False, order=3)
    f = angular_fourier_features(np.stack([six, rotated]), (32.0, 32.0), n_radii=16, n_angles=96,
                                 r_max_px=30.0, orders=12)
    ring = 9  # r ≈ 17.8 px, on the ring
    # 6-fold: |c6|/|c0| = 0.5/2 = 0.25 (cos of amplitude 0.5 on a mean of 1); other orders ≈ 0
    np.testing.assert_allclose(f[0, ring, 6], 0.25, atol=0.01)
    assert np.all(np.delete(f[0, ring], [0, 6, 12]) < 0.01)
    # rotation by 37° (cubic interpolation of the image) changes the features by < 0.01
    np.testing.assert_allclose(f[1, 4:14], f[0, 4:14], atol=0.01)


def test_radial_binning_leaves_the_callers_mask_alone():
    # regression: the max-radius cut was applied in place to the caller's valid map, so one
    # method's binning (the size fit's) truncated every later PSD of the same frames
    from diffbench.methods.features import RadialBinning

    valid = np.ones((20, 20), bool)
    RadialBinning((20, 20), (9.5, 9.5), valid, max_radius_px=4.0)
    assert valid.all()


@pytest.mark.parametrize("dtype", [np.uint16, np.int32, np.float32, bool])
def test_counts_are_binned_as_stored_with_the_same_result_as_float64(dtype):
    # the kernel sums each stored dtype without a cast (bool is cast first); the float64 sums of
    # integer counts are exact, so every dtype gives the float64 profile to rounding
    rng = np.random.default_rng(1)
    frames = rng.poisson(0.7, size=(7, 23, 31))
    frames = (frames > 0) if dtype is bool else frames.astype(dtype)
    valid = rng.random((23, 31)) > 0.1
    b = RadialBinning((23, 31), (12.4, 10.1), valid, bin_width_px=1.5)
    want = b(frames.astype(np.float64))
    assert_allclose(b(frames), want, rtol=1e-12, equal_nan=True)
    # and against a plain per-ring mean, written out
    r = np.hypot(np.arange(31)[None, :] - 12.4, np.arange(23)[:, None] - 10.1)
    k = (r / 1.5).astype(int)
    for ring in (0, 3, 9):
        sel = valid & (k == ring)
        assert_allclose(want[:, ring], frames.astype(float)[:, sel].mean(axis=1), rtol=1e-12)


def test_radial_binning_rejects_frames_of_another_shape():
    with pytest.raises(ValueError, match=r"\(20, 20\) do not match the binning's \(20, 21\)"):
        RadialBinning((20, 21), (9.5, 9.5))(np.zeros((2, 20, 20)))


def test_binning_streams_a_dataset_in_blocks(tmp_path):
    import h5py

    from diffbench.methods.frames import Frames

    rng = np.random.default_rng(2)
    data = rng.poisson(2.0, size=(150, 16, 18)).astype(np.uint16)
    with h5py.File(tmp_path / "f.h5", "w") as f:
        f.create_dataset("d", data=data, chunks=(1, 16, 18))
    b = RadialBinning((16, 18), (8.0, 7.5))
    with h5py.File(tmp_path / "f.h5", "r") as f:
        parts = list(b.batches(Frames(f["d"]), batch_size=64))
    assert [s for s, _ in parts] == [0, 64, 128]
    assert_allclose(np.concatenate([p for _, p in parts]), b(data.astype(float)), rtol=1e-12)


def test_ring_radius_is_the_whole_ring_or_the_half_ring_at_an_edge():
    from diffbench.methods.features import ring_radius_px

    assert ring_radius_px((64, 64), (31.5, 31.5)) == 31.5  # centred: largest whole ring
    assert ring_radius_px((64, 80), (30.0, 31.5)) == 30.0  # off-centre: the nearest edge limits it
    # paper 000's crop, beam 6 px from the bottom edge: whole rings reach 6 px, half rings 95.5 px
    assert ring_radius_px((96, 192), (95.5, 6.0)) == 95.5


def test_log_transform_and_per_frame_standardisation():
    from diffbench.methods.features import log_transform, standardise_frames

    counts = np.array([[[0.0, 1.0], [np.e - 1, 9.0]]])
    assert_allclose(log_transform(counts), [[[0.0, np.log(2.0)], [1.0, np.log(10.0)]]], rtol=1e-6)
    rng = np.random.default_rng(4)
    frames = rng.poisson(5.0, size=(3, 8, 9)).astype(float) * np.array([1.0, 10.0, 100.0])[:, None, None]
    frames[2] = 7.0  # a flat frame has no variance: all 0, not NaN
    valid = np.ones((8, 9), bool)
    valid[0] = False
    frames[:, 0] = 1e9  # garbage behind the mask
    z = standardise_frames(frames, valid)
    assert_allclose(z[:2][:, valid].mean(axis=1), 0.0, atol=1e-5)
    assert_allclose(z[:2][:, valid].std(axis=1), 1.0, rtol=1e-5)
    assert (z[:, ~valid] == 0).all() and (z[2] == 0).all()
    # brightness drops out: a frame and 10× the frame standardise alike
    assert_allclose(standardise_frames(frames[:1] * 10, valid), z[:1], atol=1e-5)

"""3-D EMC: the interpolation pair, the 600-cell sampling, and a reconstruction of simulated GroEL
singles scored against the truth (orientations, intensity shell correlation)."""


import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.geometry.sampling import cell600_sampling, reduce_to_asymmetric_unit
from diffbench.geometry.symmetry import point_group
from diffbench.methods.emc_kernels import merge_into, slice_volume


def test_slicing_is_exact_for_a_linear_volume_and_merging_is_its_adjoint(rng):
    n = 9
    z, y, x = np.meshgrid(*[np.arange(n) - n // 2] * 3, indexing="ij")
    vol = 1.0 + 0.3 * x - 0.2 * y + 0.1 * z
    pts = rng.uniform(-3.5, 3.5, size=(500, 3))  # (z, y, x) voxels from the centre
    assert_allclose(slice_volume(vol, pts), 1.0 + 0.3 * pts[:, 2] - 0.2 * pts[:, 1] + 0.1 * pts[:, 0], rtol=1e-12)
    # <slice(V), v> = <V, merge(v)> for any V and v: merging is the transpose of slicing
    v, values = rng.normal(size=(n, n, n)), rng.normal(size=500)
    grid = np.zeros((n, n, n))
    merge_into(grid, pts, values)
    assert_allclose(np.dot(slice_volume(v, pts), values), np.sum(v * grid), rtol=1e-10)


def test_points_outside_the_grid_read_zero_and_merge_nothing(rng):
    """A point whose 8 voxels all lie outside reads 0 and adds nothing; one on the edge keeps the
    weights of its voxels inside, so merging stays the adjoint of slicing across the boundary."""
    n = 7
    v = rng.normal(size=(n, n, n))
    far = np.array([[0.0, 0.0, 4.5], [-5.0, 0.0, 0.0], [10.0, 10.0, 10.0]])  # voxels span -3..3
    assert_allclose(slice_volume(v, far), 0.0, atol=0)
    grid = np.zeros((n, n, n))
    merge_into(grid, far, np.ones(3))
    assert not grid.any()
    edge = rng.uniform(-4.5, 4.5, size=(400, 3))
    values = rng.normal(size=400)
    merge_into(grid, edge, values)
    assert_allclose(np.dot(slice_volume(v, edge), values), np.sum(v * grid), rtol=1e-10)
    # on the face x = 3.25 only the inner voxel layer counts, with weight 0.75
    assert_allclose(slice_volume(v, np.array([[0.0, 0.0, 3.25]])), 0.75 * v[3, 3, 6], rtol=1e-12)


@pytest.mark.parametrize("n_div, expected", [(1, 60), (2, 420), (4, 3240)])
def test_600_cell_sampling_counts_and_uniformity(n_div, expected):
    s = cell600_sampling(n_div)
    assert s.quaternions.shape == (expected, 4)  # 10 (5 n^3 + n), Loh & Elser 2009
    assert_allclose(s.weights.sum(), 1.0, rtol=1e-12)
    assert s.weights.max() / s.weights.min() < 2.5  # projection Jacobian |x|^-4 over a cell
    # near-uniform: no two orientations closer than a fraction of the spacing; the mean rotation
    # matrix of a uniform sampling is 0 (first moment of the Haar measure)
    from diffbench.geometry.orientation import quaternion_to_matrix

    mean = np.einsum("m,mij->ij", s.weights, quaternion_to_matrix(s.quaternions))
    assert np.abs(mean).max() < 0.02


def test_asymmetric_unit_reduction_keeps_about_one_orientation_per_coset():
    s = cell600_sampling(4)
    for name in ("D7", "O", "I"):
        g = point_group(name)
        r = reduce_to_asymmetric_unit(s, g)
        assert 0.9 * len(s.quaternions) / len(g) < len(r.quaternions) < 1.6 * len(s.quaternions) / len(g)


@pytest.fixture(scope="module")
def groel_singles(tmp_path_factory):
    from diffbench.simulate.driver import simulate_to_file

    path = tmp_path_factory.mktemp("emc") / "groel.cxi"
    simulate_to_file("chaperonin-80-v7", 400, path, seed=3, progress=False,
                     overrides=["detector.preset=pnccd-amo86615-bin8", "hits.classes={single: 1.0}",
                                "beam.pulse_energy_j=3.0e-3"])
    return path


def test_the_forward_model_with_the_true_volume_and_orientations_matches_the_frames(groel_singles):
    """The EMC's slices of the true intensity at each frame's true orientation explain the frame's
    photons far better (Poisson likelihood) than at another frame's orientation: the slicing
    convention (R^T q, particle frame) is the simulator's."""
    from diffbench.bench.reconstruction import single_hit_orientations, true_intensity_on_grid
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.emc3d import EMC3D

    ds = open_dataset(groel_singles)
    # the grid must sample the speckle: dq <= pi / D for a D = 15 nm complex (2e8 /m); cells to 28 px
    emc = EMC3D(grid_radius=14, r_max_px=28, num_div=1, n_iter=1).fit(ds)  # geometry and cells only
    assert emc.dq_m_ < 2.1e8
    truth = true_intensity_on_grid(ds, "chaperonin", emc.q_grid_m())
    q_true = single_hit_orientations(ds)[:60]
    K = emc._counts(as_frames_of(ds))[:60]
    W_true = emc._tomograms(truth, q_true)
    W_other = emc._tomograms(truth, np.roll(q_true, 1, axis=0))

    def loglik(W):  # Poisson log-likelihood per frame at its best scale phi = sum K / sum W
        phi = K.sum(axis=1) / W.sum(axis=1)
        return (K * np.log(W)).sum(axis=1) - phi * W.sum(axis=1) + K.sum(axis=1) * np.log(phi)

    better = loglik(W_true) - loglik(W_other)
    assert np.mean(better > 0) > 0.95, np.mean(better > 0)
    assert np.median(better) > 10  # nats: the true orientation is far more likely


def as_frames_of(ds):
    from diffbench.methods.frames import as_frames

    return as_frames(ds)


def test_emc_recovers_orientations_and_the_intensity_of_simulated_groel(groel_singles):
    """400 GroEL singles of ~1,600 photons on the 8x8-binned pnCCD, 600-cell refinement 4, no symmetry
    imposed: orientations to a median well under chance (scored with D7, the complex's symmetry) and
    an intensity volume that correlates with the true one shell by shell (measured: median 20 deg
    against 46 deg for random orientations; shell correlation 0.6-0.75)."""
    from diffbench.bench.fsc import shell_correlation
    from diffbench.bench.orientation import orientation_errors
    from diffbench.bench.reconstruction import single_hit_orientations, true_intensity_on_grid
    from diffbench.geometry.orientation import random_quaternions
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.emc3d import EMC3D

    ds = open_dataset(groel_singles)
    emc = EMC3D(grid_radius=14, r_max_px=28, num_div=4, n_iter=12, beta_jump=2.0, beta_period=2,
                random_state=0).fit(ds)
    q_true = single_hit_orientations(ds)
    score = orientation_errors(q_true, emc.orientations_, "D7")
    chance = orientation_errors(q_true, random_quaternions(len(q_true), np.random.default_rng(0)), "D7")
    assert score.median_deg < 0.6 * chance.median_deg, (score.median_deg, chance.median_deg)
    truth = true_intensity_on_grid(ds, "chaperonin", emc.q_grid_m(), score.frame)
    sc = shell_correlation(emc.model_, truth, mask=emc.coverage_)
    assert np.nanmean(sc.correlation[1:10]) > 0.55, sc.correlation[:10]
    # the same frames with shuffled orientations would not build it: a random volume frame scores low
    other = true_intensity_on_grid(ds, "chaperonin", emc.q_grid_m(), random_quaternions(1, np.random.default_rng(5))[0])
    assert np.nanmean(shell_correlation(emc.model_, other, mask=emc.coverage_).correlation[1:10]) < \
        np.nanmean(sc.correlation[1:10])


def test_the_true_volume_oracle_reads_the_truth_and_bounds_the_assignment(groel_singles):
    """start='truth': the volume the frames build at their true orientations, then each frame's best
    orientation against it (n_iter=0). It needs y (an oracle, tagged so), and assigns far better than
    chance (measured: median 10 deg on 400 frames, D7 sampling of 3,240)."""
    from diffbench.bench.orientation import orientation_errors
    from diffbench.bench.reconstruction import single_hit_orientations
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.base import method_tags
    from diffbench.methods.emc3d import EMC3D

    ds = open_dataset(groel_singles)
    oracle = EMC3D(start="truth", n_iter=0, point_group="D7", grid_radius=14, r_max_px=28, beta=1.0)
    assert method_tags(oracle).requires_y
    with pytest.raises(ValueError, match="needs the true orientations y"):
        oracle.fit(ds)
    q_true = single_hit_orientations(ds)
    q = oracle.fit(ds, q_true).predict(ds)
    assert q.shape == (len(ds), 4)
    assert orientation_errors(q_true, q, "D7").median_deg < 16

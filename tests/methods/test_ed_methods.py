"""Electron-diffraction methods (paper 002): per-frame centres, radial averages, classifiers, PCC map."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from diffbench.methods.ed_ria import (
    RIASVM,
    RadialIntensityAverage,
    RIANet,
    radial_average,
    refine_beam_centres,
)
from diffbench.methods.pcc_clustering import PCCClustering, pcc_matrix
from diffbench.simulate.driver import simulate_to_file

ED_QUICK = ["detector.preset=medipix3-512-bin4", "sessions.reference.scans=2", "sessions.reference.drift_px=0.75",
            "scan.nx=20", "scan.ny=20", "scan.step_m=100e-9"]


@pytest.fixture(scope="module")
def ed_scans(tmp_path_factory):
    """Two same-session scans of 20×20 frames of 128×128, 100 nm apart (holes, carbon and edges)."""
    path = tmp_path_factory.mktemp("ed") / "ed.cxi"
    simulate_to_file("ed-holey-carbon-v1", 2, path, seed=5, overrides=ED_QUICK, progress=False)
    return path


def test_radial_average_about_each_frames_own_centre():
    # a frame whose value is ⌊r⌋² about its own centre averages to exactly k² in ring k
    ny, nx = 50, 60
    centres = np.array([[30.3, 24.8], [20.0, 31.6]])
    y, x = np.mgrid[0:ny, 0:nx]
    frames = np.stack([np.floor(np.hypot(x - cx, y - cy)) ** 2 for cx, cy in centres]).astype(np.float32)
    valid = np.ones((ny, nx), bool)
    valid[10:14, :] = False
    frames[:, 10:14, :] = 1e6  # masked pixels must not count
    prof = radial_average(frames, centres, valid, n_bins=20)
    assert_allclose(prof, np.tile(np.arange(20.0) ** 2, (2, 1)), rtol=1e-6)  # float32 sums of ≤ 200 values


def test_refined_centres_of_a_synthetic_direct_beam():
    # Gaussian disc (σ = 1.5 px, peak 5e4 clipped at 4095: a flat top of radius ≈ 3.4 px) at
    # sub-pixel centres, weak background and a bright Bragg spot: the centre comes back to 0.15 px.
    # The saturated pixels all weigh the same, so the centroid is that of a pixel-sampled disc,
    # whose boundary quantisation moves it by up to ~0.1 px (measured max 0.11).
    rng = np.random.default_rng(1)
    ny = nx = 96
    y, x = np.mgrid[0:ny, 0:nx]
    true = np.column_stack([rng.uniform(40, 56, 12), rng.uniform(40, 56, 12)])
    frames = []
    for cx, cy in true:
        f = np.minimum(5e4 * np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 1.5**2)), 4095.0)
        f += rng.poisson(2.0, f.shape)
        f[int(cy) + 9, int(cx) + 2] += 3000  # a Bragg spot 9 px away
        frames.append(f)
    got = refine_beam_centres(np.array(frames), (48.0, 48.0), search_px=12)
    assert_allclose(got, true, atol=0.15)


def test_centres_and_profiles_on_a_simulated_scan(ed_scans):
    from diffbench.io.cxi import open_dataset

    ria = RadialIntensityAverage().fit(ed_scans)
    with open_dataset(ed_scans) as d:
        truth = d.truth["beam_center_xy_px"]
    err = np.hypot(*(ria.centres(ed_scans) - truth).T)
    # the binned chip gap (pixels 63-64) cuts some direct beams: median, not max, is the check
    assert np.median(err) < 0.3, np.median(err)
    X = ria.transform(ed_scans)
    assert X.shape == (800, ria.n_bins_ - ria.first_bin_) and np.isfinite(X).all()


@pytest.mark.parametrize("cls, params", [(RIASVM, {"n_iter": 3}), (RIANet, {})])
def test_classifiers_learn_the_material_labels(cls, params, ed_scans):
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.frames import as_frames

    with open_dataset(ed_scans) as d:
        y = d.truth["label"].astype(str)
        scan = d.truth["scan_index"]
        frames = as_frames(d)
        X = np.asarray(frames.data[()])
    est = cls(**params).fit(X[scan == 0], y[scan == 0])
    pred = est.predict(X[scan == 1])
    majority = max(np.mean(y[scan == 1] == c) for c in np.unique(y))
    acc = np.mean(pred == y[scan == 1])
    # learned from another scan of the same session: clearly better than always saying the majority
    assert acc > max(0.8, majority + 0.05), (acc, majority)
    with pytest.raises(ValueError, match="supervised"):
        cls(**params).fit(X, None)


def test_pcc_matrix_is_pearson_and_clusters_separate():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(30, 40))
    assert_allclose(pcc_matrix(a), np.corrcoef(a), atol=1e-12)
    proto = rng.normal(size=(3, 50))
    labels = np.repeat([0, 1, 2], 20)
    feats = proto[labels] + 0.3 * rng.normal(size=(60, 50))
    est = PCCClustering(n_clusters=3, features="frames").fit(feats)
    from sklearn.metrics import adjusted_rand_score

    assert adjusted_rand_score(labels, est.predict(feats)) == 1.0
    # frames not seen in fit go to the best-correlated cluster mean
    new = proto[[2, 0]] + 0.3 * rng.normal(size=(2, 50))
    assert_array_equal(est.predict(new), est.predict(feats)[[40, 0]])


def test_pcc_clustering_does_not_depend_on_the_order_of_the_frames():
    """Issue 22: permuting the frames changed 1-22 % of the labels. Now the labels of a permuted set
    are the permuted labels, exactly (cluster ids are numbered canonically, so not even a renaming)."""
    rng = np.random.default_rng(3)
    proto = rng.normal(size=(4, 30))
    labels = rng.integers(0, 4, 120)
    feats = proto[labels] + 1.5 * rng.normal(size=(120, 30))  # overlapping clusters: order used to matter
    ref = PCCClustering(n_clusters=4, features="frames").fit(feats)
    base = ref.predict(feats)
    for seed in range(3):
        perm = np.random.default_rng(seed).permutation(len(feats))
        assert_array_equal(ref.predict(feats[perm]), base[perm])  # the fitted model, frames reordered
        again = PCCClustering(n_clusters=4, features="frames").fit(feats[perm])
        assert_array_equal(again.predict(feats[perm]), base[perm])  # fitted on the reordered frames


def test_the_central_disk_is_centred_on_each_frames_direct_beam():
    from diffbench.methods.ed_cnn import central_disks

    ny, nx = 64, 64
    frames = np.zeros((2, ny, nx), np.float32)
    for i, (cx, cy) in enumerate(((30, 33), (36, 27))):
        frames[i, cy - 1:cy + 2, cx - 1:cx + 2] = 1000.0  # a 3x3 direct beam
        frames[i, cy, cx + 12] = 7.0  # a pixel 12 px to its right: inside a disk of radius 12 ...
        frames[i, cy + 13, cx] = 7.0  # ... one 13 px below it: outside
    d = central_disks(frames, radius_px=12)
    assert d.shape == (2, 1, 25, 25)
    for i in range(2):
        assert_allclose(d[i, 0, 12, 12], np.log1p(1000.0), rtol=1e-6)  # the beam at the centre
        assert_allclose(d[i, 0, 12, 24], np.log1p(7.0), rtol=1e-6)
        assert d[i, 0].sum() == pytest.approx(9 * np.log1p(1000.0) + np.log1p(7.0), rel=1e-6)


def test_the_ed_cnn_learns_the_material_labels_and_is_deterministic(ed_scans):
    pytest.importorskip("torch")
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.ed_cnn import EDCNN
    from diffbench.methods.frames import as_frames

    with open_dataset(ed_scans) as d:
        y = np.asarray(d.truth["label"]).astype(str)
        scan = np.asarray(d.truth["scan_index"])
    frames = as_frames(ed_scans)
    train, test = np.flatnonzero(scan == 0), np.flatnonzero(scan == 1)
    est = EDCNN(max_epochs=12, random_state=1).fit(frames.take(train), y[train])
    h = est.history_
    assert h[est.best_epoch_]["val_loss"] < h[0]["val_loss"]  # validation loss falls: it learnt
    pred = est.predict(frames.take(test))
    majority = max(np.mean(y[test] == c) for c in np.unique(y))
    assert np.mean(pred == y[test]) > majority + 0.1, (np.mean(pred == y[test]), majority)
    again = EDCNN(max_epochs=12, random_state=1).fit(frames.take(train), y[train])
    assert_array_equal(again.predict_proba(frames.take(test)), est.predict_proba(frames.take(test)))

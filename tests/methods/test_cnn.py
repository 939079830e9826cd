"""Paper 000's single-hit CNNs: topology, augmentation, cropping, learning on a tiny set, determinism."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")

from diffbench.methods.cnn.augment import AugmentConfig, augment  # noqa: E402
from diffbench.methods.cnn.networks import build, n_parameters, output_shape  # noqa: E402
from diffbench.methods.cnn.single_hit import MaxF1CNN, crop_frames  # noqa: E402
from diffbench.methods.frames import Frames  # noqa: E402

NONE = AugmentConfig(p_rotate=0, p_scale=0, p_elastic=0, p_gamma=0, p_noise=0, p_blur=0, p_mirror=0, p_shift=0,
                     p_cutout=0)


def test_preact_topology_is_the_papers():
    """8 pre-activation blocks, 16 → 256 filters, the 192 × 96 crop down to a 6 × 6 map; ≈ 4.8 M
    parameters (methods.md §3's reading: ≈ 5.0 M)."""
    net = build("preact", 16)
    assert output_shape(net, (96, 192)) == (6, 6)
    assert len(net.blocks) == 8 and net.fc.in_features == 256
    assert 4.5e6 < n_parameters(net) < 5.2e6
    vgg = build("vgg", 16)
    assert sum(isinstance(m, torch.nn.MaxPool2d) for m in vgg.modules()) == 4 and vgg.fc.in_features == 256


def test_augmentation_is_seeded_and_the_identity_without_transforms():
    x = torch.randn(6, 1, 32, 64)
    a = augment(x, torch.Generator().manual_seed(3))
    assert torch.equal(a, augment(x, torch.Generator().manual_seed(3)))
    assert not torch.equal(a, augment(x, torch.Generator().manual_seed(4)))
    # bilinear resampling on the pixel grid itself: exact up to float32 rounding of the grid
    assert_allclose(augment(x, torch.Generator().manual_seed(3), NONE).numpy(), x.numpy(), atol=1e-4)
    mirror = AugmentConfig(**{**NONE.__dict__, "p_mirror": 1.0})
    assert_allclose(augment(x, torch.Generator().manual_seed(3), mirror).numpy(), x.flip((2, 3)).numpy(), atol=1e-4)


def test_the_crop_puts_the_beam_where_the_paper_does_and_binning_keeps_photons():
    frames = np.zeros((2, 200, 300), dtype=np.uint16)
    frames[:, 120, 150] = 7  # at the beam centre
    frames[1, 125, 160] = 3
    f = Frames(frames, center_xy_px=(150.0, 120.0))
    c = crop_frames(f)
    assert c.shape == (2, 1, 96, 192)
    assert c[0, 0, 6, 96] == 7  # 6 rows above the bottom edge, centred across
    b = crop_frames(f, bin_factor=3)
    assert b.shape == (2, 1, 32, 64) and b[1].sum() == c[1].sum() == 10


@pytest.fixture(scope="module")
def spheres(tmp_path_factory):
    """Single spheres against doubles on the paper's 192 × 96 crop (singles 30 %)."""
    from diffbench.io.cxi import open_dataset
    from diffbench.simulate.driver import simulate_to_file

    ov = ["detector.nx=192", "detector.ny=96", "detector.beam_center_xy_px=[95.5, 6.0]",
          "hits.classes={single: 0.3, multiple: 0.7}", "hits.separation_m=[60e-9, 200e-9]"]
    d = tmp_path_factory.mktemp("cnn")
    paths = {}
    for part, seed in (("train", 1), ("test", 2)):
        p = simulate_to_file("sphere-calibration-v2", 240, d / f"{part}.cxi", seed=seed, overrides=ov, progress=False)
        with open_dataset(p) as ds:
            paths[part] = (p, np.asarray(ds.truth["is_single_hit"]).astype(int))
    return paths


def test_the_quick_configuration_learns_and_is_deterministic(spheres):
    (train, y), (test, yt) = spheres["train"], spheres["test"]
    est = MaxF1CNN(n_iter=120, random_state=7).fit(train, y)
    curve = est.loss_curve_
    assert np.mean(curve[-3:]) < 0.7 * np.mean(curve[:3])  # the loss falls
    pred = est.predict(test)
    tp = int((pred & yt).sum())
    f1 = 2 * tp / (pred.sum() + yt.sum())
    prevalence_f1 = 2 * yt.mean() / (1 + yt.mean())  # the prevalence control: select everything
    assert f1 > prevalence_f1 + 0.2, (f1, prevalence_f1)
    assert len(est.models_) == 2 and len(est.cv_scores_) == 2
    from diffbench.methods.cnn import single_hit

    single_hit._FITTED.clear()  # train again for real, not from the in-process memo
    again = MaxF1CNN(n_iter=120, random_state=7).fit(train, y)
    assert_array_equal(again.predict_proba(test), est.predict_proba(test))  # same seed, same model (CPU)
    # a post-filter on the same CNN takes the fitted model instead of training it a third time
    from diffbench.methods.registry import make_method

    calls = []
    original = MaxF1CNN._train
    try:
        MaxF1CNN._train = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
        pf = make_method("post-filter", first="cnn-maxf1", first_params={"n_iter": 120, "random_state": 7},
                         then="size-filter").fit(train, y)
    finally:
        MaxF1CNN._train = original
    assert calls == []
    assert_array_equal(pf.first_.predict_proba(test), est.predict_proba(test))
    # ... and its answers on frames already seen: no second inference pass, the same numbers
    original = MaxF1CNN._proba
    try:
        MaxF1CNN._proba = lambda self, *a, **k: calls.append(1) or original(self, *a, **k)
        assert_array_equal(pf.first_.predict_proba(test), again.predict_proba(test))
        assert calls == []
        from diffbench.io.cxi import open_dataset

        with open_dataset(test) as ds:
            pf.first_.predict_proba(ds.patterns[:10])  # frames not asked about before are computed
        assert calls == [1]
    finally:
        MaxF1CNN._proba = original


def test_the_stream_yields_the_patterns_and_truth_of_the_file(tmp_path):
    from torch.utils.data import DataLoader

    from diffbench.io.cxi import open_dataset
    from diffbench.methods.cnn.stream import SimulatedStream
    from diffbench.simulate.driver import simulate_to_file

    ov = ["detector.preset=square-64"]
    path = simulate_to_file("pr772-spi-v6", 12, tmp_path / "a.cxi", seed=5, overrides=ov, progress=False)
    with open_dataset(path) as d:
        frames, single = d.patterns[()], np.asarray(d.truth["is_single_hit"])
    got = list(SimulatedStream("pr772-spi-v6", ov, seed=5, stop=12, block=5))
    assert len(got) == 12
    assert_array_equal(np.stack([f.numpy() for f, _ in got]), frames.astype(np.float32))
    assert_array_equal([bool(y) for _, y in got], single)
    # two DataLoader workers share the indices without repeats; together they give the same frames
    both = [x for xb, _ in DataLoader(SimulatedStream("pr772-spi-v6", ov, seed=5, stop=12, block=3),
                                      batch_size=4, num_workers=2, multiprocessing_context="spawn") for x in xb]
    assert sorted(float(x.sum()) for x in both) == sorted(float(f.sum()) for f in frames)


def test_the_few_shot_embedding_transfers_to_a_shape_it_never_saw(tmp_path):
    """Trained on single vs double spheres, it classifies single vs double cubes from 5 labelled
    frames per class well above chance (0.5), and better than the same prototypes in an untrained
    net (random convolutional features already separate these clear fringes well: 0.86 measured)."""
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.cnn.few_shot import FewShotEmbedding
    from diffbench.simulate.driver import simulate_to_file

    def data(shape, seed):
        ov = ["detector.preset=square-64", "hits.classes={single: 0.5, multiple: 0.5}",
              "hits.separation_m=[60e-9, 150e-9]", "random_orientation=true",
              f"species.sphere={{shape: {shape}, material: protein, size_m: {{distribution: uniform, "
              "low: 40e-9, high: 80e-9}}"]
        p = simulate_to_file("sphere-calibration-v2", 160, tmp_path / f"{shape}.cxi", seed=seed, overrides=ov,
                             progress=False)
        with open_dataset(p) as d:
            return d.patterns[()], np.where(np.asarray(d.truth["is_single_hit"]), "single", "double")

    xs, ys = data("sphere", 1)
    xc, yc = data("cube", 2)
    est = FewShotEmbedding(n_iter=120, size=32, random_state=0).fit(xs, ys)
    assert est.loss_curve_[-1] < est.loss_curve_[0]
    support = np.concatenate([np.flatnonzero(yc == c)[:5] for c in ("single", "double")])
    query = np.setdiff1d(np.arange(len(yc)), support)
    acc = (est.set_support(xc[support], yc[support]).predict(xc[query]) == yc[query]).mean()
    untrained = FewShotEmbedding(n_iter=0, size=32, random_state=0).fit(xs[:8], ys[:8])
    base = (untrained.set_support(xc[support], yc[support]).predict(xc[query]) == yc[query]).mean()
    assert acc > 0.8 and acc > base, (acc, base)

"""Helcaraxe (paper 003): the plot generator against hand counts, the blank discriminator, the
network's size and shape, learning on a tiny set, determinism."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from diffbench.methods.helcaraxe.plots import (
    BEYOND,
    BLANK,
    PREDICTABLE,
    RANGES_D_A,
    SIZE,
    histogram,
    is_blank,
    range_plots,
    rotate,
    standardise,
)


def test_ranges_are_the_auspex_table_in_angstrom():
    # methods.md §2.5: range 1 is 3.953-3.807 A, range 25 0.973-0.966 A
    assert_allclose(RANGES_D_A[0], [3.953, 3.807], atol=1e-3)
    assert_allclose(RANGES_D_A[-1], [0.973, 0.966], atol=1e-3)
    assert (RANGES_D_A[:, 0] > RANGES_D_A[:, 1]).all()


def test_the_histogram_counts_what_a_hand_count_gives():
    """Five reflections in range 1 (d 3.807-3.953 A) with values 0..40: the y axis spans the 0.5th to
    95th percentile of those values, x is linear in d over the range; points outside are dropped."""
    d_start, d_end = RANGES_D_A[0]
    d = np.array([3.81, 3.85, 3.88, 3.90, 3.95, 2.0, 5.0])  # the last two lie outside the range
    v = np.array([0.0, 10.0, 20.0, 30.0, 40.0, 15.0, 15.0])
    h = histogram(d, v, d_start, d_end)
    lo, hi = np.percentile(v[:5], [0.5, 95])  # 0.2 and 38.0
    assert_allclose([lo, hi], [0.2, 38.0])
    assert h.shape == (SIZE, SIZE) and h.sum() == 3  # v=0 below lo, v=40 above hi, 2 outside in d
    for dv, vv in ((3.85, 10.0), (3.88, 20.0), (3.90, 30.0)):
        i = int((dv - d_end) / (d_start - d_end) * SIZE)
        j = int((vv - lo) / (hi - lo) * SIZE)
        assert h[i, j] == 1
    # an empty range: y from 0 to the 90th percentile of every value
    h2 = histogram(np.array([2.0, 5.0]), np.array([1.0, 3.0]), d_start, d_end)
    assert h2.sum() == 0


def test_rotation_is_scipys_and_puts_d_along_the_columns():
    from scipy import ndimage

    h = np.random.default_rng(0).poisson(2.0, (SIZE, SIZE)).astype(float)
    assert_allclose(rotate(h), ndimage.rotate(h, 90), atol=1e-9)
    h = np.zeros((SIZE, SIZE))
    h[5, 70] = 1  # a high-resolution d bin (row 5) with a high value (column 70)
    r = rotate(h)
    row, col = np.argwhere(r)[0]
    assert col == 5 and row == SIZE - 1 - 70  # d along the columns, high values near the top


def test_standardisation_is_tensorflows():
    x = np.arange(16.0).reshape(4, 4)
    assert_allclose(standardise(x), (x - 7.5) / x.std())
    assert_allclose(standardise(np.ones((4, 4))), 0.0)  # std 0: divided by 1/sqrt(N), not by 0


def test_the_blank_discriminator_flags_an_empty_stripe_only():
    rng = np.random.default_rng(1)
    full = rng.poisson(0.1, (SIZE, SIZE)).astype(float)  # ~640 counts spread over the plot
    assert not is_blank(full)
    stripe = full.copy()
    stripe[:, 40:52] = 0  # a blank window of d columns (a range omitted at integration)
    assert is_blank(stripe)
    sparse = full.copy()
    sparse[:, 40:52] = 0
    sparse[3, 45] = 5  # 5 reflections in 800 pixels: mean 0.00625 > 0.005 in every window
    assert not is_blank(sparse)


def test_range_plots_mark_resolution_and_blank_ranges():
    rng = np.random.default_rng(2)
    d = 1.0 / np.sqrt(rng.uniform(1 / 20.0**2, 1 / 1.5**2, 40000))  # to 1.5 A
    v = rng.exponential(100.0, d.size)
    keep = ~((d > RANGES_D_A[2, 1]) & (d < RANGES_D_A[2, 0]))  # range 3 omitted at integration
    p = range_plots(d[keep], v[keep])
    beyond = RANGES_D_A[:, 1] <= d.min()
    assert (p.status[beyond] == BEYOND).all() and (p.status[~beyond] != BEYOND).all()
    assert p.status[2] == BLANK and p.status[0] == PREDICTABLE
    ok = p.status == PREDICTABLE
    assert_allclose(p.plots[ok].mean(axis=(1, 2)), 0.0, atol=1e-5)
    assert_allclose(p.plots[ok].std(axis=(1, 2)), 1.0, atol=1e-4)
    assert (p.plots[~ok] == 0).all()


torch = pytest.importorskip("torch")


def test_the_exact_network_has_the_papers_size_and_bias():
    from diffbench.methods.helcaraxe.network import build, n_trainable

    net = build("exact", positive_fraction=598 / 6849)
    assert n_trainable(net) == 391_561  # paper 003
    assert net(torch.zeros(3, 1, SIZE, SIZE)).shape == (3, 1)
    assert_allclose(float(net[-1].bias.detach()), -2.3477, atol=1e-3)  # logit(0.0873)
    assert n_trainable(build("lite")) < n_trainable(net) / 10


@pytest.fixture(scope="module")
def icy_sets(tmp_path_factory):
    """Merged data sets, half with strong ice rings: a training and a test collection."""
    from diffbench.io.mx import MXCollection
    from diffbench.simulate.driver import simulate_to_file

    out = {}
    for part, seed in (("train", 1), ("test", 2)):
        p = simulate_to_file("mx-ice-rings-v2", 24, tmp_path_factory.mktemp(part) / "mx.h5", seed=seed,
                             progress=False, overrides=["reflections=[4000, 8000]", "ice.probability=0.5",
                                                        "ice.amplitude=[3.0, 10.0]"])
        out[part] = MXCollection(p)
    return out


def test_helcaraxe_learns_on_a_tiny_set_and_is_deterministic(icy_sets):
    from diffbench.bench.ranges import range_labels
    from diffbench.methods.helcaraxe import estimator
    from diffbench.methods.helcaraxe.estimator import HelcaraxeF, HelcaraxeI

    train, test = icy_sets["train"], icy_sets["test"]
    y, yt = range_labels(train, "visible"), range_labels(test, "visible")
    est = HelcaraxeF(n_iter=100, random_state=3).fit(train, y)
    curve = est.loss_curve_
    assert np.mean(curve[-3:]) < 0.8 * np.mean(curve[:3])  # the loss falls
    p = est.predict_proba_ranges(test)
    assert p.shape == yt.shape
    scored = (yt >= 0) & (p >= 0)
    from sklearn.metrics import roc_auc_score

    auc = roc_auc_score(yt[scored], p[scored])
    assert auc > 0.8, auc  # a constant (prevalence) answer has 0.5
    d_min = np.array([d.d_m.min() * 1e10 for d in test])
    assert_array_equal(p == -1, RANGES_D_A[None, :, 1] <= d_min[:, None])  # -1: the range's end beyond d_min
    estimator._F_NETWORKS.clear()
    again = HelcaraxeF(n_iter=100, random_state=3).fit(train, y)
    assert_array_equal(again.predict_proba_ranges(test), p)  # CPU training is deterministic
    # the I network starts from this F network (taken from the in-process memo, not trained again)
    calls = []
    original = estimator._train
    try:
        estimator._train = lambda *a, **k: calls.append(a[4]) or original(*a, **k)
        i_net = HelcaraxeI(n_iter=100, random_state=3).fit(train, y)
    finally:
        estimator._train = original
    # one fine-tune at the configuration's rate (paper 003: 5e-4 after 1e-4), no second F training
    assert calls == [estimator.CONFIGS["quick"].finetune_learning_rate]
    assert i_net.predict(test).shape == (len(test),)
    assert set(np.unique(est.predict_ranges(test)[~np.isnan(est.predict_ranges(test))])) <= {-1.0, 0.0, 1.0}


def test_the_i_fine_tune_keeps_its_weights_of_lowest_held_out_loss(icy_sets):
    """A fine-tune at a rate that wrecks the network ends with the weights that did best on the
    held-out training data sets (here: where it started, or close to it), not the last ones."""
    import copy

    from diffbench.bench.ranges import range_labels
    from diffbench.methods.helcaraxe.estimator import Helcaraxe, HelcaraxeF, _held_out, _train

    train = icy_sets["train"]
    y = range_labels(train, "visible")
    held = _held_out(y, seed=3, fraction=0.2)
    assert not _held_out(y, seed=3, fraction=0.0).any()  # the quick default: no hold-out
    icy = (y == 1).any(axis=1)
    assert held.sum() == round(0.2 * icy.sum()) + round(0.2 * (~icy).sum())  # stratified fifth
    assert icy[held].any() and (~icy[held]).any()
    net = HelcaraxeF(n_iter=60, random_state=3).fit(train, y).net_
    plots, status = Helcaraxe._plots(train, "I")
    ruined = copy.deepcopy(net)
    _train(ruined, plots[~held], status[~held], y[~held], 0.5, 32, 30, "cpu", seed=4,
           held=(plots[held], status[held], y[held]), every=10)
    steps, losses = zip(*ruined.held_losses_)
    assert steps == (0, 10, 20, 30)
    assert ruined.best_step_ == steps[int(np.argmin(losses))]
    # the network it ends with has the lowest of the held-out losses (float32 sums: 1e-6)
    import torch
    import torch.nn.functional as F

    from diffbench.methods.helcaraxe.estimator import _learnable_plots

    xv, tv = _learnable_plots(plots[held], status[held], y[held])
    with torch.no_grad():
        final = float(F.binary_cross_entropy_with_logits(ruined(xv).ravel(), tv))
    assert_allclose(final, min(losses), rtol=1e-6)
    assert max(losses) > min(losses) + 1e-3  # the losses differ: which weights are kept matters


def test_a_bad_finetune_holdout_is_a_one_line_error(icy_sets):
    from diffbench.bench.ranges import range_labels
    from diffbench.methods.helcaraxe.estimator import HelcaraxeI

    train = icy_sets["train"]
    with pytest.raises(ValueError, match=r"finetune_holdout must be in \[0, 1\), got 1.5"):
        HelcaraxeI(n_iter=2, finetune_holdout=1.5).fit(train, range_labels(train, "visible"))

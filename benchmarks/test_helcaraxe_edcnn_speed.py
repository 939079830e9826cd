"""Paper 003's Helcaraxe and paper 002's ED CNN on CPU (issue 27): plots per second, training time
per step, predictions per second. Paper 003: 1-3 s per data set for Helcaraxe (plots and
prediction); paper 002: CNN preprocessing 3.24 s and prediction 1.06 s per 1,600 frames.

Untimed runs (``make test``) do one step each on tiny inputs, as a correctness check.
"""

import numpy as np
import pytest

from diffbench.methods.helcaraxe.plots import range_plots

torch = pytest.importorskip("torch")

from diffbench.methods.ed_cnn import CONFIGS as ED_CONFIGS  # noqa: E402
from diffbench.methods.ed_cnn import EDCNN, central_disks, pool_blocks  # noqa: E402
from diffbench.methods.helcaraxe.estimator import CONFIGS as HX_CONFIGS  # noqa: E402
from diffbench.methods.helcaraxe.network import build as build_helcaraxe  # noqa: E402


def _reflections(n, rng):
    d = 1.0 / np.sqrt(rng.uniform(1 / 30.0**2, 1 / 0.95**2, n))  # to 0.95 A: all 25 ranges in resolution
    return d, rng.exponential(1e3, n) * np.exp(-2 * 20.0 / (4 * d**2))


def test_plots_per_data_set(benchmark, timed):
    d, v = _reflections(15000, np.random.default_rng(0))
    p = benchmark.pedantic(range_plots, args=(d, v), rounds=5 if timed else 1)
    assert (p.status == 1).sum() >= 20
    if timed:
        benchmark.extra_info.update(seconds_per_data_set=benchmark.stats.stats.mean,
                                    plots_per_s=int((p.status >= 0).sum()) / benchmark.stats.stats.mean,
                                    reflections=len(d))


@pytest.mark.parametrize("config", ["quick", "paper"])
def test_helcaraxe_training_step(benchmark, config, timed):
    cfg = HX_CONFIGS[config]
    torch.manual_seed(0)
    net = build_helcaraxe(cfg.topology, 0.0873)
    opt = torch.optim.NAdam(net.parameters(), lr=cfg.learning_rate, momentum_decay=4e-3)
    x = torch.randn(cfg.batch_size, 1, 80, 80)
    y = (torch.rand(cfg.batch_size) < 0.09).float()

    def step():
        opt.zero_grad()
        torch.nn.functional.binary_cross_entropy_with_logits(net(x).ravel(), y).backward()
        opt.step()

    step()
    benchmark.pedantic(step, rounds=5 if timed else 1, iterations=1)
    if timed:
        benchmark.extra_info.update(seconds_per_step=benchmark.stats.stats.mean, batch=cfg.batch_size,
                                    topology=cfg.topology, threads=torch.get_num_threads())


@pytest.mark.parametrize("config", ["quick", "paper"])
def test_helcaraxe_predictions(benchmark, config, timed):
    """Plots per second through the network (25 plots per data set at most)."""
    net = build_helcaraxe(HX_CONFIGS[config].topology).eval()
    x = torch.randn(250 if timed else 4, 1, 80, 80)

    def run():
        with torch.no_grad():
            return torch.sigmoid(net(x))

    benchmark.pedantic(run, rounds=3 if timed else 1)
    if timed:
        benchmark.extra_info.update(plots_per_s=len(x) / benchmark.stats.stats.mean)


def test_ed_cnn_preprocessing_and_prediction(benchmark, timed):
    """Central disks and predictions of the quick configuration on 4x4-binned 128x128 frames, per
    1,600 frames (one 40x40 scan)."""
    import time

    rng = np.random.default_rng(1)
    n = 1600 if timed else 16
    frames = rng.poisson(0.5, (n, 128, 128)).astype(np.float32)
    frames[:, 62:66, 62:66] += 500.0  # a direct beam
    t0 = time.perf_counter()
    disks = pool_blocks(central_disks(frames, 38), ED_CONFIGS["quick"].pool)  # what the quick network reads
    prep = time.perf_counter() - t0
    est = EDCNN()
    torch.manual_seed(0)
    est.net_ = est._net(5, ED_CONFIGS["quick"].channels).eval()
    x = torch.from_numpy(disks)

    def run():
        with torch.no_grad():
            return torch.softmax(est.net_(x), dim=1)

    benchmark.pedantic(run, rounds=3 if timed else 1)
    if timed:
        benchmark.extra_info.update(preprocessing_s_per_1600=prep * 1600 / n,
                                    prediction_s_per_1600=benchmark.stats.stats.mean * 1600 / n)

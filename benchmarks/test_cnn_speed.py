"""Paper 000's CNNs on CPU: training time per step and inference patterns/s, quick and paper
configurations (issue 25). The paper reports < 25 min per model on an RTX 3090 (50,000 steps) and
~450 patterns/s for the ensemble with TTA, ~8,700/s for one model (GPU).

Untimed runs (``make test``) do one step each on tiny inputs, as a correctness check.
"""

import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from diffbench.methods.cnn.networks import build  # noqa: E402
from diffbench.methods.cnn.single_hit import CONFIGS, SingleHitCNN  # noqa: E402


@pytest.mark.parametrize("config", ["quick", "paper"])
def test_training_step(benchmark, config, timed):
    cfg = CONFIGS[config]
    h, w = 96 // cfg.bin, 192 // cfg.bin
    torch.manual_seed(0)
    net = build("preact", cfg.base)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.learning_rate)
    x = torch.randn(cfg.batch_size, 1, h, w)
    y = (torch.rand(cfg.batch_size) < 0.05).long()

    def step():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()

    step()  # warm-up
    benchmark.pedantic(step, rounds=(5 if config == "quick" else 2) if timed else 1, iterations=1)
    if timed:
        s = benchmark.stats.stats.mean
        benchmark.extra_info.update(seconds_per_step=s, batch=cfg.batch_size, input=f"{w}x{h}",
                                    hours_per_fold=s * cfg.n_iter / 3600, threads=torch.get_num_threads())


@pytest.mark.parametrize("config", ["quick", "paper"])
def test_inference_ensemble_with_tta(benchmark, config, timed):
    """The ensemble of fold models with mirror TTA (the paper's deployed predictor)."""
    cfg = CONFIGS[config]
    est = SingleHitCNN(config=config)
    torch.manual_seed(0)
    est.models_ = [build("preact", cfg.base).eval() for _ in range(cfg.n_folds)]
    n = (512 if config == "quick" else 32) if timed else 8  # the paper ensemble: 20 passes of a 4.8 M net
    x = torch.randn(n, 1, 96 // cfg.bin, 192 // cfg.bin)
    t0 = time.perf_counter()
    benchmark.pedantic(lambda: est._proba(x, est.models_, cfg.tta), rounds=3 if timed and config == "quick" else 1)
    if timed:
        rate = n / benchmark.stats.stats.mean
        single = n / _time(lambda: est._proba(x, est.models_[:1], ("none",)))
        benchmark.extra_info.update(patterns_per_s=rate, single_model_patterns_per_s=single, models=cfg.n_folds,
                                    tta=len(cfg.tta))
    assert time.perf_counter() - t0 >= 0


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def test_quick_fit_end_to_end(benchmark, tmp_path, timed):
    """A whole quick fit (2 folds) on 1,000 frames of the paper's crop, from a file."""
    from diffbench.simulate.driver import simulate_to_file

    n = 1000 if timed else 40
    ov = ["detector.nx=192", "detector.ny=96", "detector.beam_center_xy_px=[95.5, 6.0]",
          "hits.classes={single: 0.2, multiple: 0.3, aggregate: 0.2, contaminant: 0.2, mixed: 0.1}"]
    path = simulate_to_file("pr772-spi-v6", n, tmp_path / "a.cxi", seed=1, overrides=ov, progress=False)
    from diffbench.io.cxi import open_dataset

    with open_dataset(path) as d:
        y = np.asarray(d.truth["is_single_hit"]).astype(int)
    steps = None if timed else 2
    benchmark.pedantic(lambda: SingleHitCNN(n_iter=steps).fit(path, y), rounds=1)


@pytest.mark.parametrize("layout", ["channels_last", "contiguous"])
@pytest.mark.parametrize("network", ["preact-quick", "few-shot", "helcaraxe-lite"])
def test_training_step_by_memory_layout(benchmark, network, layout, timed):
    """One training step of the quick networks in the weights' channels-last layout (what the methods
    use, :func:`diffbench.methods.base.channels_last`) and in the default one. Measured on one
    thread (paired, alternating, best of 3): ResNet 0.075 → 0.050 s, few-shot embedding 0.247 →
    0.105 s, Helcaraxe lite 0.135 → 0.098 s."""
    from diffbench.methods.base import channels_last
    from diffbench.methods.cnn.few_shot import FewShotEmbedding
    from diffbench.methods.helcaraxe.network import build as helcaraxe

    make, shape = {"preact-quick": (lambda: build("preact", 8), (32, 1, 32, 64)),
                   "few-shot": (lambda: FewShotEmbedding()._net(), (96, 1, 64, 64)),
                   "helcaraxe-lite": (lambda: helcaraxe("lite"), (32, 1, 80, 80))}[network]
    torch.manual_seed(0)
    net = make()
    if layout == "channels_last":
        net = channels_last(net)
    x = torch.randn(*shape) if timed else torch.randn(2, *shape[1:])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        net(x).float().pow(2).mean().backward()
        opt.step()

    step()
    benchmark.pedantic(step, rounds=5 if timed else 1, iterations=1)

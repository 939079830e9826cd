"""Speed of the structural-landscape and orientation methods (issue 26): one 3-D EMC iteration at
the quick size, the common-line matrix, and one training step of the landscape VAE.

Sizes (``make bench``): EMC on 1,000 GroEL singles, a 33³ grid (grid_radius 16), 3,240
orientations (num_div 4, no symmetry: the issue's "32³, 3,240 orientations, 1,000 frames"); the
CLPCA matrix of 200 averages of 35 × 35 at 36 angles (paper 001's quick configuration, methods.md
§4); a VAE step on a batch of 32 averages. `make test` runs small sizes once as correctness checks.
"""

import time

import numpy as np
import pytest

from diffbench.simulate.driver import simulate_to_file


@pytest.fixture(scope="module")
def groel_singles(tmp_path_factory, timed_sizes):
    out = tmp_path_factory.mktemp("emc") / "groel.cxi"
    simulate_to_file("chaperonin-80-v7", timed_sizes["frames"], out, seed=3, progress=False,
                     overrides=["detector.preset=pnccd-amo86615-bin8", "hits.classes={single: 1.0}",
                                "beam.pulse_energy_j=3.0e-3"])
    return out


@pytest.fixture(scope="module")
def timed_sizes(request):
    timed = not request.config.getoption("benchmark_disable")
    return {"frames": 1000 if timed else 60, "num_div": 4 if timed else 1, "averages": 200 if timed else 20}


def test_emc3d_iteration(benchmark, groel_singles, timed_sizes):
    from diffbench.methods.emc3d import EMC3D

    def run():
        t0 = time.perf_counter()
        emc = EMC3D(grid_radius=16, r_max_px=32, num_div=timed_sizes["num_div"], n_iter=2, point_group="C1").fit(
            groel_singles)
        return emc, (time.perf_counter() - t0) / 2

    emc, per_iter = benchmark.pedantic(run, rounds=1)
    assert emc.model_.shape == (33, 33, 33) and np.isfinite(emc.model_).all()
    benchmark.extra_info.update(frames=timed_sizes["frames"], orientations=len(emc.quaternions_),
                                cells=len(emc.cell_corr_), seconds_per_iteration=per_iter)


def test_common_line_matrix(benchmark, timed_sizes):
    from diffbench.methods.clpca import central_lines, common_line_matrix

    rng = np.random.default_rng(0)
    images = rng.poisson(5.0, (timed_sizes["averages"], 35, 35)).astype(float)
    lines = central_lines(images, 36, 3)
    c = benchmark(common_line_matrix, lines)
    assert c.shape == (len(images),) * 2 and np.allclose(np.diag(c), 1)
    benchmark.extra_info.update(averages=len(images), angles=36)


def test_landscape_vae_training_step(benchmark):
    torch = pytest.importorskip("torch")
    from diffbench.methods.vae_networks import Decoder, Encoder

    torch.manual_seed(0)
    enc, dec = Encoder(1), Decoder(1, q_max=1e9)
    opt = torch.optim.Adam([*enc.parameters(), *dec.parameters()], lr=1e-3)
    images, pose = torch.randn(32, 1, 35, 35), torch.randn(32, 5)
    q, target = torch.randn(32, 900, 3) * 3e8, torch.rand(32, 900)

    def step():
        mu, logvar = enc(images, pose)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        loss = ((torch.log(0.1 + torch.exp(dec(q, z))) - torch.log(0.1 + target)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.detach())

    assert np.isfinite(benchmark(step))
    benchmark.extra_info.update(batch=32, grid_points=900, threads=torch.get_num_threads())

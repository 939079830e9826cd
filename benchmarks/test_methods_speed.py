"""Method speed on data streamed from disk (issue "benchmark harness", §6).

Targets: IPCA + Elliptic Envelope over 100,000 patterns of 128×128 in under 2 minutes with bounded
memory; radial profiles of 10,000 patterns of 1024×512 in under 30 s. `make test` runs small
sizes once as correctness checks; DIFFBENCH_BENCH_FULL=1 with `make bench` runs the named sizes.
"""

import os
import resource
import time

import numpy as np
import pytest

from diffbench.simulate.driver import simulate_to_file

FULL = os.environ.get("DIFFBENCH_BENCH_FULL") == "1"


@pytest.fixture(scope="module")
def groel_file(tmp_path_factory):
    n = 100_000 if FULL else 600
    out = tmp_path_factory.mktemp("ipca") / "groel.cxi"
    simulate_to_file("chaperonin-90-v7", n, out, seed=1, overrides=["detector.preset=pnccd-amo86615-bin8"],
                     workers=2, progress=False)
    return out


@pytest.fixture(scope="module")
def panel_file(tmp_path_factory):
    n = 10_000 if FULL else 40
    out = tmp_path_factory.mktemp("radial") / "pr772.cxi"
    simulate_to_file("pr772-spi-v6", n, out, seed=1, workers=2, progress=False)
    return out


def test_ipca_envelope_streamed(benchmark, groel_file):
    from diffbench.methods.ipca_envelope import IPCAEllipticEnvelope

    def run():
        t0 = time.perf_counter()
        z = IPCAEllipticEnvelope(downsample=None, progress=False).fit_transform(groel_file)
        return z, time.perf_counter() - t0

    z, dt = benchmark.pedantic(run, rounds=1)
    assert z.shape[1] == 3 and np.isfinite(z).all()
    benchmark.extra_info.update(n=len(z), seconds=dt, frames_per_s=len(z) / dt,
                                peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def test_radial_profiles_full_panel(benchmark, panel_file):
    from diffbench.methods.features import RadialBinning
    from diffbench.methods.frames import as_frames

    def run():
        f = as_frames(panel_file)
        rb = RadialBinning(f.frame_shape, f.center(), f.valid)
        return np.concatenate([p for _, p in rb.batches(f)])

    prof = benchmark.pedantic(run, rounds=1)
    assert prof.shape[0] in (40, 10_000) and np.isfinite(prof).any(axis=1).all()
    benchmark.extra_info.update(n=len(prof))

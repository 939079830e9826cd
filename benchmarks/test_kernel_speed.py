"""The slicing kernel alone: `Simulator.render` on planned shots, no planning, no file.

End-to-end throughput (test_throughput.py) mixes the kernel with planning, truth tables and the
compressed write; this isolates the part a kernel change touches. extra_info reports ms per pattern
and ns per pixel and core (2 numba threads on this machine), the figure to compare kernel variants
by (run it a few times: timing on a shared 2-core machine varies by ±15–30 %).
"""

import numba
import pytest

from diffbench.recipes.catalogue import resolve
from diffbench.simulate.spi.engine import Simulator

CASES = {
    "groel-128": ("chaperonin-90-v7", ["detector.preset=pnccd-amo86615-bin8", "hits.classes={single: 1}"], 244),
    "pr772-full-panel": ("pr772-spi-v6", ["hits.classes={single: 1}"], 24),
    # the recipe's own mix: multiples, aggregates, droplets and debris (2.3 particles a shot)
    "pr772-mix": ("pr772-spi-v6", [], 48),
    # lone water droplets: the analytic sphere (trig_kernels), one sin-cos pair per pixel
    "droplet-full-panel": ("pr772-spi-v6", ["hits.classes={contaminant: 1}", "hits.contaminant.max=1",
                                            "hits.contaminants={droplet: 1}"], 24),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_render_kernel(benchmark, timed, case):
    name, overrides, n = CASES[case]
    recipe, _ = resolve(name, None, overrides)
    sim = Simulator(recipe, 1)
    shots = sim.plan_batch(range(n if timed else 2))
    sim.render(shots[:2])  # compile (or load the compiled kernel) outside the timing
    benchmark.pedantic(sim.render, args=(shots,), rounds=5 if timed else 1)
    if timed:
        per_pattern = benchmark.stats.stats.min / len(shots)
        cores = numba.get_num_threads()
        benchmark.extra_info.update(ms_per_pattern=1e3 * per_pattern,
                                    ns_per_pixel_core=1e9 * per_pattern * cores / sim.valid.size)

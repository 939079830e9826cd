"""Throughput of the rings/ED/MX products (issue "Rings, electron narrow-beam scans and merged
reflection data"). Targets on 2 cores: one 40×40 scan of 512×512 frames < 30 s; 2,000 MTZ data sets
of 10–20 k reflections < 2 minutes (with --workers 2)."""

import shutil

from diffbench.simulate.driver import simulate_to_file


def _run(tmp_path, name, n, over=(), workers=1):
    out = tmp_path / "run" / "out"
    out.parent.mkdir(exist_ok=True)
    simulate_to_file(name, n, out, seed=1, overrides=list(over), workers=workers, progress=False)
    shutil.rmtree(out.parent)


def test_ed_scan_40x40_512(benchmark, tmp_path, timed):
    over = [] if timed else ["scan.nx=4", "scan.ny=4"]
    _run(tmp_path, "ed-holey-carbon-v1", 1, ["scan.nx=2", "scan.ny=2"])  # numba compilation outside the timing
    benchmark.pedantic(_run, args=(tmp_path, "ed-holey-carbon-v1", 1, over), rounds=2 if timed else 1)


def test_mx_2000_datasets(benchmark, tmp_path, timed):
    n = 2000 if timed else 4
    benchmark.pedantic(_run, args=(tmp_path, "mx-ice-rings-v2", n), kwargs={"workers": 2}, rounds=1)


def test_droplet_frames(benchmark, tmp_path, timed):
    n = 256 if timed else 4
    benchmark.pedantic(_run, args=(tmp_path, "xfel-droplet-ice-v2", n), rounds=1)

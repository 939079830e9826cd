"""Run a recipe to a CXI file: batching, worker processes, progress, atomic output.

``--workers K`` splits the pattern indices into K contiguous ranges; each process writes its own
part file, and the parts are combined (compressed chunks copied as they are) into the final file,
renamed into place only when complete. Pattern content depends only on (recipe, seed, index).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import yaml

from diffbench.simulate.catalogue import RecipeError, resolve, version_of
from diffbench.simulate.config import Recipe


def batch_size_for(npix: int) -> int:
    """Frames per batch (one render thread's kernel call): about 2 M pixels, at least 2."""
    return int(max(2, min(4096, 2_000_000 // max(npix, 1))))


def progress_bar(total: int, label: str, enabled: bool | None):
    """A rich progress bar on a terminal, nothing otherwise."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), transient=False)


def validate_run_args(n, seed, workers, compression):
    """The command-line numbers of a run, checked before anything is built or written."""
    from diffbench.io.cxi import COMPRESSIONS

    if not isinstance(n, (int, np.integer)) or n <= 0:
        raise RecipeError(f"-n must be a positive integer, got {n!r}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise RecipeError(f"--seed must be a non-negative integer, got {seed!r}")
    if not isinstance(workers, (int, np.integer)) or workers < 1:
        raise RecipeError(f"--workers must be >= 1, got {workers!r}")
    if compression not in COMPRESSIONS:
        raise RecipeError(f"--compression must be one of {', '.join(COMPRESSIONS)}, got {compression!r}")


def check_output(out: Path):
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise RecipeError(f"output directory does not exist: {parent}")
    if not os.access(parent, os.W_OK):
        raise RecipeError(f"output directory is not writable: {parent}")
    if out.is_dir():
        raise RecipeError(f"output path is a directory: {out}")


def run_attrs(name, raw, recipe: Recipe, seed, n, noise, sim) -> dict:
    ring_attrs = {}
    if sim.rings.active:
        # per-line truth: expected photons of each ice line per metre of pure phase at the nominal
        # pulse (whole cone); a shot's line amplitude is this × its thickness × phase weight × E/E0
        ring_attrs["ring_lines"] = json.dumps([
            {"phase": row["phase"].decode(), "d_m": float(row["d_m"]), "photons_per_m": float(row["photons_per_m"])}
            for row in sim.rings.lines])
    return ring_attrs | {
        "recipe": name,
        "recipe_version": version_of(name),
        "recipe_yaml": yaml.safe_dump(raw, sort_keys=False),
        "seed": int(seed),
        "n_patterns": int(n),
        "noise": bool(noise),
        "target_species": recipe.target,
        "point_groups": json.dumps(sim.point_groups()),
        "units": "SI (m, J, photons/m^2); counts are photons per pixel",
    }


def render_threads() -> int:
    """Render threads for :func:`_write_range`: numba's thread count where the threading layer lets
    several threads launch kernels at once (omp, tbb), else 1 (workqueue)."""
    import numba

    from diffbench.simulate.kernels import threading_layer

    n = numba.get_num_threads()
    return n if n > 1 and threading_layer() in ("omp", "tbb") else 1


def _write_range(sim, writer, start, stop, noise, batch, advance=None):
    """Simulate [start, stop) in batches into ``writer``; returns the pattern and particle truth.

    A pipeline over whole batches: K render threads (K = numba's thread count) each render one
    batch with a single numba thread (the kernel releases the GIL), while this thread plans the
    next batches and compresses and writes finished ones. Whole batches per thread, rather than
    every thread on one batch, leave no thread waiting at the end of a kernel for a slower one (on
    2 cores the planning thread takes turns with the render threads). Batches are written in
    order and each pattern depends only on its index, so the bytes are those of a plain loop.
    ``Simulator.plan_batch`` (this thread) and ``Simulator.render`` (the others) share no mutable
    state: planning owns the random streams, rendering only reads the tables.
    """
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    import numba

    n_threads = render_threads()
    sim.kernel_tables()  # built here once, so the render threads only read it
    pats, parts = [], []

    def render(shots):
        numba.set_num_threads(1)  # per thread: this batch is one thread's work
        return sim.render(shots, noise)

    def finish(s, e, fut):
        imgs, t, p = fut.result()
        writer.write_frames(s - start, imgs)
        pats.append(t)
        parts.append(p)
        if advance:
            advance(e - s)

    with ThreadPoolExecutor(n_threads, thread_name_prefix="diffbench-render") as pool:
        pending = deque()
        try:
            for s in range(start, stop, batch):
                e = min(stop, s + batch)
                pending.append((s, e, pool.submit(render, sim.plan_batch(range(s, e)))))
                if len(pending) > n_threads:  # one planned batch queued behind the running ones
                    finish(*pending.popleft())
            while pending:
                finish(*pending.popleft())
        except BaseException:
            pool.shutdown(cancel_futures=True)  # drop queued batches; the running ones end first
            raise
    return np.concatenate(pats), np.concatenate(parts)


def write_patterns(sim, path, start: int, stop: int, compression: str, attrs: dict | None = None,
                   geometry: bool = True, advance=None) -> int:
    """Simulate patterns [start, stop) of ``sim`` into the CXI file ``path`` (atomic write);
    returns the number of particles written."""
    from diffbench.io.cxi import CXIWriter

    dtype = sim.count_dtype if sim.noise else np.float32
    det, beam = (sim.detector, sim.beam) if geometry else (None, None)
    with CXIWriter(path, stop - start, sim.detector.shape, dtype, compression, det, beam, attrs,
                   first_index=start) as w:
        t, p = _write_range(sim, w, start, stop, sim.noise, batch_size_for(sim.valid.size), advance)
        w.write_truth(t, p)
    return len(p)


def worker_simulator(raw: dict, seed: int, noise: bool):
    """The Simulator of a worker process: one numba thread (one process per core), memoised per
    process so that a worker running many shards builds or loads the species volumes once."""
    import numba

    numba.set_num_threads(1)
    key = (yaml.safe_dump(raw, sort_keys=True), int(seed), bool(noise))
    if _WORKER_SIM.get("key") != key:
        from diffbench.simulate.engine import Simulator

        _WORKER_SIM.clear()
        _WORKER_SIM.update(key=key, sim=Simulator(Recipe.model_validate(raw), seed, noise=noise))
    return _WORKER_SIM["sim"]


_WORKER_SIM: dict = {}  # per-process memo of worker_simulator (one entry)


def _worker(raw, seed, start, stop, part_path, noise, compression):
    """Process entry point: simulate [start, stop) into its own part file (no geometry: merged later)."""
    sim = worker_simulator(raw, seed, noise)
    write_patterns(sim, part_path, start, stop, compression, geometry=False)
    return start, stop, str(part_path)


def simulate_to_file(name: str, n: int, out, seed: int = 0, overrides=None, config=None, workers: int = 1,
                     noise: bool | None = None, compression: str = "bitshuffle-lz4", progress: bool | None = None,
                     batch_size: int | None = None) -> Path:
    """Simulate ``n`` patterns of recipe ``name`` into the CXI file ``out``; returns its path.

    All input is checked before any file is created; on failure nothing is left at ``out``.
    """
    from diffbench.io.cxi import CXIWriter
    from diffbench.simulate.engine import Simulator

    validate_run_args(n, seed, workers, compression)
    out = Path(out)
    check_output(out)
    recipe, raw = resolve(name, config, overrides)
    if recipe.kind == "ed-scan":
        from diffbench.simulate.ed_run import simulate_ed_to_file

        return simulate_ed_to_file(name, recipe, raw, n, out, seed, noise, compression, progress)
    if recipe.kind == "mx-merged":
        from diffbench.simulate.mx import simulate_mx_to_file

        return simulate_mx_to_file(name, recipe, raw, n, out, seed, workers, progress)
    if recipe.kind == "xray-droplet":
        from diffbench.simulate.droplet import simulate_droplets_to_file

        return simulate_droplets_to_file(name, recipe, raw, n, out, seed, noise, compression, progress)
    sim = Simulator(recipe, seed, noise=noise)  # builds / caches volumes once, before any worker
    noise = sim.noise
    dtype = sim.count_dtype if noise else np.float32
    batch = batch_size or batch_size_for(sim.valid.size)
    attrs = run_attrs(name, raw, recipe, seed, n, noise, sim)
    workers = int(min(workers, n))
    with progress_bar(n, name, progress) as bar:
        task = bar.add_task(name, total=n) if bar else None
        advance = (lambda k: bar.advance(task, k)) if bar else None
        with CXIWriter(out, n, sim.detector.shape, dtype, compression, sim.detector, sim.beam, attrs) as w:
            if workers == 1:
                t, p = _write_range(sim, w, 0, n, noise, batch, advance)
                w.write_truth(t, p)
            else:
                bounds = np.linspace(0, n, workers + 1).astype(int)
                tmpdir = Path(tempfile.mkdtemp(prefix="." + out.name + ".parts.", dir=out.parent or "."))
                try:
                    from diffbench.simulate.executors import LocalPool

                    pool = LocalPool(workers)
                    try:
                        futs = [pool.submit(_worker, raw, seed, int(a), int(b), tmpdir / f"part{i:04d}.cxi",
                                            noise, compression)
                                for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]
                        results = []
                        for fut in pool.as_completed(futs):
                            a, b, path = fut.result()
                            results.append((a, b, path))
                            if advance:
                                advance(b - a)
                    finally:
                        pool.close()
                    results.sort()
                    from diffbench.io.cxi import open_dataset

                    pats, parts = [], []
                    for a, b, path in results:
                        with open_dataset(path) as d:
                            w.copy_chunks_from(d.patterns, a)
                            pats.append(_table(d.truth, "pattern"))
                            parts.append(_table(d.particles, "particle"))
                    w.write_truth(np.concatenate(pats), np.concatenate(parts))
                finally:
                    shutil.rmtree(tmpdir, ignore_errors=True)
    return out


def _table(cols: dict, kind: str) -> np.ndarray:
    from diffbench.simulate.engine import PARTICLE_DTYPE, PATTERN_DTYPE

    dt = PATTERN_DTYPE if kind == "pattern" else PARTICLE_DTYPE
    n = len(next(iter(cols.values()))) if cols else 0
    out = np.zeros(n, dtype=dt)
    for k in dt.names:
        out[k] = cols[k]
    return out

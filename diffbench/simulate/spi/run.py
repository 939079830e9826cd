"""Write SPI runs (``kind: spi``): batching, render threads, worker processes, atomic output.

``--workers K`` splits the pattern indices into K contiguous ranges; each process writes its own
part file, and the parts are combined (compressed chunks copied as they are) into the final file,
renamed into place only when complete. Pattern content depends only on (recipe, seed, index).
The checks and the choice of writer for every kind are in :mod:`diffbench.simulate.driver`.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import yaml

# names this module held before the driver existed (kept for one release)
from diffbench.simulate.driver import check_output, simulate_to_file, validate_run_args  # noqa: F401
from diffbench.simulate.spi.schema import Recipe
from diffbench.utils.progress import progress_bar


def batch_size_for(npix: int) -> int:
    """Frames per batch (one render thread's kernel call): about 2 M pixels, at least 2."""
    return int(max(2, min(4096, 2_000_000 // max(npix, 1))))


def spi_attrs(run, sim) -> dict:
    """The provenance of an SPI run: the common keys plus the target, point groups and ring lines."""
    ring_attrs = {}
    if sim.rings.active:
        # per-line truth: expected photons of each ice line per metre of pure phase at the nominal
        # pulse (whole cone); a shot's line amplitude is this × its thickness × phase weight × E/E0
        ring_attrs["ring_lines"] = json.dumps([
            {"phase": row["phase"].decode(), "d_m": float(row["d_m"]), "photons_per_m": float(row["photons_per_m"])}
            for row in sim.rings.lines])
    return run.provenance(noise=bool(sim.noise), target_species=run.recipe.target,
                          point_groups=json.dumps(sim.point_groups()),
                          units="SI (m, J, photons/m^2); counts are photons per pixel", **ring_attrs)


def write_detector_effects(sim, writer) -> None:
    """The detector's maps and parameters, under ``truth/detector_effects``, when it adds any."""
    if not (sim.noise and sim.effects.active):
        return
    g = writer.truth_group.create_group("detector_effects")
    for name, arr in sim.effects.truth(sim.detector.shape).items():
        g.create_dataset(name, data=arr, compression="gzip")
    for key, value in sim.effects.cfg.model_dump().items():
        g.attrs[key] = "none" if value is None else value


def render_threads() -> int:
    """Render threads for :func:`_write_range`: numba's thread count where the threading layer lets
    several threads launch kernels at once (omp, tbb), else 1 (workqueue)."""
    import numba

    from diffbench.simulate.noise_kernels import threading_layer

    n = numba.get_num_threads()
    return n if n > 1 and threading_layer() in ("omp", "tbb") else 1


def _write_range(sim, writer, start, stop, noise, batch, advance=None):
    """Simulate [start, stop) in batches into ``writer`` and write the truth; returns the number of
    particles. The truth rows go to temporary files beside the output as batches finish
    (:class:`~diffbench.simulate.truth.SpilledTable`), so memory stays flat in N.

    A pipeline over whole batches: K render threads (K = numba's thread count) each render one
    batch with a single numba thread (the kernel releases the GIL), while this thread plans the
    next batches and writes finished ones, which their render thread has compressed
    (:meth:`~diffbench.io.cxi.CXIWriter.encode_frames`). Whole batches per thread, rather than
    every thread on one batch, leave no thread waiting at the end of a kernel for a slower one (on
    2 cores the planning thread takes turns with the render threads). Batches are written in
    order and each pattern depends only on its index, so the bytes are those of a plain loop.
    ``Simulator.plan_batch`` (this thread) and ``Simulator.render`` (the others) share no mutable
    state: planning owns the random streams, rendering only reads the tables.
    """
    from diffbench.simulate.spi.engine import PARTICLE_DTYPE, PATTERN_DTYPE
    from diffbench.simulate.truth import SpilledTable

    n_threads = render_threads()
    sim.kernel_tables()  # built here once, so the render threads only read it
    with SpilledTable(writer.path, PATTERN_DTYPE) as pats, SpilledTable(writer.path, PARTICLE_DTYPE) as parts:
        _pipeline(sim, writer, start, stop, noise, batch, advance, n_threads, pats, parts)
        writer.write_truth(pats, parts)  # column by column from disk, in blocks
        return parts.n


def _pipeline(sim, writer, start, stop, noise, batch, advance, n_threads, pats, parts):
    """The render / plan / write pipeline of :func:`_write_range` (see there)."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    import numba

    def render(shots):
        numba.set_num_threads(1)  # per thread: this batch is one thread's work
        imgs, t, p = sim.render(shots, noise)
        return writer.encode_frames(imgs), t, p  # compressed here, in parallel, mostly without the GIL

    def finish(s, e, fut):
        frames, t, p = fut.result()
        writer.write_encoded(s - start, frames)
        pats.append(t)
        parts.append(p)  # SpilledTable.append: to disk, not kept
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


def write_patterns(sim, path, start: int, stop: int, compression: str, attrs: dict | None = None,
                   geometry: bool = True, advance=None) -> int:
    """Simulate patterns [start, stop) of ``sim`` into the CXI file ``path`` (atomic write);
    returns the number of particles written."""
    from diffbench.io.cxi import CXIWriter

    dtype = sim.frame_dtype(sim.noise)
    det, beam = (sim.detector, sim.beam) if geometry else (None, None)
    with CXIWriter(path, stop - start, sim.detector.shape, dtype, compression, det, beam, attrs,
                   first_index=start) as w:
        n_particles = _write_range(sim, w, start, stop, sim.noise, batch_size_for(sim.valid.size), advance)
        write_detector_effects(sim, w)
    return n_particles


def worker_simulator(raw: dict, seed: int, noise: bool):
    """The Simulator of a worker process: one numba thread (one process per core), memoised per
    process so that a worker running many shards builds or loads the species volumes once."""
    import numba

    numba.set_num_threads(1)
    key = (yaml.safe_dump(raw, sort_keys=True), int(seed), bool(noise))
    if _WORKER_SIM.get("key") != key:
        from diffbench.simulate.spi.engine import Simulator

        _WORKER_SIM.clear()
        _WORKER_SIM.update(key=key, sim=Simulator(Recipe.model_validate(raw), seed, noise=noise))
    return _WORKER_SIM["sim"]


_WORKER_SIM: dict = {}  # per-process memo of worker_simulator (one entry)


def _worker(raw, seed, start, stop, part_path, noise, compression):
    """Process entry point: simulate [start, stop) into its own part file (no geometry: merged later)."""
    sim = worker_simulator(raw, seed, noise)
    write_patterns(sim, part_path, start, stop, compression, geometry=False)
    return start, stop, str(part_path)


def write_spi(run) -> Path:
    """Write the SPI run ``run`` (a :class:`diffbench.simulate.driver.Run`) to ``run.out``."""
    from diffbench.io.cxi import CXIWriter
    from diffbench.simulate.spi.engine import Simulator

    name, n, out, seed, raw = run.name, run.n, run.out, run.seed, run.raw
    sim = Simulator(run.recipe, seed, noise=run.noise)  # builds / caches volumes once, before any worker
    noise = sim.noise
    dtype = sim.frame_dtype(noise)
    batch = run.batch_size or batch_size_for(sim.valid.size)
    attrs = spi_attrs(run, sim)
    workers = int(min(run.workers, n))
    compression = run.compression
    with progress_bar(n, name, run.progress) as bar:
        task = bar.add_task(name, total=n) if bar else None
        advance = (lambda k: bar.advance(task, k)) if bar else None
        with CXIWriter(out, n, sim.detector.shape, dtype, compression, sim.detector, sim.beam, attrs) as w:
            if workers == 1:
                _write_range(sim, w, 0, n, noise, batch, advance)
                write_detector_effects(sim, w)
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
                    except BaseException:  # interrupted or a worker failed: stop the others now
                        pool.close(cancel=True)
                        raise
                    pool.close()
                    results.sort()
                    _merge_parts(w, results)
                    write_detector_effects(sim, w)
                finally:
                    shutil.rmtree(tmpdir, ignore_errors=True)
    return out


def _merge_parts(writer, results) -> None:
    """Copy the part files' frames (compressed chunks as they are) and truth into ``writer``, in
    pattern order. The truth goes through temporary tables on disk, block by block, so that memory
    stays flat in N however many patterns the parts hold."""
    import h5py

    from diffbench.io.cxi import FRAMES, PARTICLES, TABLE_BLOCK_ROWS, TRUTH
    from diffbench.simulate.spi.engine import PARTICLE_DTYPE, PATTERN_DTYPE
    from diffbench.simulate.truth import SpilledTable

    with SpilledTable(writer.path, PATTERN_DTYPE) as pats, SpilledTable(writer.path, PARTICLE_DTYPE) as parts:
        for a, _, path in results:
            with h5py.File(path, "r") as f:
                writer.copy_chunks_from(f[FRAMES], a)
                for group, table in ((f[TRUTH], pats), (f[PARTICLES], parts)):
                    n = len(group[table.dtype.names[0]])
                    for s in range(0, n, TABLE_BLOCK_ROWS):
                        block = np.zeros(min(n, s + TABLE_BLOCK_ROWS) - s, dtype=table.dtype)
                        for k in table.dtype.names:
                            block[k] = group[k][s:s + len(block)]
                        table.append(block)
        writer.write_truth(pats, parts)

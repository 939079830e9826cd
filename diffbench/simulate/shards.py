"""Sharded, resumable generation: many files written independently, one index presenting them.

``simulate_sharded(recipe, n, "run.cxi", shard_size=M)`` splits the pattern indices into shards
of M (the last may be shorter). Each shard is a complete CXI file written by exactly one worker
under a temporary name and renamed when complete, in ``run.cxi.shards/``. The client is the only
writer of ``run.cxi.shards/manifest.json`` (shard file, index range, pattern and particle counts,
size, SHA-256; rewritten atomically after every finished shard) and, at the end, of the index
``run.cxi``, whose HDF5 virtual datasets present the shards as one CXI file
(:mod:`diffbench.io.index`).

Pattern content depends only on (recipe, seed, pattern index), so the bytes of every shard — and
the data read through the index — are the same whatever the engine, worker count or shard size.

Resume: re-running the same command keeps the shards listed in the manifest whose SHA-256 still
matches, and regenerates the rest (including shards finished after the client died but before it
recorded them). A manifest from a different run (recipe, seed, N, shard size, noise, compression
or diffbench version) is an error, never silently mixed.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import yaml

from diffbench._version import __version__
from diffbench.recipes.catalogue import RecipeError
from diffbench.utils.progress import progress_bar

MANIFEST = "manifest.json"


def shard_dir(index_path) -> Path:
    """The folder holding the shards of the index file ``index_path``."""
    p = Path(index_path)
    return p.with_name(p.name + ".shards")


def shard_ranges(n: int, shard_size: int) -> list[tuple[int, int, int]]:
    """(shard number, first index, stop index) covering [0, n) in shards of ``shard_size``."""
    return [(k, s, min(n, s + shard_size)) for k, s in enumerate(range(0, n, shard_size))]


def shard_name(k: int) -> str:
    return f"shard-{k:06d}.cxi"


def run_identity(name: str, raw: dict, seed: int, n: int, shard_size: int, noise: bool, compression: str) -> dict:
    """Everything that decides the bytes of the shards: a resumed run must match it exactly."""
    text = yaml.safe_dump(raw, sort_keys=True)
    return {"recipe": name, "recipe_sha256": hashlib.sha256(text.encode()).hexdigest(), "seed": int(seed),
            "n_patterns": int(n), "shard_size": int(shard_size), "noise": bool(noise),
            "compression": compression, "diffbench_version": __version__}


def write_shard(raw: dict, seed: int, noise: bool, compression: str, attrs: dict, k: int, start: int, stop: int,
                path: str) -> dict:
    """Task body (runs in a worker): simulate [start, stop) into ``path``; returns its manifest entry."""
    from diffbench.simulate.spi.run import worker_simulator

    return _simulate_shard(worker_simulator(raw, seed, noise), compression, attrs, k, start, stop, Path(path))


def _simulate_shard(sim, compression: str, attrs: dict, k: int, start: int, stop: int, path: Path) -> dict:
    """Write shard k ([start, stop)) with ``sim``; its manifest entry."""
    from diffbench.io.index import file_sha256
    from diffbench.simulate.spi.run import write_patterns

    shard_attrs = dict(attrs, n_patterns=stop - start, first_index=start, shard=k)
    n_particles = write_patterns(sim, path, start, stop, compression, shard_attrs)
    st = path.stat()
    return {"shard": k, "file": path.name, "start": start, "stop": stop, "n_patterns": stop - start,
            "n_particles": n_particles, "bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": file_sha256(path)}


def save_manifest(path: Path, manifest: dict):
    """Atomic JSON write (temporary name, then rename)."""
    from diffbench.utils.atomic import atomic_write_text

    atomic_write_text(path, json.dumps(manifest, indent=1, sort_keys=True))


def load_manifest(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        m = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RecipeError(f"unreadable shard manifest {path}: {exc}") from None
    if not (isinstance(m, dict) and isinstance(m.get("shards"), list) and isinstance(m.get("identity"), dict)
            and all(isinstance(e, dict) for e in m["shards"])):
        raise RecipeError(f"shard manifest {path}: not a diffbench manifest (needs 'identity' and a list 'shards'); "
                          "remove the folder to start over")
    return m


def _kept_shards(folder: Path, old: dict | None, identity: dict) -> dict[int, dict]:
    """Shards of a previous attempt that can be kept: same run, file present, SHA-256 matching."""
    from diffbench.io.index import file_sha256

    if old is None:
        return {}
    if old.get("identity") != identity:
        diff = sorted(k for k in identity if old.get("identity", {}).get(k) != identity[k])
        raise RecipeError(f"{folder} holds shards of a different run (differs in: {', '.join(diff)}); "
                          "delete it or choose another output path")
    kept = {}
    for e in old.get("shards", []):
        p = folder / e["file"]
        if p.is_file() and p.stat().st_size == e["bytes"] and file_sha256(p) == e["sha256"]:
            kept[int(e["shard"])] = dict(e, mtime_ns=p.stat().st_mtime_ns)
    return kept


def simulate_sharded(name: str, n: int, out, shard_size: int, seed: int = 0, overrides=None, config=None,
                     workers: int = 1, scheduler: str | None = None, noise: bool | None = None,
                     compression: str | None = None, progress: bool | None = None) -> dict:
    """Generate ``n`` patterns as shards of ``shard_size`` plus the index file ``out``, holding the
    output's lock (one writer per output) for the whole run.

    Returns a summary: patterns, shards written and kept, seconds, patterns/s, bytes, engine.
    """
    from diffbench.simulate.driver import check_output
    from diffbench.utils.atomic import output_lock

    check_output(Path(out))  # a missing folder is named before a lock is taken in it
    with output_lock(out):
        return _simulate_sharded(name, n, out, shard_size, seed, overrides, config, workers, scheduler, noise,
                                 compression, progress)


def _simulate_sharded(name: str, n: int, out, shard_size: int, seed: int = 0, overrides=None, config=None,
                     workers: int = 1, scheduler: str | None = None, noise: bool | None = None,
                     compression: str | None = None, progress: bool | None = None) -> dict:
    """Generate ``n`` patterns as shards of ``shard_size`` plus the index file ``out``.

    Returns a summary: patterns, shards written and kept, seconds, patterns/s, bytes, engine.
    """
    from diffbench.io.index import write_index
    from diffbench.simulate.driver import prepare_run
    from diffbench.simulate.executors import make_executor
    from diffbench.simulate.spi.engine import Simulator
    from diffbench.simulate.spi.run import spi_attrs

    if not isinstance(shard_size, (int, np.integer)) or isinstance(shard_size, bool) or shard_size < 1:
        raise RecipeError(f"--shard-size must be a positive integer, got {shard_size!r}")
    run = prepare_run(name, n, out, seed, overrides, config, workers, noise, compression, progress,
                      shard_size=shard_size)  # checks everything, refuses kinds that do not shard
    out, raw, compression = run.out, run.raw, run.compression
    sim = Simulator(run.recipe, seed, noise=noise)  # builds/caches volumes once for the workers
    noise = sim.noise
    identity = run_identity(name, raw, seed, n, shard_size, noise, compression)
    attrs = spi_attrs(run, sim)
    folder = shard_dir(out)
    folder.mkdir(exist_ok=True)
    for stale in folder.glob(".*.tmp"):  # temporaries of killed workers and of the manifest
        stale.unlink(missing_ok=True)
    mpath = folder / MANIFEST
    done = _kept_shards(folder, load_manifest(mpath), identity)
    todo = [r for r in shard_ranges(n, shard_size) if r[0] not in done]
    manifest = {"identity": identity, "shards": sorted(done.values(), key=lambda e: e["shard"])}
    save_manifest(mpath, manifest)

    def record(entry):
        done[entry["shard"]] = entry
        manifest["shards"] = sorted(done.values(), key=lambda e: e["shard"])
        save_manifest(mpath, manifest)

    t0 = time.perf_counter()
    ex = make_executor(run.workers, scheduler) if todo else None
    engine = ex.describe() if ex else "in-process"
    try:
        with progress_bar(len(todo), name, progress) as bar:
            task = bar.add_task(f"{name} shards", total=len(todo)) if bar else None
            if ex is None:
                for k, a, b in todo:
                    record(_simulate_shard(sim, compression, attrs, k, a, b, folder / shard_name(k)))
                    if bar:
                        bar.advance(task)
            else:
                futs = [ex.submit(write_shard, raw, seed, noise, compression, attrs, k, a, b,
                                  str(folder / shard_name(k))) for k, a, b in todo]
                for fut in ex.as_completed(futs):
                    record(fut.result())
                    if bar:
                        bar.advance(task)
    except BaseException as exc:
        if ex is not None:
            ex.close(cancel=True)
            ex = None
        if isinstance(exc, Exception) and not isinstance(exc, (RecipeError, ValueError)):
            raise RuntimeError(f"shard generation failed ({type(exc).__name__}: {exc}); "
                               f"{len(done)} complete shards are kept — re-run the same command to resume") from exc
        raise
    finally:
        if ex is not None:
            ex.close()
    dt = time.perf_counter() - t0
    write_index(out, folder, manifest)
    n_new = sum(b - a for _, a, b in todo)
    total_bytes = sum(e["bytes"] for e in manifest["shards"]) + out.stat().st_size
    return {"index": str(out), "shards": len(manifest["shards"]), "shards_written": len(todo),
            "shards_kept": len(manifest["shards"]) - len(todo), "patterns": n, "patterns_written": n_new,
            "seconds": dt, "patterns_per_s": n_new / dt if dt > 0 and n_new else float("nan"),
            "bytes": total_bytes, "engine": engine}


def print_summary(s: dict, file=sys.stdout):
    print(f"wrote {s['patterns_written']} of {s['patterns']} patterns in {s['shards_written']} shards "
          f"({s['shards_kept']} kept from an earlier run) with {s['engine']} in {s['seconds']:.1f} s "
          f"({s['patterns_per_s']:.1f} patterns/s); {s['bytes'] / 1e6:.1f} MB; index {s['index']}", file=file)

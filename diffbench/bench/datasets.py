"""The data sets of benchmark tasks: where each lives, simulating it unless a complete file of the
same recipe, seed and size is there, its content digest, and the truth a task scores against."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from diffbench.bench.tasks import Task
from diffbench.io.readers import kind_of_file, open_any


def dataset_path(folder: Path, task: Task, n: int, seed: int) -> Path:
    tag = hashlib.sha256(json.dumps([task.recipe, task.overrides, n, seed]).encode()).hexdigest()[:10]
    return Path(folder) / f"{task.recipe}-n{n}-s{seed}-{tag}.cxi"


def ensure_dataset(path: Path, task: Task, n: int, seed: int, shard_size: int | None = None, log=print,
                   config=None) -> Path:
    """Simulate the dataset unless a complete file with the same recipe, seed and N exists."""
    if path.is_file():
        try:
            kind = kind_of_file(path)
            with kind.open(path) as d:
                a = d.attrs
                count = int(a.get(kind.count_attr, len(d)))  # what -n counted: patterns, scans, data sets
                if a.get("recipe") == task.recipe and int(a.get("seed", -1)) == seed and count == n:
                    return path
        except (OSError, ValueError):
            pass
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"  simulating {n} patterns of {task.recipe} (seed {seed}) -> {path}")
    if shard_size:
        from diffbench.simulate.shards import simulate_sharded

        simulate_sharded(task.recipe, n, path, shard_size, seed=seed, overrides=task.overrides, workers=2,
                         progress=False, config=config)
    else:
        from diffbench.simulate.driver import simulate_to_file

        simulate_to_file(task.recipe, n, path, seed=seed, overrides=task.overrides, workers=1, progress=False,
                         config=config)
    return path


def dataset_digest(path: Path, opened=None) -> str:
    """SHA-256 of the file, of the shard hashes for a sharded index, or of an index and the files
    beside it that hold its data (the MTZ files of merged MX data). ``opened``: the file already
    open (saves opening it again)."""
    from diffbench.io.index import file_sha256

    if opened is None:
        with open_any(path) as d:
            return dataset_digest(path, d)
    manifest = getattr(opened, "manifest", None)
    if manifest is not None:
        return hashlib.sha256("".join(e["sha256"] for e in manifest["shards"]).encode()).hexdigest()
    side = getattr(opened, "side_files", [])
    if side:
        files = [Path(path)] + list(side)
        return hashlib.sha256("".join(file_sha256(p) for p in files).encode()).hexdigest()
    return file_sha256(path)


def target_values(ds, target: str) -> np.ndarray:
    """Per-pattern truth: a truth column, or ``diameter_m`` of the pattern's target particle (NaN
    where there is not exactly one)."""
    if target in ds.truth:
        y = np.asarray(ds.truth[target])
        return y.astype(str) if y.dtype.kind == "S" else y
    if target == "diameter_m":
        out = np.full(len(ds), np.nan)
        p = ds.particles
        one = np.asarray(ds.truth["n_target"]) == 1
        tgt = p["is_target"].astype(bool)
        idx = p["pattern_index"][tgt]
        out[idx[one[idx]]] = p["diameter_m"][tgt][one[idx]]
        return out
    raise ValueError(f"unknown target truth field {target!r}; have {', '.join(sorted(ds.truth))} or diameter_m")

"""One entry point for every data kind: check a run, resolve its recipe, hand it to the kind's
writer (:mod:`diffbench.kinds`), and build the provenance every file carries.

The kind decides what runs; this module decides nothing about kinds itself. All input is
checked before any file is created: numbers, the output path, the recipe, and the run options
against what the kind supports (an option a kind does not take is an error, never ignored).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffbench import kinds
from diffbench.recipes.catalogue import RecipeError, resolve, version_of

DEFAULT_COMPRESSION = "bitshuffle-lz4"
#: the most patterns (scans, data sets) of one file; larger runs are sharded (``--shard-size``)
MAX_ITEMS = 100_000_000


@dataclass(frozen=True)
class Run:
    """One simulation run, checked and resolved: what a kind's ``write(run)`` receives.

    ``noise`` is ``None`` for the recipe's own setting; ``compression`` is always a name from
    :data:`diffbench.io.cxi.COMPRESSIONS` (the default where the kind takes none); ``progress`` ``None`` shows a
    bar when stderr is a terminal.
    """

    name: str
    kind: kinds.DataKind
    recipe: object  # the validated pydantic model of the kind's schema
    raw: dict  # the resolved recipe as a plain dict (stored in the file)
    n: int
    out: Path
    seed: int = 0
    noise: bool | None = None
    compression: str = DEFAULT_COMPRESSION
    workers: int = 1
    progress: bool | None = None
    batch_size: int | None = None

    def provenance(self, **extra) -> dict:
        """The attributes every file records about the run that wrote it, plus ``extra``."""
        import yaml

        from diffbench._version import __version__

        return {"kind": self.kind.name, "recipe": self.name, "recipe_version": version_of(self.name),
                "recipe_yaml": yaml.safe_dump(self.raw, sort_keys=False), "seed": int(self.seed),
                self.kind.count_attr: int(self.n), "diffbench_version": __version__} | extra


def validate_run_args(n, seed, workers, compression) -> None:
    """The command-line numbers of a run, checked before anything is built or written."""
    from diffbench.io.cxi import COMPRESSIONS

    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
        raise RecipeError(f"-n must be a positive integer, got {n!r}")
    if n > MAX_ITEMS:
        raise RecipeError(f"-n must be at most {MAX_ITEMS:,} (one file; shard larger runs with --shard-size), got {n}")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise RecipeError(f"--seed must be a non-negative integer, got {seed!r}")
    if seed >= 2**63:
        raise RecipeError(f"--seed must be below 2^63 (it is stored as int64), got {seed}")
    if workers != "auto" and (not isinstance(workers, (int, np.integer)) or isinstance(workers, bool)
                              or workers < 1):
        raise RecipeError(f"--workers must be 'auto' or an integer >= 1, got {workers!r}")
    if compression is not None and compression not in COMPRESSIONS:
        raise RecipeError(f"--compression must be one of {', '.join(COMPRESSIONS)}, got {compression!r}")


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def choose_workers(kind: kinds.DataKind, n: int, cores: int) -> int:
    """``--workers auto``: one process where it keeps every core busy by itself (at most the kind's
    ``cores_per_process`` cores), else as many processes as cores while each writes at least the
    kind's ``items_per_worker`` items (kinds without worker processes: always one)."""
    if not kind.workers or cores <= kind.cores_per_process:
        return 1
    return int(max(1, min(cores, n // kind.items_per_worker)))


def workers_advice(kind: kinds.DataKind, workers: int, n: int, cores: int) -> str | None:
    """Why ``workers`` processes will probably not beat one for ``n`` items on ``cores`` cores,
    or None: more processes than cores contend, fewer than the kind's ``items_per_worker`` items
    each do not repay a worker's start-up, and on up to ``cores_per_process`` cores one process
    keeps them all busy."""
    if workers <= 1:
        return None
    if workers > cores:
        return f"--workers {workers} on {cores} usable cores: the processes will contend (--workers auto chooses)"
    if n < kind.items_per_worker * workers:
        return (f"--workers {workers} for {n:,} {kind.unit}: a worker's start-up is repaid from about "
                f"{kind.items_per_worker:,} {kind.unit} each, and one process already uses every core "
                "(--workers auto chooses)")
    if cores <= kind.cores_per_process:
        return (f"--workers {workers} on {cores} usable cores: one process already keeps {cores} cores busy, "
                "and the workers' start-up and merge are not repaid (--workers auto chooses)")
    return None


def check_output(out: Path) -> None:
    """The output's folder exists and is writable, and the output is not a folder."""
    out = Path(out)
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise RecipeError(f"output directory does not exist: {parent}")
    if not os.access(parent, os.W_OK):
        raise RecipeError(f"output directory is not writable: {parent}")
    if out.is_dir():
        raise RecipeError(f"output path is a directory: {out}")


def prepare_run(name: str, n: int, out, seed: int = 0, overrides=None, config=None, workers: int = 1,
                noise: bool | None = None, compression: str | None = None, progress: bool | None = None,
                batch_size: int | None = None, shard_size: int | None = None) -> Run:
    """Check everything about a run and resolve its recipe; nothing is written."""
    validate_run_args(n, seed, workers, compression)
    out = Path(out)
    check_output(out)
    recipe, raw = resolve(name, config, overrides)
    kind = kinds.of_recipe(raw)
    cores = usable_cores()
    if workers == "auto":
        workers = choose_workers(kind, int(n), cores)
        if progress is not False and kind.workers:
            print(f"diffbench: --workers auto: {workers} process{'es' if workers > 1 else ''} for {n:,} "
                  f"{kind.unit} on {cores} cores", file=sys.stderr)
    try:
        kind.check_options(noise=noise, compression=compression, workers=workers, shard_size=shard_size)
    except kinds.KindError as exc:
        raise RecipeError(f"recipe {name}: {exc}") from None
    advice = workers_advice(kind, min(int(workers), int(n)), int(n), cores) if shard_size is None else None
    if advice and progress is not False:
        print(f"diffbench: note: {advice}", file=sys.stderr)
    return Run(name, kind, recipe, raw, int(n), out, int(seed), noise, compression or DEFAULT_COMPRESSION,
               int(workers), progress, batch_size)


def simulate_to_file(name: str, n: int, out, seed: int = 0, overrides=None, config=None, workers: int = 1,
                     noise: bool | None = None, compression: str | None = None, progress: bool | None = None,
                     batch_size: int | None = None) -> Path:
    """Simulate ``n`` items (patterns, scans, data sets: the kind's unit) of recipe ``name`` into
    ``out``; returns its path.

    All input is checked before any file is created; on failure nothing is left at ``out``. An
    option the recipe's kind does not take (``noise=False`` for merged MX data, ``workers`` for
    ED scans, ...) is an error naming it.
    """
    from diffbench.utils.atomic import output_lock
    from diffbench.utils.progress import announce, quiet

    run = prepare_run(name, n, out, seed, overrides, config, workers, noise, compression, progress, batch_size)
    with quiet(progress is False), output_lock(run.out):  # one writer per output; clears what crashed runs left
        if run.out.exists():
            announce(f"replacing {run.out} (its content stays until the new file is complete)")
        return Path(run.kind.load("writer")(run))

"""Paired, alternating timing of two diffbench trees on one ``diffbench simulate`` job.

This machine's speed drifts by ±25 % within minutes, so an old and a new figure are only comparable
when measured in alternation: old, new, old, new... each a fresh process (start-up included),
each tree with its own numba cache (warmed by a first, untimed run).

    git worktree add /tmp/old <commit>
    python scripts/paired_timing.py --old /tmp/old pr772-spi-v6 -n 600 --old-recipe pr772-spi-v5
    python scripts/paired_timing.py --old /tmp/old chaperonin-90-v7 -n 10000 --old-recipe chaperonin-90-v6 \\
        --set detector.preset=pnccd-amo86615-bin8 --set "hits.classes={single: 1}"
    python scripts/paired_timing.py --old /tmp/old dragonfly-job-v1 --config job.yaml -n 10000

Prints patterns per second of each run and the new/old ratio of each pair.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NEW = Path(__file__).resolve().parents[1]


def run(tree: Path, recipe: str, n: int, sets: list[str], cache: Path, out: Path, config: Path | None = None) -> float:
    """Patterns per second of one fresh ``simulate`` process of ``tree``."""
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(tree))
    cmd = [sys.executable, "-m", "diffbench.cli.main", "simulate", recipe, "-n", str(n), "-o", str(out),
           "--seed", "1", "--quiet"]
    if config is not None:
        cmd += ["--config", str(config)]
    for s in sets:
        cmd += ["--set", s]
    t0 = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, cwd=out.parent, stdout=subprocess.DEVNULL)
    rate = n / (time.perf_counter() - t0)
    out.unlink()
    return rate


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("recipe", help="the recipe as the new tree names it")
    p.add_argument("--old", type=Path, required=True, help="the old tree (e.g. a git worktree)")
    p.add_argument("--old-recipe", help="the recipe as the old tree names it (default: the same)")
    p.add_argument("-n", type=int, required=True, help="patterns per run")
    p.add_argument("--set", action="append", default=[], help="recipe override, as for simulate")
    p.add_argument("--rounds", type=int, default=3, help="pairs (default 3)")
    p.add_argument("--config", type=Path, help="a catalogue of one's own, for both trees (as for simulate)")
    a = p.parse_args(argv)
    old_recipe = a.old_recipe or a.recipe
    with tempfile.TemporaryDirectory(prefix="paired-") as tmp:
        tmp = Path(tmp)
        trees = {"old": (a.old.resolve(), old_recipe, tmp / "cache-old"),
                 "new": (NEW, a.recipe, tmp / "cache-new")}
        for tree, recipe, cache in trees.values():  # each tree's bytecode and kernels, untimed
            # (Python reads .pyc files even where PYTHONDONTWRITEBYTECODE, set on this VM, keeps it
            # from writing them: without, every run would compile the package from source)
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "diffbench")], check=True,
                           stdout=subprocess.DEVNULL)
            run(tree, recipe, 4, a.set, cache, tmp / "warm.cxi", a.config)
        for i in range(a.rounds):
            old = run(*trees["old"][:2], a.n, a.set, trees["old"][2], tmp / "out.cxi", a.config)
            new = run(*trees["new"][:2], a.n, a.set, trees["new"][2], tmp / "out.cxi", a.config)
            print(f"pair {i + 1}: old {old:,.1f}/s  new {new:,.1f}/s  ratio {new / old:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

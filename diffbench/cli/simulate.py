"""Simulate N patterns of a recipe into a CXI file with full ground truth.

Examples:
  diffbench simulate pr772-spi-v6 -n 1000 -o pr772.cxi --seed 7
  diffbench simulate pr772-spi-v6 -n 500 -o singles.cxi --set hits.classes="{single: 1}"
  diffbench simulate gold-melt-v5 -n 2000 -o gold.cxi --workers 2 --compression gzip
  diffbench simulate gold-melt-v5 -n 200000 -o gold.cxi --workers auto
  diffbench simulate my-recipe-v1 --config my.yaml -n 10 -o x.cxi --no-noise
  diffbench simulate chaperonin-90-v7 -n 100000 -o big.cxi --shard-size 5000 --workers 2
  diffbench simulate chaperonin-90-v7 -n 1000000 -o big.cxi --shard-size 10000 --scheduler tcp://head:8786
  diffbench simulate ed-holey-carbon-v1 -n 17 -o scans.cxi          # N = scans of 40x40 frames
  diffbench simulate mx-ice-rings-v2 -n 2000 -o mx.h5 --workers 2   # N = merged data sets (MTZ in mx.h5.mtz/)
  diffbench simulate xfel-droplet-ice-v2 -n 500 -o droplets.cxi     # N = frames

With --shard-size M the patterns go to shards of M in OUT.shards/ (one file per shard, written by
one worker) and OUT is an index presenting them as one CXI file. Re-running the same command after
an interruption keeps the complete shards and regenerates the rest.
"""

from __future__ import annotations


def add_args(p):
    p.add_argument("recipe", help="recipe name (see `diffbench list`)")
    p.add_argument("-n", type=int, required=True,
                   help="how many, in the recipe's unit (`diffbench list`: patterns, scans, data sets, frames); > 0")
    p.add_argument("-o", "--output", required=True, help="output CXI file (written atomically)")
    p.add_argument("--seed", type=int, default=0, help="dataset seed (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override one recipe value, e.g. beam.pulse_energy_j=2e-3 (repeatable)")
    p.add_argument("--config", help="YAML catalogue holding the recipe (default: datasets.yaml)")
    p.add_argument("--workers", type=_workers, default=1,
                   help="processes on this machine, or 'auto': as many as pay for their start-up (says how many; "
                        "default 1, which renders on every core's thread; kinds that run in parallel only)")
    p.add_argument("--shard-size", type=int, help="patterns per shard file; OUT becomes an index of the shards")
    p.add_argument("--scheduler", help="run the shards on Dask distributed: tcp://host:port, or local:K "
                                        "for a LocalCluster of K processes (needs --shard-size)")
    p.add_argument("--no-noise", action="store_true", help="store expected photons as float32, no Poisson noise")
    p.add_argument("--compression", choices=["bitshuffle-lz4", "gzip", "none"],
                   help="frame compression (default bitshuffle-lz4; kinds that write frames only)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _workers(text: str):
    """``--workers``: an integer where the text is one, else the text ('auto'; anything else is
    refused by the driver's check, in one line)."""
    try:
        return int(text)
    except ValueError:
        return text


def main(args):
    import time

    from diffbench.recipes.catalogue import recipe_kind
    from diffbench.simulate.driver import simulate_to_file

    if args.scheduler and args.shard_size is None:
        raise ValueError("--scheduler needs --shard-size (Dask runs write one shard per task)")
    noise = False if args.no_noise else None
    progress = False if args.quiet else None
    if args.shard_size is not None:
        from diffbench.simulate.shards import print_summary, simulate_sharded

        summary = simulate_sharded(args.recipe, args.n, args.output, args.shard_size, seed=args.seed,
                                   overrides=args.set, config=args.config, workers=args.workers,
                                   scheduler=args.scheduler, noise=noise, compression=args.compression,
                                   progress=progress)
        print_summary(summary)
        return 0
    t0 = time.perf_counter()
    out = simulate_to_file(args.recipe, args.n, args.output, seed=args.seed, overrides=args.set,
                           config=args.config, workers=args.workers, noise=noise,
                           compression=args.compression, progress=progress)
    dt = time.perf_counter() - t0
    unit = recipe_kind(args.recipe, args.config).unit
    print(f"wrote {args.n} {unit} of {args.recipe} (seed {args.seed}) to {out} in {dt:.1f} s "
          f"({args.n / dt:.3g} per s)")
    return 0

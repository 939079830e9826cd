"""Write a dataset card (Markdown): what a recipe's data are, measured on generated data.

The card gives the paper the recipe reproduces, its resolved parameters, every truth field, the
class balance and the distributions of photons, sizes and every other numeric truth, the versions
and the content hash. From a recipe, a small sample is simulated (-n, default 300); from a file,
the file itself is described.

Examples:
  diffbench card chaperonin-xfel-v3 -o chaperonin-xfel-v3.card.md
  diffbench card pr772-spi-v6 -n 1000 --set detector.nx=192 --set detector.ny=96
  diffbench card --file bench-out/datasets/chaperonin-90-v7-n1000-s1-abc.cxi
"""

from __future__ import annotations


def add_args(p):
    p.add_argument("recipe", nargs="?", help="recipe name (a sample is simulated)")
    p.add_argument("--file", help="describe this data file instead of simulating a sample")
    p.add_argument("-n", type=int, default=300, help="sample size simulated for a recipe (default 300)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--config", help="YAML catalogue (default: datasets.yaml)")
    p.add_argument("-o", "--output", help="write the card here (default: print it)")


def main(args):
    import tempfile
    from pathlib import Path

    from diffbench.io.card import card_markdown
    from diffbench.utils.atomic import atomic_write_text

    if bool(args.recipe) == bool(args.file):
        raise ValueError("give a recipe name or --file FILE (one of the two)")
    if args.file:
        text = card_markdown(args.file)
    else:
        from diffbench.simulate.driver import simulate_to_file

        with tempfile.TemporaryDirectory(prefix="diffbench-card-") as tmp:
            path = Path(tmp) / f"{args.recipe}.cxi"
            simulate_to_file(args.recipe, args.n, path, seed=args.seed, overrides=args.overrides,
                             config=args.config, progress=True)
            text = card_markdown(path).replace(str(path), f"(a sample of {args.n}, seed {args.seed})")
    if args.output:
        atomic_write_text(args.output, text)
        print(f"card: {args.output}")
    else:
        print(text, end="")
    return 0

"""List the named dataset recipes with their descriptions.

Examples:
  diffbench list
  diffbench list --config my-datasets.yaml
"""

from __future__ import annotations


def add_args(p):
    p.add_argument("--config", help="a YAML catalogue instead of the shipped datasets.yaml")


def main(args):
    from diffbench import kinds
    from diffbench.recipes.catalogue import load_catalogue

    cat = load_catalogue(args.config)
    width = max(len(n) for n in cat["recipes"])
    for name in sorted(cat["recipes"]):
        r = cat["recipes"][name]
        kind = kinds.of_recipe(r)
        print(f"{name:<{width}}  [{kind.name}; -n counts {kind.unit}]  {r.get('description', '')}")
    return 0

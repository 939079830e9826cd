"""Show a recipe with every key resolved: its own values, the defaults it inherits, the overrides.

Every key printed can be set with --set KEY=VALUE (dotted, as shown); --keys lists each key of the
recipe's kind with its type, unit, default, allowed values and meaning (docs/recipe-keys.md has
them for every kind).

Examples:
  diffbench show pr772-spi-v6
  diffbench show chaperonin-90-v7 --set detector.preset=pnccd-amo86615-bin8
  diffbench show gold-melt-v5 --keys
"""

from __future__ import annotations


def add_args(p):
    p.add_argument("recipe", help="recipe name (diffbench list)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a recipe field")
    p.add_argument("--config", help="a YAML catalogue instead of the shipped datasets.yaml")
    p.add_argument("--keys", action="store_true", help="list every key of the recipe's kind instead")


def main(args):
    import yaml

    from diffbench import kinds
    from diffbench.recipes.catalogue import resolve, version_of

    model, raw = resolve(args.recipe, args.config, args.set)
    kind = kinds.of_recipe(raw)
    if args.keys:
        from diffbench.recipes.reference import keys_of

        rows = keys_of(type(model))
        width = max(len(k.path) for k in rows)
        for k in rows:
            extra = "; ".join(x for x in (f"default {k.default}" if k.default else "", k.allowed) if x)
            print(f"{k.path:<{width}}  {k.type}" + (f"  [{extra}]" if extra else "") + (f"\n{'':<{width}}  {k.doc}"
                                                                                         if k.doc else ""))
        return 0
    full = model.model_dump(mode="json")
    print(f"# {args.recipe}: kind {kind.name} (-n counts {kind.unit}), version {version_of(args.recipe)}"
          + (f"; overrides: {', '.join(args.set)}" if args.set else ""))
    print("# every key, defaults included; set any with --set KEY=VALUE (diffbench show RECIPE --keys)")
    print(yaml.safe_dump(full, sort_keys=False, allow_unicode=True, width=100).rstrip())
    return 0

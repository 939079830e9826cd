"""The recipe catalogue: ``datasets.yaml`` (repository root, or the copy inside an installed
wheel), user YAML files and ``--set key.path=value`` overrides, all validated up front.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from diffbench import kinds
from diffbench.recipes.schema import format_validation_error

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*-v(\d+)$")


class RecipeError(ValueError):
    """A recipe could not be found, parsed or validated; the message says where and why."""


def catalogue_path() -> Path:
    """datasets.yaml: inside the installed package if present, else at the repository root."""
    here = Path(__file__).resolve().parent.parent
    for p in (here / "datasets.yaml", here.parent / "datasets.yaml"):
        if p.is_file():
            return p
    raise RecipeError("datasets.yaml not found (neither in the package nor at the repository root)")


#: the most nodes a YAML document may expand to once its aliases are followed (datasets.yaml: ~2,000)
MAX_YAML_NODES = 100_000


def _expanded_size(node, memo: dict) -> int:
    """Nodes in ``node`` with every alias expanded (aliases share node objects: counted by identity);
    a document that contains itself is an error."""
    key = id(node)
    if memo.get(key) == -1:
        raise RecipeError("YAML refers to itself through an alias (a recursive document); refused")
    if key not in memo:
        memo[key] = -1  # in progress
        if isinstance(node, yaml.MappingNode):
            memo[key] = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            memo[key] = 1 + sum(_expanded_size(v, memo) for v in node.value)
        else:
            memo[key] = 1
    return memo[key]


def safe_load_yaml(text: str):
    """``yaml.safe_load`` through libyaml's C parser where PyYAML was built with it: the same
    safe constructor and resolver, so the same values, about ten times sooner (every
    ``diffbench simulate`` parses datasets.yaml once). A document whose aliases expand beyond
    :data:`MAX_YAML_NODES` nodes (a "billion laughs") is refused before it is built."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    node = yaml.compose(text, Loader=loader)
    if node is not None and _expanded_size(node, {}) > MAX_YAML_NODES:
        raise RecipeError(f"YAML expands to more than {MAX_YAML_NODES:,} nodes through its aliases; refused")
    return yaml.load(text, Loader=loader)


def load_catalogue(path: str | Path | None = None) -> dict:
    """Raw catalogue dict {"version": .., "recipes": {name: {...}}, "benchmarks": ...}."""
    p = Path(path) if path else catalogue_path()
    if not p.is_file():
        raise RecipeError(f"config file not found: {p}")
    try:
        data = safe_load_yaml(p.read_text())
    except yaml.YAMLError as exc:
        raise RecipeError(f"{p}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("recipes"), dict):
        raise RecipeError(f"{p}: expected a mapping with a 'recipes' section")
    for name in data["recipes"]:
        if not NAME_RE.match(str(name)):
            raise RecipeError(f"{p}: recipes.{name}: names must look like 'name-vN'")
    for name, r in (data.get("retired") or {}).items():
        if not isinstance(r, dict) or set(r) != {"release", "replaced_by", "why"}:
            raise RecipeError(f"{p}: retired.{name}: needs exactly release, replaced_by and why")
        if name in data["recipes"] or r["replaced_by"] not in data["recipes"]:
            raise RecipeError(f"{p}: retired.{name}: must not be a recipe, and must name one that is "
                              f"(replaced_by {r['replaced_by']!r})")
    return data


def parse_override(text: str) -> tuple[list[str], object]:
    """``"beam.pulse_energy_j=2e-3"`` → (["beam", "pulse_energy_j"], 0.002); values parsed as YAML."""
    if "=" not in text:
        raise RecipeError(f"--set {text!r}: expected KEY.PATH=VALUE")
    key, value = text.split("=", 1)
    parts = [k for k in key.strip().split(".") if k]
    if not parts:
        raise RecipeError(f"--set {text!r}: empty key")
    try:
        parsed = safe_load_yaml(value)
    except yaml.YAMLError:
        parsed = value
    return parts, _numbers(parsed)


def _numbers(v):
    """YAML 1.1 reads ``70e-9`` (no dot) as a string; users mean the number."""
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return v
    if isinstance(v, list):
        return [_numbers(x) for x in v]
    if isinstance(v, dict):
        return {k: _numbers(x) for k, x in v.items()}
    return v


def apply_overrides(raw: dict, overrides: list[str]) -> dict:
    out = copy.deepcopy(raw)
    for text in overrides or []:
        parts, value = parse_override(text)
        node = out
        for p in parts[:-1]:
            node = node.setdefault(p, {})
            if not isinstance(node, dict):
                raise RecipeError(f"--set {text!r}: {p!r} is not a section")
        node[parts[-1]] = value
    return out


def recipe_kind(name: str, config=None):
    """The :class:`~diffbench.kinds.DataKind` of catalogue recipe ``name`` (SPI when the name is
    unknown: :func:`resolve` reports that)."""
    from diffbench import kinds

    return kinds.of_recipe(load_catalogue(config)["recipes"].get(name, {}))


def resolve(name: str, config: str | Path | None = None, overrides: list[str] | None = None) -> tuple:
    """Find, override and validate a recipe. Returns (the validated model of its kind's schema,
    the resolved raw dict)."""
    cat = load_catalogue(config)
    recipes = cat["recipes"]
    if name not in recipes:
        retired = cat.get("retired") or {}
        if name in retired:
            r = retired[name]
            raise RecipeError(f"recipe {name} is retired: diffbench {r['release']} and earlier produce it "
                              f"(pip install 'diffbench=={r['release']}'); it is replaced by {r['replaced_by']} "
                              f"({r['why']})")
        base = name.rsplit("-v", 1)[0]
        versions = [n for n in recipes if n.rsplit("-v", 1)[0] == base]
        hint = f" (available versions: {', '.join(sorted(versions))})" if versions else ""
        raise RecipeError(f"unknown recipe {name!r}{hint}; known: {', '.join(sorted(recipes))}")
    raw = apply_overrides(recipes[name], overrides or [])
    try:
        model = kinds.of_recipe(raw).recipe_model()
    except kinds.KindError as exc:
        raise RecipeError(f"recipe {name}: {exc}") from None
    try:
        recipe = model.model_validate(raw)
    except ValidationError as exc:
        raise RecipeError(f"recipe {name}: " + format_validation_error(exc, prefix="")) from None
    return recipe, raw


def version_of(name: str) -> int:
    m = NAME_RE.match(name)
    return int(m.group(1)) if m else 0

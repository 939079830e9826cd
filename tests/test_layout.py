"""The package's shape: data flows one way, with no import cycles between modules or packages,
no kind name tested outside the kind registry and the kinds' own modules, no private helper
borrowed across packages, and ``import diffbench`` stays light."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

import diffbench

ROOT = Path(diffbench.__file__).parent
def _modules():
    for f in sorted(ROOT.rglob("*.py")):
        parts = f.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, ast.parse(f.read_text(encoding="utf-8"))


def _imports(tree, top_level_only: bool):
    """(imported module, names) of every diffbench import; ``top_level_only``: only those that run
    when the module is imported (not inside functions)."""
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "diffbench":
            names = [a.name for a in node.names]
            if node.module == "diffbench":  # from diffbench import kinds
                for n in names:
                    yield f"diffbench.{n}", []
            else:
                yield node.module, names
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "diffbench":
                    yield a.name, []


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component of more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_no_module_import_cycles():
    """Imports that run at import time form no cycle (a cycle works only by the order of imports)."""
    graph = defaultdict(set)
    for name, tree in _modules():
        for target, _ in _imports(tree, top_level_only=True):
            if target != name and not target.startswith(name + "."):
                graph[name].add(target)
    assert _cycles(graph) == []


def test_no_package_import_cycles():
    """Between packages, counting every import (deferred ones too): data flow one way, from
    units/utils/geometry through simulate and io to methods, bench, viewer and the command line."""
    graph = defaultdict(set)
    for name, tree in _modules():
        src = _package(name)
        for target, _ in _imports(tree, top_level_only=False):
            dst = _package(target)
            if dst != src and src != "diffbench":
                graph[src].add(dst)
    assert _cycles(graph) == [], dict(graph)


def test_no_private_helper_is_used_across_packages():
    offenders = []
    for name, tree in _modules():
        for target, names in _imports(tree, top_level_only=False):
            if _package(target) != _package(name):
                offenders += [f"{name} imports {target}.{n}" for n in names if n.startswith("_") and n != "__version__"]
    assert offenders == []


KIND_NAMES = re.compile(r"""["'](spi|ed-scan|mx-merged|xray-droplet)["']""")
# where a kind may be named: the registry, and each kind's own package
KIND_HOMES = ("diffbench.kinds", "diffbench.simulate.spi", "diffbench.simulate.ed", "diffbench.simulate.mx",
              "diffbench.simulate.droplet")


def test_kind_names_are_tested_only_in_the_registry_and_the_kinds_own_modules():
    offenders = []
    for f in sorted(ROOT.rglob("*.py")):
        parts = f.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name == "diffbench.kinds" or name.startswith(tuple(h + "." for h in KIND_HOMES)) or name in KIND_HOMES:
            continue
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#")[0]
            if KIND_NAMES.search(code) and not code.lstrip().startswith(('"""', "``")):
                offenders.append(f"{name}:{i}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("heavy", ["numba", "torch", "bokeh", "dask", "sklearn", "h5py"])
def test_import_diffbench_stays_light(heavy):
    code = f"import sys, diffbench, diffbench.kinds; assert {heavy!r} not in sys.modules, 'imported {heavy}'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_old_module_paths_still_import_for_one_release():
    """Every moved module answers at its old path (the same module object, with a warning)."""
    import importlib
    import warnings

    from diffbench._moved import MOVED

    for old, new in MOVED.items():
        fresh = old not in sys.modules
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mod = importlib.import_module(old)
        assert mod is importlib.import_module(new), old
        if fresh:
            assert any(issubclass(w.category, DeprecationWarning) and new in str(w.message) for w in caught), old
    from diffbench.simulate.droplet import write_droplets
    from diffbench.simulate.mx import write_mx  # names of the former modules simulate.mx, simulate.droplet

    assert write_mx.__module__ == "diffbench.simulate.mx.run" and write_droplets.__module__.endswith("droplet.run")

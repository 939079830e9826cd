"""Cached numba kernels record the digest of the diffbench modules whose numba functions they
compile in. Numba keys its on-disk cache of a function on the function's own file only: edit a
helper in another module and the stale compiled kernel is loaded, so the output is no longer the
code's. The recorded digest makes such an edit fail here until the kernel's file is updated, and
updating it makes numba recompile."""

import hashlib
import importlib
import re
from pathlib import Path

import pytest

import diffbench

PACKAGE = Path(diffbench.__file__).resolve().parent
KERNELS = ["diffbench.simulate.spi.kernels", "diffbench.simulate.ring_kernels"]


def _digest(sources) -> str:
    h = hashlib.sha256()
    for rel in sources:
        h.update(rel.encode())
        h.update((PACKAGE / rel).read_text().encode())  # text: the same digest whatever the line endings
    return h.hexdigest()


@pytest.mark.parametrize("name", KERNELS)
def test_kernel_records_the_digest_of_what_it_compiles_in(name):
    mod = importlib.import_module(name)
    new = _digest(mod.INLINED_SOURCES)
    assert new == mod.INLINED_SOURCES_SHA256, (
        f"a module {name} compiles in changed: set its INLINED_SOURCES_SHA256 = {new!r} "
        "(editing the kernel's file makes numba recompile instead of loading a stale cache)")


def _imports(path: Path) -> set[str]:
    return set(re.findall(r"^\s*from (diffbench\.[\w.]+) import", path.read_text(), flags=re.M))


def test_every_cached_kernel_that_imports_jitted_code_is_listed():
    """Any module with cached numba functions that imports a diffbench module holding numba
    functions is one of KERNELS, and lists that module in INLINED_SOURCES."""
    jitted = {p for p in PACKAGE.rglob("*.py") if re.search(r"@(nb|numba)\.njit|@njit|@intrinsic", p.read_text())}
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text()
        if "cache=True" not in text:
            continue
        deps = {d for d in _imports(path) if (PACKAGE.parent / (d.replace(".", "/") + ".py")) in jitted}
        if not deps:
            continue
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        assert name in KERNELS, f"{name} compiles in {sorted(deps)}: give it INLINED_SOURCES and add it here"
        listed = {"diffbench." + rel[:-3].replace("/", ".") for rel in importlib.import_module(name).INLINED_SOURCES}
        assert deps <= listed, f"{name}: {sorted(deps - listed)} missing from INLINED_SOURCES"

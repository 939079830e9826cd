"""Old import paths of modules that moved, kept working for one release.

``import diffbench.simulate.engine`` (and every other path in :data:`MOVED`) gives the module at
its new place, with a ``DeprecationWarning`` naming it; no copy of any module is kept. Installed
by ``import diffbench``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

#: old module path -> new module path
MOVED = {
    "diffbench.io.atomic": "diffbench.utils.atomic",
    "diffbench.methods.mx_data": "diffbench.io.mx",
    "diffbench.simulate.constants": "diffbench.units",
    "diffbench.simulate.detector": "diffbench.geometry.detector",
    "diffbench.simulate.detector_presets": "diffbench.geometry.presets",
    "diffbench.simulate.beam": "diffbench.geometry.beam",
    "diffbench.simulate.orientation": "diffbench.geometry.orientation",
    "diffbench.simulate.materials": "diffbench.physics.materials",
    "diffbench.simulate.form_factors": "diffbench.physics.form_factors",
    "diffbench.simulate.electron": "diffbench.physics.electron",
    "diffbench.simulate.ice": "diffbench.physics.ice",
    "diffbench.simulate.rings": "diffbench.physics.rings",
    "diffbench.simulate.radial": "diffbench.physics.radial",
    "diffbench.simulate.catalogue": "diffbench.recipes.catalogue",
    "diffbench.simulate.config": "diffbench.simulate.spi.schema",
    "diffbench.simulate.engine": "diffbench.simulate.spi.engine",
    "diffbench.simulate.run": "diffbench.simulate.spi.run",
    "diffbench.simulate.species": "diffbench.simulate.spi.species",
    "diffbench.simulate.shapes": "diffbench.simulate.spi.shapes",
    "diffbench.simulate.volume": "diffbench.simulate.spi.volume",
    "diffbench.simulate.atomic": "diffbench.simulate.spi.atomic",
    "diffbench.simulate.atomic_kernels": "diffbench.simulate.spi.atomic_kernels",
    "diffbench.simulate.spi_rings": "diffbench.simulate.spi.rings",
    "diffbench.simulate.kernels": "diffbench.simulate.spi.kernels",
    "diffbench.simulate.vector_kernels": "diffbench.simulate.spi.vector_kernels",
    "diffbench.simulate.kernels_api": "diffbench.simulate.spi.kernels_api",
    "diffbench.simulate.reference": "diffbench.simulate.spi.reference",
    "diffbench.simulate.seeding": "diffbench.simulate.spi.seeding",
    "diffbench.simulate.ed_config": "diffbench.simulate.ed.schema",
    "diffbench.simulate.ed_scan": "diffbench.simulate.ed.scan",
    "diffbench.simulate.ed_run": "diffbench.simulate.ed.run",
    "diffbench.simulate.mx_config": "diffbench.simulate.mx.schema",
    "diffbench.simulate.droplet_config": "diffbench.simulate.droplet.schema",
}


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec):
        warnings.warn(f"{spec.name} moved to {self.target}; the old path goes in the next release",
                      DeprecationWarning, stacklevel=2)
        return importlib.import_module(self.target)

    def exec_module(self, module):
        pass  # the target module is already executed


class _MovedFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, _Alias(MOVED[fullname]))
        return None


def former_module_getattr(package: str, target: str):
    """A module ``__getattr__`` for ``package``, which replaced a module of the same name: names of
    the former module are looked up in ``target`` (for one release)."""

    def __getattr__(name):
        if name.startswith("__") or name in ("run", "schema"):
            raise AttributeError(name)
        try:
            return getattr(importlib.import_module(target), name)
        except AttributeError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None

    return __getattr__


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.append(_MovedFinder())

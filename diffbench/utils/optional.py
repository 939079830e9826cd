"""Optional dependencies, imported when a feature needs them, with an install hint when missing
(the scikit-learn ``check_matplotlib_support`` / Gymnasium ``DependencyNotInstalled`` pattern)."""

from __future__ import annotations

import importlib

#: top-level module → the diffbench extra that installs it
EXTRAS = {"bokeh": "viewer", "dask": "dask", "distributed": "dask", "torch": "torch", "playwright": "test"}


def require(module: str, feature: str):
    """Import ``module`` for ``feature`` (e.g. "diffbench view"), or raise an ImportError that says
    which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        extra = EXTRAS.get(module.split(".")[0])
        hint = f"pip install 'diffbench[{extra}]'" if extra else f"pip install {module.split('.')[0]}"
        raise ImportError(f"{feature} requires {module.split('.')[0]}: {hint}") from exc

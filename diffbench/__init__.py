"""diffbench: simulated diffraction data with known ground truth, and a benchmark of the
methods that sort it.

Light at import time: importing ``diffbench`` pulls in neither numba, torch, bokeh nor dask.
The main entry points are

- :func:`diffbench.open_dataset` — read a diffbench CXI file (lazy patterns, truth, geometry);
- :func:`diffbench.simulate.driver.simulate_to_file` — run a recipe of any kind and write a file;
- the ``diffbench`` command line (``diffbench --help``).
"""

from diffbench import _moved
from diffbench._version import __version__

_moved.install()  # old module paths keep working for one release

__all__ = ["__version__", "open_dataset"]


def open_dataset(path, verify: str = "quick"):
    """Open a diffbench CXI file or sharded index; see :func:`diffbench.io.cxi.open_dataset`."""
    from diffbench.io.cxi import open_dataset as _open

    return _open(path, verify)

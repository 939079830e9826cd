"""diffbench: simulated diffraction data with known ground truth, and a benchmark of the
methods that sort it.

Light at import time: importing ``diffbench`` pulls in neither numba, torch, bokeh nor dask.
The main entry points are

- :func:`diffbench.generate` — simulate a few items of a recipe in memory: arrays and their truth;
- :func:`diffbench.simulate_to_file` — run a recipe of any kind into a file (any size, workers, shards
  from the command line);
- :func:`diffbench.open_dataset` — read a diffbench CXI file (lazy patterns, truth, geometry);
- the ``diffbench`` command line (``diffbench --help``); ``diffbench show RECIPE`` lists a recipe's keys.
"""

from typing import NamedTuple

from diffbench import _moved
from diffbench._version import __version__

_moved.install()  # old module paths keep working for one release

__all__ = ["__version__", "Generated", "generate", "open_dataset", "simulate_to_file"]


def open_dataset(path, verify: str = "quick"):
    """Open a diffbench CXI file or sharded index; see :func:`diffbench.io.cxi.open_dataset`."""
    from diffbench.io.cxi import open_dataset as _open

    return _open(path, verify)


def simulate_to_file(name, n, out, seed=0, overrides=None, config=None, **options):
    """Simulate ``n`` items of recipe ``name`` into the file ``out``; see
    :func:`diffbench.simulate.driver.simulate_to_file` for the options (workers, noise, compression)."""
    from diffbench.simulate.driver import simulate_to_file as _sim

    return _sim(name, n, out, seed=seed, overrides=overrides, config=config, **options)


def generate(name, n, seed=0, overrides=None, config=None, noise=None):
    """Simulate ``n`` items of recipe ``name`` and return them in memory as a :class:`Generated`
    (frames, per-item truth, per-particle truth, attributes). The same recipe, seed and ``n`` give
    the bytes a file would hold. For small ``n``: large runs belong in files
    (:func:`simulate_to_file`), which are read lazily.

    Example::

        g = diffbench.generate("pr772-spi-v6", 4, seed=1, overrides=["detector.preset=square-64"])
        g.frames.shape              # (4, 64, 64) photon counts
        g.truth["is_single_hit"]    # one value per frame
    """
    import tempfile
    from pathlib import Path

    from diffbench.io.readers import kind_of_file

    with tempfile.TemporaryDirectory(prefix="diffbench-generate-") as tmp:
        out = Path(tmp) / "generated.cxi"
        path = simulate_to_file(name, n, out, seed=seed, overrides=overrides, config=config, noise=noise,
                                progress=False)
        kind = kind_of_file(path)
        with kind.open(path) as d:
            frames = getattr(d, "patterns", None)
            return Generated(None if frames is None else frames[()], dict(d.truth),
                             dict(getattr(d, "particles", {}) or {}), dict(d.attrs))


class Generated(NamedTuple):
    """What :func:`generate` returns: frames (N, ny, nx) photon counts (float32 expected photons
    without noise; None for kinds without frames), truth (column → array of length N), particles
    (column → array, one row per particle, ``pattern_index`` pointing into the frames) and the
    file attributes (recipe, version, seed, units)."""

    frames: object
    truth: dict
    particles: dict
    attrs: dict

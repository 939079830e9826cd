"""Open any file diffbench wrote, by the data kind it records (:mod:`diffbench.kinds`)."""

from __future__ import annotations

from pathlib import Path

from diffbench import kinds
from diffbench.io.cxi import FRAMES, TRUTH


def kind_of_file(path) -> kinds.DataKind:
    """The data kind of a file diffbench wrote: the ``kind`` attribute of the file (merged-MX
    indexes) or of its truth group (CXI files); files from before kinds were recorded are SPI."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"{path}: not a file diffbench can read (not HDF5, truncated or empty: {exc})") from None
    with f:
        name = f.attrs.get("kind")
        if name is None and TRUTH in f:
            name = f[TRUTH].attrs.get("kind")
        elif name is None and "datasets" not in f and FRAMES not in f:
            raise ValueError(f"{path}: an HDF5 file with neither frames ({FRAMES}) nor diffbench's truth ({TRUTH})")
    return kinds.get(name)


def open_any(path):
    """Open ``path`` with its kind's reader (a context manager: a :class:`~diffbench.io.cxi.Dataset`
    for frames, an :class:`~diffbench.io.mx.MXCollection` for merged MX data)."""
    return kind_of_file(path).open(path)

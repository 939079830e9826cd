"""Open any file diffbench wrote, by the data kind it records (:mod:`diffbench.kinds`)."""

from __future__ import annotations

from pathlib import Path

from diffbench import kinds
from diffbench.io.cxi import TRUTH


def kind_of_file(path) -> kinds.DataKind:
    """The data kind of a file diffbench wrote: the ``kind`` attribute of the file (merged-MX
    indexes) or of its truth group (CXI files); files from before kinds were recorded are SPI."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    with h5py.File(path, "r") as f:
        name = f.attrs.get("kind")
        if name is None and TRUTH in f:
            name = f[TRUTH].attrs.get("kind")
    return kinds.get(name)


def open_any(path):
    """Open ``path`` with its kind's reader (a context manager: a :class:`~diffbench.io.cxi.Dataset`
    for frames, an :class:`~diffbench.io.mx.MXCollection` for merged MX data)."""
    return kind_of_file(path).open(path)

"""Atomic file writes: readers see the whole file or none (concurrent workers, interrupted runs)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: str | Path, write) -> None:
    """Call ``write(file)`` on a binary temporary file beside ``path``, then rename it to ``path``;
    on any error the temporary file is removed and ``path`` is left as it was. Creates the parent
    folder if needed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix="." + path.name + ".", suffix=".tmp",
                                     delete=False) as f:
        try:
            write(f)
        except BaseException:
            f.close()
            os.unlink(f.name)
            raise
        tmp = f.name
    os.replace(tmp, path)

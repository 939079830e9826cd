"""Atomic file writes: readers see the whole file or none (concurrent workers, interrupted runs).

Every file diffbench writes goes through :func:`atomic_path` (a temporary name beside the
target, renamed into place only after the writer finished without error) or its callback form
:func:`atomic_write`. Temporary names are unique (``mkstemp``), so two concurrent writers of the
same target never share one.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


def temp_beside(path: str | Path, suffix: str = ".tmp") -> Path:
    """A new, empty temporary file beside ``path`` (same folder, so that the rename is atomic)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", suffix=suffix, dir=path.parent)
    os.close(fd)
    return Path(tmp)


def publish(tmp, path) -> None:
    """Rename the finished temporary file ``tmp`` to ``path``, with the permissions a plain
    ``open`` would have given it (mkstemp creates files private, 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


@contextmanager
def atomic_path(path: str | Path, suffix: str = ".tmp"):
    """Yield a temporary path beside ``path`` to write to; on a clean exit it is renamed to ``path``,
    on any exception it is removed and ``path`` is left as it was. Creates the parent folder.

    ``suffix`` keeps a file extension on the temporary name where a writer needs one (numpy's
    ``np.savez`` appends ``.npz`` otherwise).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_beside(path, suffix)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    publish(tmp, path)


def atomic_write(path: str | Path, write) -> None:
    """Call ``write(file)`` on a binary temporary file beside ``path``, then rename it to ``path``;
    on any error the temporary file is removed and ``path`` is left as it was."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        write(f)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))

"""Atomic file writes: readers see the whole file or none (concurrent workers, interrupted runs).

Every file diffbench writes goes through :func:`atomic_path` (a temporary name beside the
target, renamed into place only after the writer finished without error) or its callback form
:func:`atomic_write`. Temporary names are unique (``mkstemp``), so two concurrent writers of the
same target never share one.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import ExitStack, contextmanager
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


class OutputBusy(ValueError):
    """Another process holds the output's lock."""


@contextmanager
def file_lock(lock: str | Path, wait: bool = True):
    """Hold an exclusive POSIX advisory lock (``flock``) on the file ``lock`` (created if needed,
    removed on release). With ``wait=False`` a lock held by another process raises
    :class:`BlockingIOError` at once. Such locks hold between processes of one machine and, on most
    cluster file systems, between machines."""
    import fcntl

    lock = Path(lock)
    while True:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise
        try:  # the holder before us may have removed the file between our open and flock: retry then
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        yield
    finally:
        os.unlink(lock)
        os.close(fd)


@contextmanager
def output_lock(path: str | Path):
    """Hold ``path``'s lock (``.NAME.lock`` beside it) for a whole run, and clear what crashed runs
    of the same output left behind (``.NAME.*.tmp`` files, ``.NAME.parts.*`` folders): while the lock
    is held no live run owns them. A second writer of the same output gets :class:`OutputBusy`."""
    import shutil

    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    lock = folder / f".{path.name}.lock"
    with ExitStack() as stack:
        try:
            stack.enter_context(file_lock(lock, wait=False))
        except BlockingIOError:
            raise OutputBusy(f"{path}: another diffbench run is writing it (lock {lock}); wait for it to "
                             "finish or choose another output") from None
        for stale in folder.glob(f".{path.name}.*.tmp"):
            stale.unlink(missing_ok=True)
        for stale in folder.glob(f".{path.name}.*"):  # part files of workers, MTZ folders being written
            if stale.is_dir():
                shutil.rmtree(stale, ignore_errors=True)
        yield

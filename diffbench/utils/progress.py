"""Progress bars for long work (simulation runs, method fits, one-off set-up steps)."""

from __future__ import annotations

import contextvars
import sys
from contextlib import contextmanager, nullcontext

#: False inside :func:`quiet` (a run asked for no progress, e.g. ``--quiet``)
_ANNOUNCE = contextvars.ContextVar("diffbench_announce", default=True)


def announce(message: str, end: str = "\n") -> None:
    """A line on stderr about long one-off work (building a volume), unless the run is quiet;
    ``end=""`` leaves it open for the result (:func:`announce_more`)."""
    if _ANNOUNCE.get():
        print(f"diffbench: {message}", file=sys.stderr, flush=True, end=end)


def announce_more(text: str) -> None:
    """The end of an open :func:`announce` line."""
    if _ANNOUNCE.get():
        print(text, file=sys.stderr, flush=True)


@contextmanager
def quiet(enabled: bool = True):
    """Within this block, :func:`announce` says nothing (when ``enabled``)."""
    token = _ANNOUNCE.set(False) if enabled else None
    try:
        yield
    finally:
        if token is not None:
            _ANNOUNCE.reset(token)


def progress_bar(total: int, label: str, enabled: bool | None):
    """A rich progress bar on a terminal, nothing otherwise.

    ``enabled=None`` shows it when stderr is a terminal. Use as a context manager; it yields a
    ``rich.progress.Progress`` or ``None``.
    """
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return nullcontext(None)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeRemainingColumn,
    )

    return Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), transient=False)

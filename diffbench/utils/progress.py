"""Progress bars for long work (simulation runs, method fits, one-off set-up steps)."""

from __future__ import annotations

import sys
from contextlib import nullcontext


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

"""Truth tables: the structured arrays every kind writes beside its data, one row per pattern
(scan frame, data set) and, where the kind has them, one row per particle (crystal, ice range)."""

from __future__ import annotations

import numpy as np


def table_dtype(fields: dict) -> np.dtype:
    """Structured dtype of a truth table from {name: dtype | (dtype, width)}."""
    return np.dtype([(k, v) if not isinstance(v, tuple) else (k, v[0], (v[1],)) for k, v in fields.items()])


class SpilledTable:
    """An append-only truth table kept in a temporary file beside the output, not in memory, so
    that a run's memory does not grow with its number of patterns. ``rows()`` maps the rows back
    read-only (a numpy memmap: pages are read as they are written out, column by column);
    ``close()`` removes the file. The name (``.OUTPUT.*.truth.tmp``) is one the output's lock
    clears after a crash."""

    def __init__(self, beside, dtype: np.dtype):
        from diffbench.utils.atomic import temp_beside

        self.dtype = np.dtype(dtype)
        self.path = temp_beside(beside, suffix=".truth.tmp")
        self._file = open(self.path, "wb")
        self.n = 0

    def append(self, rows: np.ndarray) -> None:
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        rows.tofile(self._file)
        self.n += len(rows)

    def __len__(self) -> int:
        return self.n

    def read(self, start: int, stop: int) -> np.ndarray:
        """Rows [start, stop) read into memory (not mapped: memory stays that of the block)."""
        self._file.flush()
        stop = min(stop, self.n)
        return np.fromfile(self.path, dtype=self.dtype, count=max(0, stop - start), offset=start * self.dtype.itemsize)

    def rows(self) -> np.ndarray:
        self._file.flush()
        if self.n == 0:
            return np.zeros(0, dtype=self.dtype)
        return np.memmap(self.path, dtype=self.dtype, mode="r", shape=(self.n,))

    def close(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

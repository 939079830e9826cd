"""A fitted method's answers, kept by the content of what it was asked about.

The benchmark asks one fitted method several questions about the same frames (``predict``, then
``score_samples``, per range and per data set, then a post-filter built on it); a network answers
each by running again over the same inputs. CPU inference is deterministic, so the answer to the
same input bytes is the same array: :class:`Answers` keeps the last few, by a SHA-256 digest of the
inputs. A fit makes a new (empty) one: answers never outlive the model that gave them.
"""

from __future__ import annotations

import hashlib

import numpy as np


def digest(*arrays) -> str:
    """SHA-256 of the arrays' bytes, shapes and dtypes (in order)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


class Answers:
    """The answers of one fitted model to its last ``size`` distinct inputs.

    ``get(key, compute)`` returns a copy of the answer kept under ``key``, or computes, keeps and
    returns it; an empty key (GPU inference, not bit-reproducible) is never kept."""

    def __init__(self, size: int = 4):
        self.size = size
        self._kept: dict[str, np.ndarray] = {}

    def get(self, key: str, compute) -> np.ndarray:
        if key and key in self._kept:
            return self._kept[key].copy()
        value = np.asarray(compute())
        if key:
            while len(self._kept) >= self.size:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = value.copy()
        return value

    def __len__(self) -> int:
        return len(self._kept)

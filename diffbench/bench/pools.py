"""Pooled data sets: a task's recipe simulated once per *pool* (its own overrides: another species,
another session, another distribution) and read as one data set with a ``pool`` truth column.

A task with ``pools:`` trains on some pools and tests on others (``split: {group: pool, test: {...}}``):
the question "does a method trained on these particles work on that one?" — transfer to species a
few-shot embedding never saw, or to a shifted distribution. Each pool is an ordinary data set file
(cached, carded, digest-checked like any other); pool ``i`` of seed ``s`` is simulated with seed
``1000 * s + i``, so that pools never share a random stream (the same positions and orientations
in every pool would correlate what should be independent draws).
"""

from __future__ import annotations

from contextlib import ExitStack

import numpy as np


def pool_seed(seed: int, i: int) -> int:
    """The simulation seed of pool ``i`` (0-based, in the task's order) of a cell with ``seed``."""
    return 1000 * int(seed) + int(i)


class _Concat:
    """Frames of several array-likes one after the other, read by slices."""

    def __init__(self, parts: list):
        self.parts = parts
        self.offsets = np.cumsum([0] + [int(p.shape[0]) for p in parts])
        self.shape = (int(self.offsets[-1]),) + tuple(parts[0].shape[1:])
        self.dtype = parts[0].dtype

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError(f"pooled frames are read by contiguous slices, got {key!r}")
        from diffbench.io.rows import read_rows

        start, stop, _ = key.indices(self.shape[0])
        out = []
        for p, (a, b) in zip(self.parts, zip(self.offsets[:-1], self.offsets[1:])):
            lo, hi = max(start, a), min(stop, b)
            if lo < hi:
                out.append(read_rows(p, lo - a, hi - a))
        if not out:
            return np.zeros((0,) + self.shape[1:], dtype=self.dtype)
        return out[0] if len(out) == 1 else np.concatenate(out)


class PooledDataset:
    """Opened data sets of one detector read as one (frames in pool order).

    ``truth`` is every pool's truth concatenated plus ``pool`` (the pool's name per frame);
    ``particles`` are concatenated with ``pattern_index`` shifted to the pooled frame numbers.
    Geometry, detector and beam are the first pool's; pools whose detectors differ are refused.
    """

    def __init__(self, parts: dict):
        if not parts:
            raise ValueError("pools: name at least one pool")
        self.names = list(parts)
        self.parts = list(parts.values())
        first = self.parts[0]
        d0 = first.detector()
        for name, ds in zip(self.names[1:], self.parts[1:]):
            d = ds.detector()
            if (d.ny, d.nx) != (d0.ny, d0.nx) or not np.allclose(d.beam_center_xy_px, d0.beam_center_xy_px):
                raise ValueError(f"pools.{name}: its detector differs from pool {self.names[0]!r}'s; "
                                 "pools are read as one data set, so they share the detector")
        self.path = first.path
        self.manifest = None
        self.geometry = first.geometry
        self.attrs = dict(first.attrs)
        self.patterns = _Concat([ds.patterns for ds in self.parts])
        self.truth = self._truth()
        self.particles = self._particles()

    def __len__(self) -> int:
        return self.patterns.shape[0]

    def detector(self):
        return self.parts[0].detector()

    def beam(self):
        return self.parts[0].beam()

    def _truth(self) -> dict:
        keys = set.intersection(*(set(ds.truth) for ds in self.parts))
        out = {k: np.concatenate([np.asarray(ds.truth[k]) for ds in self.parts]) for k in sorted(keys)}
        out["pool"] = np.concatenate([np.full(len(ds), name) for name, ds in zip(self.names, self.parts)])
        return out

    def _particles(self) -> dict | None:
        tables = [getattr(ds, "particles", None) for ds in self.parts]
        if any(not isinstance(t, dict) for t in tables):
            return None
        keys = set.intersection(*(set(t) for t in tables))
        out = {}
        for k in sorted(keys):
            cols = []
            for t, offset in zip(tables, np.cumsum([0] + [len(ds) for ds in self.parts[:-1]])):
                v = np.asarray(t[k])
                cols.append(v + offset if k == "pattern_index" else v)
            out[k] = np.concatenate(cols)
        return out


class PooledMX:
    """Merged-MX collections read as one (data sets in pool order): ``truth`` concatenated plus
    ``pool``, ``ranges`` and ``ice_reflections`` with ``dataset_index`` shifted to the pooled
    numbering; data sets read lazily from their MTZ files as in :class:`~diffbench.io.mx.MXCollection`."""

    def __init__(self, parts: dict):
        if not parts:
            raise ValueError("pools: name at least one pool")
        self.names, self.parts = list(parts), list(parts.values())
        self.path = self.parts[0].path
        self.attrs = dict(self.parts[0].attrs)
        self.files = [f for p in self.parts for f in p.files]
        offsets = np.cumsum([0] + [len(p) for p in self.parts[:-1]])
        self.truth = _concat([p.truth for p in self.parts], offsets, None)
        self.truth["pool"] = np.concatenate([np.full(len(p), n) for n, p in zip(self.names, self.parts)])
        self.ranges = _concat([p.ranges for p in self.parts], offsets, "dataset_index")
        ice = [p.ice_reflections for p in self.parts]
        self.ice_reflections = _concat(ice, offsets, "dataset_index") if all(ice) else {}

    def __len__(self) -> int:
        return len(self.files)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @property
    def side_files(self) -> list:
        return list(self.files)

    def __getitem__(self, k: int):
        from diffbench.io.mx import read_mtz

        return read_mtz(self.files[k])

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def take(self, indices):
        from diffbench.io.mx import LazyMTZList

        return LazyMTZList([self.files[k] for k in np.asarray(indices, dtype=int)])


def _concat(tables: list[dict], offsets, index_field: str | None) -> dict:
    """Columns common to every table, concatenated; ``index_field`` shifted by each table's offset."""
    keys = set.intersection(*(set(t) for t in tables))
    return {k: np.concatenate([np.asarray(t[k]) + off if k == index_field else np.asarray(t[k])
                               for t, off in zip(tables, offsets)]) for k in sorted(keys)}


def open_pooled(kind, paths: dict, stack: ExitStack):
    """Open every pool's file (closed with ``stack``) and read them as one data set:
    :class:`PooledDataset` for frames, :class:`PooledMX` for merged MX data."""
    parts = {name: stack.enter_context(kind.open(p)) for name, p in paths.items()}
    return PooledDataset(parts) if kind.frames else PooledMX(parts)

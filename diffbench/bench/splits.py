"""Train/test splits of a benchmark task: a stratified random fraction of the frames, or whole
groups (scans, sessions) held out by their position among the sorted group values, so that frames
of one group never straddle training and test."""

from __future__ import annotations

import numpy as np

from diffbench.bench.tasks import GroupSplit, Split


def group_positions(values: np.ndarray, positions: list, field: str) -> np.ndarray:
    """Distinct group values at ``positions`` (negative from the end) of the sorted distinct values;
    a string position is a group value itself (a pool's name)."""
    uniq = np.unique(values)
    if all(isinstance(p, str) for p in positions):
        missing = [p for p in positions if p not in uniq.astype(str)]
        if missing:
            raise ValueError(f"split.test names {missing}: not a {field} of the data (have {', '.join(map(str, uniq))})")
        return np.asarray(positions)
    try:
        return uniq[np.asarray(positions)]
    except IndexError:
        raise ValueError(f"split.test positions {positions} out of range: the data have {len(uniq)} "
                         f"distinct {field} values") from None


def train_test_indices(split, y: np.ndarray, truth: dict, seed: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(training indices, test-set name → indices), each sorted, for a :class:`Split` or
    :class:`GroupSplit` of ``len(y)`` frames."""
    n = len(y)
    if isinstance(split, Split):
        from sklearn.model_selection import train_test_split

        strat = y if np.unique(y).size > 1 else None
        train, test = train_test_split(np.arange(n), test_size=split.test_fraction, random_state=seed,
                                       stratify=strat)
        return np.sort(train), {"test": np.sort(test)}
    if isinstance(split, GroupSplit):
        groups = np.asarray(truth[split.group])
        tests, held = {}, np.zeros(n, bool)
        for name, pos in split.test.items():
            m = np.isin(groups, group_positions(groups, pos, split.group))
            tests[name] = np.flatnonzero(m)
            held |= m
        train = np.flatnonzero(~held)
        if train.size == 0:
            raise ValueError(f"split.test holds out every {split.group}: nothing left to train on")
        return train, tests
    raise TypeError(f"not a train/test split: {split!r}")


def support_query(y: np.ndarray, k: int, seed: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    """(support, query) positions within one test set of labels ``y``: ``k`` frames of every class
    drawn at random (seeded by the task seed, the test set's name and k), and every other frame.
    A class with fewer than k + 1 frames is an error: nothing of it would be left to score."""
    import zlib

    rng = np.random.default_rng([int(seed), zlib.crc32(name.encode()), int(k)])
    classes, counts = np.unique(y, return_counts=True)
    short = [str(c) for c, m in zip(classes, counts) if m <= k]
    if short:
        raise ValueError(f"split.support k={k}: test set {name!r} has at most {k} frames of class {short}")
    support = np.sort(np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False) for c in classes]))
    return support, np.setdiff1d(np.arange(len(y)), support)

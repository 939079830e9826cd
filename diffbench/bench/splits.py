"""Train/test splits of a benchmark task: a stratified random fraction of the frames, or whole
groups (scans, sessions) held out by their position among the sorted group values, so that frames
of one group never straddle training and test."""

from __future__ import annotations

import numpy as np

from diffbench.bench.tasks import GroupSplit, Split


def group_positions(values: np.ndarray, positions: list[int], field: str) -> np.ndarray:
    """Distinct group values at ``positions`` (negative from the end) of the sorted distinct values."""
    uniq = np.unique(values)
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

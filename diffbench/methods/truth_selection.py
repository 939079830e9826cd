"""The true answer as an oracle: the selection a perfect classifier would make.

Downstream scores (the structure a selection builds, :mod:`diffbench.bench.downstream`) need the
best possible selection beside the methods': the true single hits. Without ``field`` this oracle
reads the truth ``y`` at ``fit`` and answers it for the same frames, refusing others (it knows no
truth for them): a ``split: none`` task's oracle. With ``field`` it reads that truth field of any
frames of a diffbench data set from their file: the oracle of a task that trains on one part of the
data and tests on another.
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import BINARY_CLASSES, Method, MethodTags
from diffbench.methods.frames import as_frames


class TruthSelection(Method):
    """Answers the truth it was fitted with (an oracle; see the module docstring).

    positive : the truth value it answers as 1 (its selection).
    field : a per-pattern truth field (e.g. ``"is_single_hit"``) read from the frames' own file at
        ``predict``; None: the ``y`` given to ``fit``, for those frames only.
    """

    def __init__(self, positive: bool = True, field: str | None = None):
        self.positive = positive
        self.field = field

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(requires_y=True)

    def fit(self, X, y):
        frames = as_frames(X)
        y = np.asarray(y)
        if len(y) != len(frames):
            raise ValueError(f"TruthSelection: {len(y)} truth values for {len(frames)} frames")
        self.truth_ = (y.astype(bool) == bool(self.positive)).astype(int)
        self.key_ = _key(frames)
        self.classes_ = BINARY_CLASSES
        return self

    def predict(self, X):
        frames = as_frames(X)
        if self.field is not None:
            return (_file_truth(frames, self.field).astype(bool) == bool(self.positive)).astype(int)
        if _key(frames) != self.key_:
            raise ValueError("TruthSelection answers only the frames it was fitted on (it knows no other truth)")
        return self.truth_.copy()

    def score_samples(self, X):
        return self.predict(X).astype(float)


def _file_truth(frames, field: str) -> np.ndarray:
    """The truth ``field`` of each frame, read from the diffbench data set the frames come from."""
    from diffbench.io.cxi import open_dataset

    if frames.source == "array":
        raise ValueError(f"TruthSelection(field={field!r}) reads the truth from the frames' file; these are an array")
    with open_dataset(frames.source) as ds:
        if field not in ds.truth:
            raise ValueError(f"TruthSelection: field={field!r} is not a truth field of {ds.path}")
        return np.asarray(ds.truth[field])[frames.source_rows()]


def _key(frames) -> str:
    """The frames' content key, or for arrays a digest of their bytes."""
    key = frames.content_key()
    if key:
        return key
    import hashlib

    h = hashlib.sha256()
    for _, block in frames.batches(dtype=None):
        h.update(np.ascontiguousarray(block).tobytes())
    return h.hexdigest()

"""The true answer as an oracle: the selection a perfect classifier would make.

Downstream scores (the structure a selection builds, :mod:`diffbench.bench.downstream`) need the
best possible selection beside the methods': the true single hits. This oracle reads the truth
``y`` at ``fit`` and answers it for the same frames; it refuses other frames (it knows no truth
for them), so it belongs in a ``split: none`` task's ``oracles``.
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import BINARY_CLASSES, Method, MethodTags
from diffbench.methods.frames import as_frames


class TruthSelection(Method):
    """Answers the truth it was fitted with (an oracle; see the module docstring).

    positive : the truth value it answers as 1 (its selection).
    """

    def __init__(self, positive: bool = True):
        self.positive = positive

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
        if _key(frames) != self.key_:
            raise ValueError("TruthSelection answers only the frames it was fitted on (it knows no other truth)")
        return self.truth_.copy()

    def score_samples(self, X):
        return self.predict(X).astype(float)


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

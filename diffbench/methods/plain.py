"""A user's estimator that knows nothing of diffbench, given what scikit-learn estimators expect.

The input contract for methods and latents:

- a diffbench method (a subclass of :class:`~diffbench.methods.base.Method`, or any class with
  ``__diffbench_tags__``) receives a :class:`~diffbench.methods.frames.Frames`: frames read lazily in
  batches, with the valid-pixel mask, beam centre and |q| per pixel (bounded memory on any file);
- any other estimator — ``sklearn.decomposition:PCA``, ``mypkg:MyClassifier`` — receives a plain
  float32 numpy array of shape (N, ny·nx): every frame flattened in row order, masked pixels set to 0.

:class:`PlainArrays` makes the second from the first: it is a diffbench method that reads the
frames, flattens them and hands them to a clone of the wrapped estimator. It answers exactly the
calls the wrapped estimator answers (``predict``, ``predict_proba``, ``decision_function``,
``score_samples``, ``transform``, ``fit_transform``), so ``hasattr`` tells the truth.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.utils.metaestimators import available_if

from diffbench.methods.base import Method, MethodTags, method_tags

#: the largest array (bytes) handed to a foreign estimator: beyond it, one line says to subsample
MAX_PLAIN_BYTES = 8 * 2**30


def plain_array(X) -> np.ndarray:
    """Frames of any accepted input as a float32 array (N, ny·nx), masked pixels 0."""
    from diffbench.methods.frames import as_frames

    f = as_frames(X)
    n, shape = len(f), f.frame_shape
    size = n * int(np.prod(shape)) * 4
    if size > MAX_PLAIN_BYTES:
        raise MemoryError(f"a plain array of {n} frames of {shape} is {size / 2**30:.1f} GiB (at most "
                          f"{MAX_PLAIN_BYTES / 2**30:.0f}): subsample (view --max-points) or write a diffbench "
                          "method that reads Frames in batches")
    out = np.empty((n, int(np.prod(shape))), dtype=np.float32)
    valid = None if f.valid is None else f.valid.ravel()
    for s, block in f.batches(512):
        flat = block.reshape(len(block), -1)
        out[s:s + len(block)] = flat if valid is None or valid.size != flat.shape[1] else flat * valid
    return out


def _has(name):
    return lambda self: hasattr(self.estimator, name)


class PlainArrays(Method):
    """Wrap a foreign ``estimator`` so diffbench can fit and ask it like one of its own methods
    (see the module docstring). ``requires_y`` is read from the estimator (scikit-learn tags or a
    ``supervised`` attribute); ``output`` says what its ``predict`` answers."""

    def __init__(self, estimator=None, output: str = "binary"):
        self.estimator = estimator
        self.output = output

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(requires_y=method_tags(self.estimator).requires_y, output=self.output)

    def fit(self, X, y=None, **kw):
        self.estimator_ = clone(self.estimator)
        args = (plain_array(X),) if y is None else (plain_array(X), np.asarray(y))
        self.estimator_.fit(*args, **kw)
        return self

    @available_if(_has("fit_transform"))
    def fit_transform(self, X, y=None):
        self.estimator_ = clone(self.estimator)
        return self.estimator_.fit_transform(plain_array(X)) if y is None else \
            self.estimator_.fit_transform(plain_array(X), np.asarray(y))

    @available_if(_has("transform"))
    def transform(self, X):
        return self.estimator_.transform(plain_array(X))

    @available_if(_has("predict"))
    def predict(self, X):
        return self.estimator_.predict(plain_array(X))

    @available_if(_has("predict_proba"))
    def predict_proba(self, X):
        return self.estimator_.predict_proba(plain_array(X))

    @available_if(_has("decision_function"))
    def decision_function(self, X):
        return self.estimator_.decision_function(plain_array(X))

    @available_if(_has("score_samples"))
    def score_samples(self, X):
        return self.estimator_.score_samples(plain_array(X))


def for_diffbench(est):
    """``est`` itself when it is a diffbench method, else ``PlainArrays(est)``."""
    return est if hasattr(est, "__diffbench_tags__") else PlainArrays(est)

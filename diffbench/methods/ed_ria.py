"""Narrow-beam electron diffraction (paper 002, Matinyan et al. 2023): radial intensity averages
(RIA) about a per-frame refined beam centre, and the two classifiers the paper trains on them.

- :func:`refine_beam_centres`: the direct beam drifts over the detector during a scan (paper 002);
  each frame's centre is the centroid of the direct-beam disc, found near a guess.
- :class:`RadialIntensityAverage`: mean intensity in 1-pixel rings about that centre (the paper:
  frame placed on a 1032×1032 canvas, 516 bins; here bins run to the half-diagonal of the frame,
  pixels off the frame or masked are left out).
- :class:`RIASVM`: RBF support-vector machine on the standardised log-RIA, C and γ from a
  RandomizedSearchCV (paper 002 used sklearn/libsvm with RBF; the quick configuration:
  n_iter 10, cv 3, C ∈ logU(1e-2, 1e3), γ ∈ logU(1e-4, 1)).
- :class:`RIANet`: a fully connected network with one hidden layer of 30 units (the paper's
  MATLAB ``patternnet(30)``, cross-entropy, conjugate-gradient training); here tanh units, softmax
  output, full-batch L-BFGS (scikit-learn ``MLPClassifier``).

Paper 002 timings for 1,600 frames: RIA 97 s, SVM prediction 9.92 s, FCNN prediction 0.017 s.
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import Method, MethodTags
from diffbench.methods.frames import as_frames


def refine_beam_centres(frames, guess_xy, search_px: int = 16, valid=None, centroid_px: int | None = None) -> np.ndarray:
    """Direct-beam centre (x, y) in pixels of each frame, (B, 2).

    Two steps: the brightest 3×3 box within ±``search_px`` of ``guess_xy`` locates the direct beam
    (single hot pixels do not win); then the centre is the centroid, within ±``centroid_px`` of
    that box, of the pixels brighter than half the window's peak, weighted by their excess over
    that level — the centre of the (often saturated) direct-beam disc to a fraction of a pixel.
    By default the window starts at ±3 px and doubles (up to ``search_px``) while the disc touches
    its edge. Masked pixels count as 0.
    """
    frames = np.asarray(frames, dtype=np.float32)
    b, ny, nx = frames.shape
    if valid is not None:
        frames = frames * np.asarray(valid, bool)
    gx, gy = int(round(guess_xy[0])), int(round(guess_xy[1]))
    x0, x1 = max(1, gx - search_px), min(nx - 1, gx + search_px + 1)
    y0, y1 = max(1, gy - search_px), min(ny - 1, gy + search_px + 1)
    if x0 >= x1 or y0 >= y1:
        raise ValueError(f"beam-centre guess {tuple(guess_xy)} is off the {nx}×{ny} frame")
    # 3×3 box sums over the search window
    box = sum(frames[:, y0 + dy:y1 + dy, x0 + dx:x1 + dx] for dy in (-1, 0, 1) for dx in (-1, 0, 1))
    flat = box.reshape(b, -1).argmax(axis=1)
    py, px = np.divmod(flat, x1 - x0)
    px, py = px + x0, py + y0
    out = np.empty((b, 2))
    for i in range(b):  # small windows: a loop over frames is cheaper than padding all of them
        h = centroid_px or 3
        while True:
            xa, xb = max(0, px[i] - h), min(nx, px[i] + h + 1)
            ya, yb = max(0, py[i] - h), min(ny, py[i] + h + 1)
            win = frames[i, ya:yb, xa:xb]
            w = np.clip(win - 0.5 * win.max(), 0.0, None)
            # the disc above half its peak must lie inside the window, else the centroid is biased
            edge = max(w[0].max(), w[-1].max(), w[:, 0].max(), w[:, -1].max())
            if edge <= 0 or centroid_px or h >= search_px:
                break
            h *= 2
        tot = w.sum()
        if tot <= 0:  # a blank window: keep the guess
            out[i] = guess_xy
            continue
        out[i, 0] = (w.sum(axis=0) @ np.arange(xa, xb)) / tot
        out[i, 1] = (w.sum(axis=1) @ np.arange(ya, yb)) / tot
    return out


def radial_average(frames, centres_xy, valid=None, n_bins: int | None = None, bin_width_px: float = 1.0) -> np.ndarray:
    """Mean intensity in rings of ``bin_width_px`` about each frame's own centre, (B, n_bins);
    rings with no valid pixel give 0. ``n_bins`` defaults to the frame's half-diagonal."""
    from diffbench.methods.binning_kernels import radial_sums

    frames = np.ascontiguousarray(frames, dtype=np.float32)
    b, ny, nx = frames.shape
    if n_bins is None:
        n_bins = int(np.hypot(nx, ny) / 2 / bin_width_px)
    ok = np.ones((ny, nx), bool) if valid is None else np.ascontiguousarray(valid, dtype=bool)
    sums = np.zeros((b, n_bins))
    counts = np.zeros((b, n_bins))
    radial_sums(frames, np.ascontiguousarray(centres_xy, dtype=np.float64), ok, int(n_bins), float(bin_width_px),
                sums, counts)
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)


class RadialIntensityAverage:
    """Frames → log(1 + RIA) features (N, n_bins), about refined per-frame beam centres.

    Parameters
    ----------
    n_bins : rings of ``bin_width_px`` (default: the frame's half-diagonal; paper: 516 on 512² frames).
    refine_centre : find each frame's direct beam (else use the nominal centre).
    search_px : half-width of the centre search window (default: 1/8 of the larger frame side, ≥ 4).
    normalise : divide each profile by its mean beyond the direct beam before the log, so that
        dose changes between sessions do not move every feature (not in paper 002).
    direct_beam_px : leave out the rings within this radius, where the direct beam's shape (set by
        the convergence angle, which changes between sessions) dominates; default search_px / 2;
        0 keeps them (as paper 002). Both defaults were chosen on validation data sets only
        (``scripts/ed_validation.py``: seeds 101-103, which no benchmark tier scores); the table is
        in docs/benchmark.md.

    Output columns are the rings from ``direct_beam_px`` outwards (``first_bin_`` … ``n_bins_``−1).
    """

    def __init__(self, n_bins: int | None = None, bin_width_px: float = 1.0, refine_centre: bool = True,
                 search_px: int | None = None, normalise: bool = True, direct_beam_px: float | None = None):
        self.n_bins = n_bins
        self.bin_width_px = bin_width_px
        self.refine_centre = refine_centre
        self.search_px = search_px
        self.normalise = normalise
        self.direct_beam_px = direct_beam_px

    def fit(self, X, y=None):
        f = as_frames(X)
        ny, nx = f.frame_shape[-2:]
        self.n_bins_ = self.n_bins or int(np.hypot(nx, ny) / 2 / self.bin_width_px)
        self.search_px_ = self.search_px or max(4, max(nx, ny) // 8)
        skip = self.search_px_ / 2 if self.direct_beam_px is None else self.direct_beam_px
        self.first_bin_ = min(self.n_bins_ - 1, int(skip / self.bin_width_px))
        return self

    def _batch_centres(self, f, block) -> np.ndarray:
        if not self.refine_centre:
            return np.tile(np.asarray(f.center(), float), (len(block), 1))
        return refine_beam_centres(block, f.center(), self.search_px_, f.valid)

    def centres(self, X) -> np.ndarray:
        """Beam centre (x, y) px per frame, (N, 2)."""
        f = as_frames(X)
        parts = [self._batch_centres(f, b) for _, b in f.batches(256)]
        return np.concatenate(parts) if parts else np.zeros((0, 2))

    def transform(self, X) -> np.ndarray:
        f = as_frames(X)
        out = np.empty((len(f), self.n_bins_ - self.first_bin_))
        for s, b in f.batches(256):
            ria = radial_average(b, self._batch_centres(f, b), f.valid, self.n_bins_, self.bin_width_px)
            ria = np.clip(ria, 0, None)[:, self.first_bin_:]
            if self.normalise:
                scale = ria.mean(axis=1, keepdims=True)
                ria = np.divide(ria, scale, out=np.zeros_like(ria), where=scale > 0)
            out[s:s + len(b)] = np.log1p(ria)
        return out

    def fit_transform(self, X, y=None) -> np.ndarray:
        return self.fit(X).transform(X)


class _RIAClassifier(Method):
    """Shared plumbing: RIA features → a scikit-learn classifier fitted on labelled frames."""

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(requires_y=True, output="multiclass")

    def _ria(self):
        return RadialIntensityAverage(self.n_bins, refine_centre=self.refine_centre, normalise=self.normalise,
                                      direct_beam_px=self.direct_beam_px)

    def _model(self, groups=None):
        raise NotImplementedError

    def fit(self, X, y, groups=None):
        """Fit on labelled frames. groups : the scan of each frame; a hyper-parameter search then
        cross-validates by whole scans (never neighbouring, overlapping scan points on both sides)."""
        if y is None:
            raise ValueError(f"{type(self).__name__} is supervised: fit(X, y) needs the labels y")
        y = np.asarray(y)
        self.ria_ = self._ria().fit(X)
        feats = self.ria_.transform(X)
        if len(y) != len(feats):
            raise ValueError(f"y has {len(y)} labels for {len(feats)} frames")
        model = self._model(groups)
        self.model_ = model.fit(feats, y, groups=groups) if groups is not None and hasattr(model, "cv") \
            else model.fit(feats, y)
        self.classes_ = self.model_.classes_
        return self

    def features(self, X) -> np.ndarray:
        return self.ria_.transform(X)

    def predict(self, X) -> np.ndarray:
        return self.model_.predict(self.features(X))


class RIASVM(_RIAClassifier):
    """RBF SVM on standardised log-RIA, hyper-parameters by randomized search (paper 002).

    n_iter, cv : RandomizedSearchCV draws and folds (0 draws: fixed C, gamma); the folds are whole
        scans where ``fit`` is given ``groups``, else contiguous blocks of frames — shuffled folds
        would put overlapping neighbouring scan points on both sides and favour overfitting C.
    C_range, gamma_range : log-uniform search ranges. C, gamma : used when n_iter is 0.
    n_bins, refine_centre, normalise, direct_beam_px : see RadialIntensityAverage.
    """

    def __init__(self, n_iter: int = 10, cv: int = 3, C_range=(1e-2, 1e3), gamma_range=(1e-4, 1.0),
                 C: float = 10.0, gamma: float | str = "scale", n_bins: int | None = None,
                 refine_centre: bool = True, normalise: bool = True, direct_beam_px: float | None = None,
                 random_state: int | None = 0):
        self.n_iter = n_iter
        self.cv = cv
        self.C_range = C_range
        self.gamma_range = gamma_range
        self.C = C
        self.gamma = gamma
        self.n_bins = n_bins
        self.refine_centre = refine_centre
        self.normalise = normalise
        self.direct_beam_px = direct_beam_px
        self.random_state = random_state

    def _model(self, groups=None):
        from scipy.stats import loguniform
        from sklearn.model_selection import GroupKFold, KFold, RandomizedSearchCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        from sklearn.svm import SVC

        pipe = make_pipeline(StandardScaler(), SVC(kernel="rbf", C=self.C, gamma=self.gamma))
        if not self.n_iter:
            return pipe
        space = {"svc__C": loguniform(*self.C_range), "svc__gamma": loguniform(*self.gamma_range)}
        n_groups = 0 if groups is None else np.unique(groups).size
        if n_groups >= 2:  # whole scans per fold
            folds = GroupKFold(min(self.cv, n_groups))
        else:  # no groups known: contiguous blocks of frames (scan order), never shuffled neighbours
            folds = KFold(self.cv, shuffle=False)
        return RandomizedSearchCV(pipe, space, n_iter=self.n_iter, cv=folds, random_state=self.random_state)

    def decision_function(self, X) -> np.ndarray:
        return self.model_.decision_function(self.features(X))


class RIANet(_RIAClassifier):
    """One hidden layer of ``hidden`` tanh units, softmax, cross-entropy, L-BFGS (paper 002's FCNN).

    alpha : L2 penalty. max_iter : L-BFGS iterations. n_bins, refine_centre, normalise,
    direct_beam_px : see RadialIntensityAverage.
    """

    def __init__(self, hidden: int = 30, alpha: float = 1e-3, max_iter: int = 500, n_bins: int | None = None,
                 refine_centre: bool = True, normalise: bool = True, direct_beam_px: float | None = None,
                 random_state: int | None = 0):
        self.hidden = hidden
        self.alpha = alpha
        self.max_iter = max_iter
        self.n_bins = n_bins
        self.refine_centre = refine_centre
        self.normalise = normalise
        self.direct_beam_px = direct_beam_px
        self.random_state = random_state

    def _model(self, groups=None):
        from sklearn.neural_network import MLPClassifier
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), MLPClassifier(
            hidden_layer_sizes=(self.hidden,), activation="tanh", solver="lbfgs", alpha=self.alpha,
            max_iter=self.max_iter, random_state=self.random_state))

    def predict_proba(self, X) -> np.ndarray:
        return self.model_.predict_proba(self.features(X))

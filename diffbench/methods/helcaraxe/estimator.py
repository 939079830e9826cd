"""Helcaraxe as a diffbench method (paper 003, Nolte et al. 2022; methods.md §6).

What it does, as the paper does:

- one plot per AUSPEX range within the data's resolution (:mod:`.plots`), of F_obs (``helcaraxe-f``)
  or I_obs (``helcaraxe-i``); plots computed once per data set and cached in-process;
- the network of :mod:`.network`, its output bias at the logit of the training plots' positive
  fraction; binary cross-entropy; Nadam at 10⁻⁴ with Keras' momentum-schedule decay 0.004 (torch's
  ``NAdam(momentum_decay=4e-3)`` is the same schedule);
- the I_obs network is the F_obs network fine-tuned on I plots at 5·10⁻⁴ (transfer learning): the F
  network is trained first, on the same data sets (and trained once per process: ``helcaraxe-i``
  takes the ``helcaraxe-f`` fit of the same parameters and data when it is there).
  ``finetune_holdout=f`` (our addition; 0.2 in the quick configuration, 0 in the paper's) holds a
  fraction f of the training data sets out of the fine-tune, which then keeps its weights of lowest
  loss on them (checked every 10 steps, the starting F weights included): a guard against a short
  fine-tune at a high rate diverging and calling every range icy. On validation seeds 101–104 (200
  data sets, half for training; networks in the channels-last layout) per-range MCC of the quick I
  network was 0.67 ± 0.14 with it and 0.60 ± 0.16 without, where one seed collapsed (0.39; per
  data set 0.15). Before the layout change the same comparison had favoured no hold-out (0.71 ±
  0.10 against 0.66 ± 0.07): the difference is within the seeds' spread, and the hold-out is
  kept because it bounds the collapse;
- per range: −1 beyond the resolution, NaN ("None") for a blank plot, else the probability
  (:meth:`Helcaraxe.predict_proba_ranges`); ice where it is ≥ 0.5 (:meth:`predict_ranges` answers
  1/0/−1/NaN); per data set: ice if any range is (:meth:`predict`), score = the largest probability.

``fit(X, y)``: X the training data sets (an MX index, :class:`~diffbench.io.mx.MXCollection` or
list of :class:`~diffbench.io.mx.MergedData`), y (n_data_sets, 25) per-range labels: 1 ice, 0 none,
−1 not to be learnt from (beyond resolution, blanked at integration). Plots that the blank
discriminator calls blank are not learnt from either.

Configurations: ``paper`` = the exact network, batch 32, 20 epochs over the training plots;
``quick`` = the ``lite`` network (kernels 7/5/5/3/3, half the channels — not the paper's), batch 32,
200 steps at 10⁻³ (ten times the paper's rate for a hundredth of its steps: at 10⁻⁴ the F network
had learnt nothing after 300 steps) and a fine-tune of 100 steps at 2·10⁻³, chosen on validation
seeds 101–102 that no tier scores (per-range MCC of the I network 0.74 ± 0.06 at 10⁻³, 0.78 ± 0.08
at 2·10⁻³, 0.52 ± 0.30 at the paper's 5× ratio, 5·10⁻³, where some seeds call every range icy);
about 0.27 s per step on 2 CPU cores. ``n_iter`` overrides the steps (F network; the I fine-tune takes half as
many).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from diffbench.io.mx import as_mx
from diffbench.methods.answers import Answers, digest
from diffbench.methods.base import BINARY_CLASSES, Method, MethodTags, channels_last, torch_unavailable
from diffbench.methods.helcaraxe.plots import BLANK, PREDICTABLE, cached_range_plots
from diffbench.units import ANGSTROM


class HelcaraxeConfig(NamedTuple):
    topology: str
    batch_size: int
    n_iter: int | None  # steps of the F network (None: ``epochs`` over the training plots)
    epochs: int
    learning_rate: float
    finetune_learning_rate: float
    finetune_holdout: float  # fraction of training data sets held out to choose the fine-tune's weights


CONFIGS = {
    "paper": HelcaraxeConfig("exact", 32, None, 20, 1e-4, 5e-4, 0.0),
    "quick": HelcaraxeConfig("lite", 32, 200, 0, 1e-3, 2e-3, 0.2),
}
THRESHOLD = 0.5  # paper 003: a range is icy at p >= 0.5, a data set if any range is


class Helcaraxe(Method):
    """Paper 003's ice-ring CNN on Helcaraxe plots (see the module docstring).

    column : "F" (F_obs network) or "I" (I_obs: the F network fine-tuned on I plots).
    config : "quick" or "paper". n_iter : training steps of the F network (None: the config's).
    learning_rate, finetune_learning_rate : Nadam rates of the F network and of the I fine-tune
    (None: the config's).
    device : torch device ("cpu" by default; CPU training is deterministic for a ``random_state``).
    """

    def __init__(self, column: str = "F", config: str = "quick", n_iter: int | None = None,
                 learning_rate: float | None = None, finetune_learning_rate: float | None = None,
                 finetune_holdout: float | None = None, device: str = "cpu", random_state: int = 0):
        self.column = column
        self.config = config
        self.n_iter = n_iter
        self.learning_rate = learning_rate
        self.finetune_learning_rate = finetune_learning_rate
        self.finetune_holdout = finetune_holdout
        self.device = device
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(requires_y=True, input="merged-reflections", per_range=True, neural=True)

    @staticmethod
    def unavailable() -> str | None:
        return torch_unavailable()

    def _cfg(self) -> HelcaraxeConfig:
        if self.config not in CONFIGS:
            raise ValueError(f"config must be one of {', '.join(CONFIGS)}, got {self.config!r}")
        if self.column not in ("F", "I"):
            raise ValueError(f"column must be 'F' or 'I', got {self.column!r}")
        c = CONFIGS[self.config]
        holdout = c.finetune_holdout if self.finetune_holdout is None else self.finetune_holdout
        if not 0 <= holdout < 1:
            raise ValueError(f"finetune_holdout must be in [0, 1), got {holdout!r}")
        return c._replace(learning_rate=self.learning_rate or c.learning_rate,
                          finetune_learning_rate=self.finetune_learning_rate or c.finetune_learning_rate,
                          finetune_holdout=holdout)

    # ------------------------------------------------------------------ plots
    @staticmethod
    def _plots(X, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(n, 25, 80, 80) plots and (n, 25) status of every data set of ``X`` for ``column``."""
        plots, status = [], []
        for d in as_mx(X):
            v = d.i if column == "I" else d.f
            if v is None:
                raise ValueError(f"helcaraxe column {column!r}: the data set has no {column}_obs")
            p = cached_range_plots(d.d_m / ANGSTROM, v)
            plots.append(p.plots)
            status.append(p.status)
        return np.asarray(plots, np.float32), np.asarray(status, np.int8)

    # --------------------------------------------------------------- training
    def fit(self, X, y):

        cfg = self._cfg()
        y = np.asarray(y)
        if y.ndim != 2:
            raise ValueError(f"helcaraxe fit: y must be per-range labels (n_data_sets, 25), got shape {y.shape}")
        X = as_mx(X)
        f_net = _train_f_network(X, y, cfg, self.n_iter, self.device, self.random_state)
        if self.column == "F":
            self.net_ = f_net
        else:  # transfer learning: the F network fine-tuned on I plots
            import copy

            plots, status = self._plots(X, "I")
            net = copy.deepcopy(f_net)
            steps = max(1, (self.n_iter or _steps(cfg, _learnable(status, y).sum())) // 2)
            # finetune_holdout > 0: training data sets held out, the fine-tune keeps its weights of
            # lowest loss on them (a guard against divergence; test data never choose)
            held = _held_out(y, self.random_state, cfg.finetune_holdout)
            if held.any():
                train = (plots[~held], status[~held], y[~held])
                kept = (plots[held], status[held], y[held])
            else:  # no hold-out: the plots as they are, not a copy of them
                train, kept = (plots, status, y), None
            _train(net, *train, cfg.finetune_learning_rate, cfg.batch_size, steps, self.device,
                   seed=self.random_state + 1, held=kept)
            self.net_ = net
        self.net_.eval()
        self.answers_ = Answers()
        self.loss_curve_ = list(getattr(self.net_, "loss_curve_", []))
        self.classes_ = BINARY_CLASSES
        return self

    # ---------------------------------------------------------------- answers
    def predict_proba_ranges(self, X) -> np.ndarray:
        """(n_data_sets, 25) float: −1 beyond the data's resolution, NaN blank ("None"), else P(ice)."""
        import torch

        plots, status = self._plots(X, self.column)

        def answer():
            out = np.where(status == BLANK, np.nan, -1.0)
            idx = np.argwhere(status == PREDICTABLE)
            if len(idx):
                x = torch.from_numpy(plots[idx[:, 0], idx[:, 1]][:, None])
                with torch.no_grad():
                    p = torch.cat([torch.sigmoid(self.net_(x[s:s + 512].to(self.device))).cpu()
                                   for s in range(0, len(x), 512)]).numpy().ravel()
                out[idx[:, 0], idx[:, 1]] = p
            return out

        # per range, per data set, predict and score_samples ask about the same data sets
        return self.answers_.get(digest(plots, status) if self.device == "cpu" else "", answer)

    def predict_ranges(self, X) -> np.ndarray:
        """(n_data_sets, 25): 1 ice (p ≥ 0.5), 0 none, −1 beyond resolution, NaN blank."""
        p = self.predict_proba_ranges(X)
        return np.where(p >= 0, (p >= THRESHOLD).astype(float), p)

    def score_samples(self, X) -> np.ndarray:
        """Per data set: the largest probability of its ranges (0 where none is predictable)."""
        p = self.predict_proba_ranges(X)
        return np.nanmax(np.where(p >= 0, p, 0.0), axis=1, initial=0.0)

    def predict(self, X) -> np.ndarray:
        return (self.score_samples(X) >= THRESHOLD).astype(np.int8)


def _held_out(y: np.ndarray, seed: int, fraction: float = 0.2) -> np.ndarray:
    """Data sets held out of the I fine-tune, stratified on whether a data set has an icy range
    (none when there are fewer than 5 data sets)."""
    icy = (np.asarray(y) == 1).any(axis=1)
    held = np.zeros(len(y), bool)
    if len(y) < 5 or fraction <= 0:
        return held
    rng = np.random.default_rng(seed + 7)
    for group in (np.flatnonzero(icy), np.flatnonzero(~icy)):
        k = int(round(fraction * len(group)))
        held[rng.choice(group, k, replace=False)] = True
    return held


def _learnable(status: np.ndarray, y: np.ndarray) -> np.ndarray:
    return (status == PREDICTABLE) & (y >= 0)


def _steps(cfg: HelcaraxeConfig, n_plots: int) -> int:
    return cfg.n_iter if cfg.n_iter else max(1, cfg.epochs * -(-int(n_plots) // cfg.batch_size))


def _learnable_plots(plots, status, y):
    """(plots (n, 1, 80, 80), labels (n,)) as tensors: the learnable plots of the data sets given."""
    import torch

    idx = np.argwhere(_learnable(status, y))
    x = torch.from_numpy(plots[idx[:, 0], idx[:, 1]][:, None])
    return x, torch.from_numpy(y[idx[:, 0], idx[:, 1]].astype(np.float32))


def _train(net, plots, status, y, lr, batch_size, steps, device, seed, held=None, every: int = 10) -> list[float]:
    """Minibatch training on the learnable plots (drawn with replacement, seeded); the loss curve
    (means of 10 steps).

    ``held``: (plots, status, y) of held-out data sets. Then the network's loss on their learnable
    plots is measured before training and every ``every`` steps, and the network ends with the
    weights of the lowest (early stopping: a fine-tune that diverges keeps its best point, which may
    be where it started). ``net.held_losses_`` keeps the losses, ``net.best_step_`` the step kept."""
    import copy

    import torch
    import torch.nn.functional as F

    x, t = _learnable_plots(plots, status, y)
    if len(x) == 0:
        raise ValueError("helcaraxe fit: no predictable plot with a label to learn from")
    xv, tv = _learnable_plots(*held) if held is not None else (None, None)
    if xv is not None and len(xv) == 0:
        xv = None

    def held_loss():
        net.eval()
        with torch.no_grad():
            v = float(F.binary_cross_entropy_with_logits(net(xv.to(device)).ravel(), tv.to(device)))
        net.train()
        return v

    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.NAdam(net.parameters(), lr=lr, momentum_decay=4e-3)
    net.to(device).train()
    curve, running, losses = [], [], []
    if xv is not None:
        losses.append((0, held_loss()))
        best = (losses[0][1], 0, copy.deepcopy(net.state_dict()))
    for step in range(1, steps + 1):
        b = torch.randint(len(x), (batch_size,), generator=g)
        loss = F.binary_cross_entropy_with_logits(net(x[b].to(device)).ravel(), t[b].to(device))
        opt.zero_grad()
        loss.backward()
        opt.step()
        running.append(float(loss.detach()))
        if len(running) == 10:
            curve.append(float(np.mean(running)))
            running = []
        if xv is not None and (step % every == 0 or step == steps):
            losses.append((step, held_loss()))
            if losses[-1][1] < best[0]:
                best = (losses[-1][1], step, copy.deepcopy(net.state_dict()))
    if xv is not None:
        net.load_state_dict(best[2])
        net.held_losses_, net.best_step_ = losses, best[1]
    net.eval()
    net.loss_curve_ = curve
    return curve


# F networks trained in this process, by (parameters, data): helcaraxe-i starts from the network
# helcaraxe-f learnt on the same data sets instead of training it again (CPU training is deterministic)
_F_NETWORKS: dict = {}


def _train_f_network(X, y, cfg, n_iter, device, seed):
    import copy
    import hashlib

    import torch

    from diffbench.methods.helcaraxe.network import build

    plots, status = Helcaraxe._plots(X, "F")
    # the F network does not depend on the fine-tune's settings: helcaraxe-i variants share it
    h = hashlib.sha256(repr((cfg._replace(finetune_learning_rate=0.0, finetune_holdout=0.0), n_iter, seed)).encode())
    h.update(plots.tobytes())
    h.update(np.ascontiguousarray(y).tobytes())
    key = h.hexdigest() if device == "cpu" else ""
    if key and key in _F_NETWORKS:
        return copy.deepcopy(_F_NETWORKS[key])
    learn = _learnable(status, y)
    positive = float(y[learn].mean()) if learn.any() else 0.5
    torch.manual_seed(seed)
    net = channels_last(build(cfg.topology, positive))
    _train(net, plots, status, y, cfg.learning_rate, cfg.batch_size, n_iter or _steps(cfg, learn.sum()), device,
           seed=seed)
    if key:
        while len(_F_NETWORKS) >= 2:
            _F_NETWORKS.pop(next(iter(_F_NETWORKS)))
        _F_NETWORKS[key] = copy.deepcopy(net)
    return net


class HelcaraxeF(Helcaraxe):
    """Helcaraxe's F_obs network."""

    def __init__(self, column: str = "F", config: str = "quick", n_iter: int | None = None,
                 learning_rate: float | None = None, finetune_learning_rate: float | None = None,
                 finetune_holdout: float | None = None, device: str = "cpu", random_state: int = 0):
        super().__init__(column, config, n_iter, learning_rate, finetune_learning_rate, finetune_holdout, device,
                         random_state)


class HelcaraxeI(Helcaraxe):
    """Helcaraxe's I_obs network (the F network fine-tuned on I plots)."""

    def __init__(self, column: str = "I", config: str = "quick", n_iter: int | None = None,
                 learning_rate: float | None = None, finetune_learning_rate: float | None = None,
                 finetune_holdout: float | None = None, device: str = "cpu", random_state: int = 0):
        super().__init__(column, config, n_iter, learning_rate, finetune_learning_rate, finetune_holdout, device,
                         random_state)

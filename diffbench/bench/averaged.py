"""Tasks scored on class averages instead of frames (paper 001: the structural landscape is built
from bootstrapped 2-D class averages, not from single frames of 10²–10³ photons).

A task's ``averages:`` (the parameters of :class:`~diffbench.methods.bootstrap_averages.BootstrapAverages`)
turns each data set into its averages once per seed, before any method runs; every method,
control and oracle of the task is then fitted on and scores the same averages. Each average's
truth comes from its frames, weighted by their membership: a categorical field gives the majority
value (``FIELD``) and its weight fraction (``FIELD_purity``); a numeric field its weighted mean
(``FIELD``) and spread (``FIELD_sd``).
"""

from __future__ import annotations

import numpy as np


def averaged_items(frames, fields: dict[str, np.ndarray], spec: dict, seed: int):
    """(averages as :class:`~diffbench.methods.frames.Frames`, per-average truth, the fitted
    :class:`~diffbench.methods.bootstrap_averages.BootstrapAverages`) of ``frames`` whose per-frame
    truth columns are ``fields``; ``spec`` the task's ``averages`` parameters, seeded by ``seed``.
    The averages keep the geometry of their grid (:meth:`~diffbench.methods.bootstrap_averages.BootstrapAverages.grid_detector`):
    valid = the grid points the data reach, the beam at the centre, q-vectors where the frames had them."""
    from diffbench.methods.bootstrap_averages import BootstrapAverages
    from diffbench.methods.frames import Frames, as_frames

    frames = as_frames(frames)
    est = BootstrapAverages(**spec, random_state=seed).fit(frames)
    raw = est.average_truth({f: v for f, v in fields.items() if np.asarray(v).ndim == 1})
    truth: dict[str, np.ndarray] = {"weight": raw["weight"]}
    for f, v in fields.items():
        v = np.asarray(v)
        if v.ndim != 1:
            continue
        if v.dtype.kind == "f":
            truth[f], truth[f + "_sd"] = raw[f], raw[f + "_sd"]
            continue
        keys = [k for k in raw if k.startswith(f + "=")]
        frac = np.stack([raw[k] for k in keys], axis=1)
        labels = np.array([k[len(f) + 1:] for k in keys])
        truth[f] = labels[np.argmax(frac, axis=1)]
        truth[f + "_purity"] = frac.max(axis=1)
    averages = np.asarray(est.averages_, dtype=np.float32)
    g = averages.shape[-1]
    if frames.geometry is None:
        return Frames(averages, valid=est.coverage_, center_xy_px=(g // 2, g // 2), source="averages"), truth, est
    from diffbench.geometry.detector import q_vectors

    det, beam = frames.geometry
    grid = est.grid_detector(det)  # the averages' grid points as pixels: their q-vectors for a 3-D method
    items = Frames(averages, valid=est.coverage_, center_xy_px=(g // 2, g // 2),
                   q_m=np.linalg.norm(q_vectors(grid, beam), axis=-1), source="averages", geometry=(grid, beam))
    return items, truth, est

"""Orientation recovery scored against the simulator's truth, symmetry-aware (methods.md §2.4).

An orientation found from a pattern is only defined up to what leaves the pattern unchanged:

- the particle's point group G: R and R g give the same pattern (:mod:`diffbench.geometry.symmetry`);
- Friedel's law: in the flat-Ewald limit every pattern is centrosymmetric, so R and Rz(π) R (a half
  turn about the beam, z) give the same pattern (Ewald curvature breaks this only weakly);
- the reconstruction's frame is its own: a method that also builds the model (EMC) finds
  R_true A for one unknown global rotation A of the whole data set.

The error of frame d is therefore min over g ∈ G and s ∈ {1, Rz(π)} of the angle between R_est,d
and s R_true,d g A, with A fitted first: started from the frame-wise candidates of many frames (the
one with the smallest median error wins), then refined as the chordal L2 mean of each frame's best
candidate over the frames within three times the median error (misassigned frames do not pull it). Without A and G
the error of a perfect reconstruction looks like noise (tested). Reported as median and 90th
percentile in degrees, as paper 000 reports its EMC orientations.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from diffbench.geometry.orientation import (
    axis_angle_quaternion,
    canonical,
    quaternion_conjugate,
    quaternion_multiply,
)
from diffbench.geometry.symmetry import point_group


class OrientationScore(NamedTuple):
    errors_deg: np.ndarray  # per frame, degrees
    median_deg: float
    p90_deg: float
    frame: np.ndarray  # the fitted global rotation A (quaternion w, x, y, z)


def _equivalents(q_true: np.ndarray, group: np.ndarray, friedel: bool) -> np.ndarray:
    """(N, S·|G|, 4): s ⊗ q_true ⊗ g for every Friedel half-turn s and group element g."""
    halves = [np.array([1.0, 0.0, 0.0, 0.0])]
    if friedel:
        halves.append(axis_angle_quaternion((0.0, 0.0, 1.0), np.pi))
    out = [quaternion_multiply(quaternion_multiply(s, q_true)[:, None, :], group[None]) for s in halves]
    return np.concatenate(out, axis=1)


def _errors(eq: np.ndarray, q_est: np.ndarray, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: the error (rad) against s q_true g A and the index of the best (s, g)."""
    target = quaternion_multiply(q_est, quaternion_conjugate(frame))  # q_est A⁻¹
    dots = np.abs(np.einsum("nkc,nc->nk", eq, target))
    best = np.argmax(dots, axis=1)
    return 2.0 * np.arccos(np.clip(dots[np.arange(len(best)), best], 0.0, 1.0)), best


def orientation_errors(q_true, q_est, group: str = "C1", friedel: bool = True, fit_frame: bool = True,
                       n_starts: int = 64, seed: int = 0) -> OrientationScore:
    """Symmetry-aware orientation errors (see the module docstring).

    q_true, q_est : (N, 4) unit quaternions (w, x, y, z), the truth's and the method's, in the
    convention of :mod:`diffbench.geometry.orientation`. group : the particle's point group name.
    friedel : treat R and Rz(π) R as the same. fit_frame : fit the global rotation A (False: A = 1,
    for methods that report orientations in the truth's frame). n_starts, seed : frames tried as
    starting points of the fit.
    """
    q_true = canonical(np.atleast_2d(q_true))
    q_est = canonical(np.atleast_2d(q_est))
    if q_true.shape != q_est.shape or q_true.shape[-1] != 4:
        raise ValueError(f"q_true and q_est must both be (N, 4), got {q_true.shape} and {q_est.shape}")
    if len(q_true) == 0:
        raise ValueError("orientation_errors: no frames")
    g = point_group(group)
    eq = _equivalents(q_true, g, friedel)
    frame = np.array([1.0, 0.0, 0.0, 0.0])
    if fit_frame:
        rng = np.random.default_rng(seed)
        starts = rng.choice(len(q_true), min(n_starts, len(q_true)), replace=False)
        # frame-wise candidates A = (s q_true)⁻¹ q_est (the identity g), for each s
        identity_g = [0, len(g)] if friedel else [0]
        candidates = quaternion_multiply(quaternion_conjugate(eq[starts][:, identity_g]),
                                         q_est[starts][:, None, :]).reshape(-1, 4)
        medians = [np.median(_errors(eq, q_est, a)[0]) for a in candidates]
        frame = canonical(candidates[int(np.argmin(medians))])
        for _ in range(4):  # refine: chordal L2 mean of each frame's best candidate, outliers left out
            err, best = _errors(eq, q_est, frame)
            keep = err <= 3 * np.median(err) + 1e-9
            a = quaternion_multiply(quaternion_conjugate(eq[np.flatnonzero(keep), best[keep]]), q_est[keep])
            w, v = np.linalg.eigh(a.T @ a)
            frame = canonical(v[:, -1])
    err, _ = _errors(eq, q_est, frame)
    deg = np.degrees(err)
    return OrientationScore(deg, float(np.median(deg)), float(np.percentile(deg, 90)), frame)

"""A selection judged by the structure it builds (issue: "which classifier gives the best
structure", not "which classifier is best").

The frames a method selects as single hits go to 3-D EMC (:class:`~diffbench.methods.emc3d.EMC3D`,
the task's ``scoring: {emc3d: {...}}``, the same for every row); what comes out is scored against
the truth no experiment has: the reconstructed intensity against the true one, shell by shell
(:func:`~diffbench.bench.reconstruction.volume_scores`, in the global frame fitted on the
selection's true single hits), and the orientations the EMC gave the true single hits among the
selected frames (:func:`~diffbench.bench.orientation.orientation_errors`). Doubles and aggregates
that slip into a selection have no single orientation: they are not scored as frames, but they
corrupt the volume, and the scores say so.
"""

from __future__ import annotations

import math

import numpy as np

#: Fewer selected frames than this build no structure worth scoring (nan).
MIN_FRAMES = 20

STRUCTURE_METRICS = ("structure_shell_correlation", "structure_resolution_nm", "structure_orientation_median_deg")


def structure_of_selection(frames, selected: np.ndarray, emc_params: dict) -> dict:
    """The :data:`STRUCTURE_METRICS` of the frames where ``selected`` is true (``frames`` read from
    a diffbench data set: its recipe holds the true volume), plus the EMC's run time."""
    import time

    from diffbench.bench.orientation import orientation_errors
    from diffbench.bench.reconstruction import single_species, target_orientations, volume_scores
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.emc3d import EMC3D

    idx = np.flatnonzero(np.asarray(selected, bool))
    out = {m: math.nan for m in STRUCTURE_METRICS}
    out["structure_n_frames"] = int(idx.size)
    if idx.size < MIN_FRAMES:
        return out
    with open_dataset(frames.source) as ds:
        species, group = single_species(ds)
        t0 = time.perf_counter()
        emc = EMC3D(point_group=group, **emc_params).fit(frames.take(idx))
        out["structure_emc_s"] = time.perf_counter() - t0
        # the truth is the file's: ``frames`` may be a split's subset of it
        q_true = target_orientations(ds)[frames.source_rows()[idx]]
        single = np.isfinite(q_true[:, 0])
        out["structure_n_singles"] = int(single.sum())
        if single.sum() < 3:
            return out
        err = orientation_errors(q_true[single], emc.orientations_[single], group)
        out["structure_orientation_median_deg"] = err.median_deg
        vol = volume_scores(emc.model_, emc.coverage_, emc.q_grid_m(), emc.dq_m_, ds, species, err.frame)
        out["structure_shell_correlation"] = vol["shell_correlation"]
        out["structure_resolution_nm"] = vol["resolution_nm"]
        out["structure_curve"] = vol["curves"]["shell_correlation"]
    return out

"""The per-point fields a latent-space page can be coloured by, from truth and predictions.

Each field is (values, kind) with kind ``"categorical"`` (strings) or ``"continuous"`` (floats).
SPI files give hit class, multiplicity, species and size of the first target particle, melt/shape
parameter, photons, fluence, ice type, and the orientation of the first particle as the azimuth
and elevation (degrees) of the rotated reference axis x̂ = R [1, 0, 0] and its rotation angle
2 arccos|w| (degrees) — paper 004's choices. ED-scan and droplet files give their labels and
fractions. Predictions (``pred:<name>``) come from the caller; a file without truth (real data)
has only those.
"""

from __future__ import annotations

import numpy as np

from diffbench.geometry.orientation import quaternion_to_matrix

CATEGORICAL = "categorical"
CONTINUOUS = "continuous"

# truth columns shown when present: name → kind
_TRUTH = {
    "hit_class": CATEGORICAL, "is_single_hit": CATEGORICAL, "multiplicity": CATEGORICAL,
    "ice_type": CATEGORICAL, "label": CATEGORICAL, "ring_mode": CATEGORICAL, "session": CATEGORICAL,
    "photons_total": CONTINUOUS, "fluence_photons_per_m2": CONTINUOUS, "pulse_energy_j": CONTINUOUS,
    "ice_thickness_m": CONTINUOUS, "amorphous_thickness_m": CONTINUOUS, "ice_expected_photons": CONTINUOUS,
    "scan_index": CATEGORICAL, "frac_carbon": CONTINUOUS, "frac_amorphous_ice": CONTINUOUS,
    "frac_crystalline_ice": CONTINUOUS, "frac_vacuum": CONTINUOUS, "n_crystals_hit": CONTINUOUS,
    "counts_total": CONTINUOUS, "diameter_m": CONTINUOUS, "n_crystallites": CONTINUOUS,
}


def orientation_angles(quat_wxyz: np.ndarray) -> dict[str, np.ndarray]:
    """Azimuth and elevation (degrees) of R x̂ and the rotation angle (degrees) of each quaternion."""
    q = np.asarray(quat_wxyz, dtype=float).reshape(-1, 4)
    axis = quaternion_to_matrix(q)[:, :, 0]  # R [1, 0, 0]
    az = np.degrees(np.arctan2(axis[:, 1], axis[:, 0]))
    el = np.degrees(np.arcsin(np.clip(axis[:, 2], -1, 1)))
    angle = np.degrees(2 * np.arccos(np.clip(np.abs(q[:, 0]), 0, 1)))
    return {"orientation_azimuth_deg": az, "orientation_elevation_deg": el, "rotation_angle_deg": angle}


def first_particle_rows(n: int, particles: dict) -> np.ndarray:
    """Index of each pattern's first target particle in the particle table (−1 if none)."""
    first = np.full(n, -1, dtype=np.int64)
    if not particles or len(particles.get("pattern_index", [])) == 0:
        return first
    pi = np.asarray(particles["pattern_index"])
    tgt = np.asarray(particles.get("is_target", np.ones(pi.size, bool)))
    rows = np.flatnonzero(tgt)
    # the first row of each pattern (rows are ordered by pattern)
    uniq, at = np.unique(pi[rows], return_index=True)
    first[uniq] = rows[at]
    return first


def _display(name: str, values: np.ndarray) -> tuple[str, np.ndarray]:
    """Lengths in metres are shown in nm (``*_m`` → ``*_nm``): 61.1 nm, not 6.108e-08."""
    if name.endswith("_m"):
        return name[:-2] + "_nm", values * 1e9
    return name, values


def colour_fields(truth: dict, particles: dict | None = None, predictions: dict | None = None) -> dict:
    """name → (values (N,), kind) for every field worth colouring by: fields that vary (a constant
    ice type on a recipe without rings tells nothing), lengths in nm."""
    out = {}
    n = None
    for name, kind in _TRUTH.items():
        if name in truth:
            v = np.asarray(truth[name])
            if v.ndim != 1:
                continue
            n = v.size
            if kind == CATEGORICAL:
                if len(np.unique(v)) > 1:
                    out[name] = (v.astype(str), kind)
            elif np.isfinite(v.astype(float)).any() and np.nanmax(v.astype(float)) > np.nanmin(v.astype(float)):
                label, shown = _display(name, v.astype(float))
                out[label] = (shown, kind)
    if particles and n is not None and len(particles.get("pattern_index", [])):
        first = first_particle_rows(n, particles)
        has = first >= 0
        for col, label in (("diameter_m", "target_diameter_m"), ("shape_param", "target_shape_param")):
            if col in particles:
                v = np.full(n, np.nan)
                v[has] = np.asarray(particles[col])[first[has]]
                if np.isfinite(v).sum() > 1 and np.nanmax(v) > np.nanmin(v):
                    label, v = _display(label, v)
                    out[label] = (v, CONTINUOUS)
        if "orientation_wxyz" in particles:
            q = np.full((n, 4), np.nan)
            q[has] = np.asarray(particles["orientation_wxyz"])[first[has]]
            for k, v in orientation_angles(np.nan_to_num(q)).items():
                v[~has] = np.nan
                out[k] = (v, CONTINUOUS)
    for name, v in (predictions or {}).items():
        v = np.asarray(v)
        kind = CONTINUOUS if v.dtype.kind == "f" else CATEGORICAL
        out[f"pred:{name}"] = (v.astype(float) if kind == CONTINUOUS else v.astype(str), kind)
    return out

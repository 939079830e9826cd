"""The data sets of benchmark tasks: where each lives, simulating it unless a complete file of the
same recipe, seed and size is there, its content digest, and the truth a task scores against."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from diffbench.bench.tasks import Task
from diffbench.io.digest import content_digest  # noqa: F401  (the bench's import path)
from diffbench.io.readers import kind_of_file


def dataset_path(folder: Path, task: Task, n: int, seed: int, config=None) -> Path:
    """Where the task's data set for (n, seed) lives: the name carries a hash of the *resolved*
    recipe (every parameter after the task's overrides) and the diffbench version, so an edited
    recipe or a new release never reuses an old file."""
    tag = hashlib.sha256(json.dumps([recipe_key(task, config), n, seed]).encode()).hexdigest()[:10]
    return Path(folder) / f"{task.recipe}-n{n}-s{seed}-{tag}.cxi"


def recipe_key(task: Task, config=None) -> str:
    """The resolved recipe of a task (after its overrides) and the diffbench version, as text."""
    from diffbench._version import __version__
    from diffbench.recipes.catalogue import resolve

    _, raw = resolve(task.recipe, config, list(task.overrides))
    return json.dumps([raw, __version__], sort_keys=True, default=str)


def ensure_dataset(path: Path, task: Task, n: int, seed: int, shard_size: int | None = None, log=print,
                   config=None) -> Path:
    """Simulate the dataset unless a complete file of the same resolved recipe, version, seed and N
    is at ``path``."""
    if path.is_file():
        try:
            import yaml

            from diffbench._version import __version__
            from diffbench.recipes.catalogue import resolve

            kind = kind_of_file(path)
            _, raw = resolve(task.recipe, config, list(task.overrides))
            with kind.open(path) as d:
                a = d.attrs
                count = int(a.get(kind.count_attr, len(d)))  # what -n counted: patterns, scans, data sets
                same = (a.get("recipe") == task.recipe and int(a.get("seed", -1)) == seed and count == n
                        and a.get("diffbench_version") == __version__
                        and yaml.safe_load(a.get("recipe_yaml", "")) == yaml.safe_load(yaml.safe_dump(raw)))
                if same:
                    return path
        except (OSError, ValueError):
            pass
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"  simulating {n} patterns of {task.recipe} (seed {seed}) -> {path}")
    if shard_size:
        from diffbench.simulate.shards import simulate_sharded

        simulate_sharded(task.recipe, n, path, shard_size, seed=seed, overrides=task.overrides, workers=2,
                         progress=False, config=config)
    else:
        from diffbench.simulate.driver import simulate_to_file

        simulate_to_file(task.recipe, n, path, seed=seed, overrides=task.overrides, workers=1, progress=False,
                         config=config)
    return path


_COMPARISON = re.compile(r"^(\w+)\s*(>=|<=|==|!=|>|<)\s*(\S+)$")


def target_values(ds, target: str) -> np.ndarray:
    """Per-pattern truth: a truth column, a comparison of one with a value (``ice_thickness_m>0``,
    ``ice_type!=none`` — a boolean target), ``diameter_m`` of the pattern's target particle (NaN
    where there is not exactly one), or ``orientation``: (N, 4) quaternions of single hits (data
    with a pattern of several particles are refused)."""
    m = _COMPARISON.match(target)
    if m and target not in ds.truth:
        field, op, value = m.groups()
        col = target_values(ds, field)
        if col.dtype.kind in "fiub":
            value = float(value)
        elif value == "none":  # the empty string of a string column ("no ice")
            value = ""
        import operator

        ops = {">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le, "==": operator.eq,
               "!=": operator.ne}
        return np.asarray(ops[op](col, value), dtype=bool)
    if target in ds.truth:
        y = np.asarray(ds.truth[target])
        return y.astype(str) if y.dtype.kind == "S" else y
    if target == "orientation":
        from diffbench.bench.reconstruction import single_hit_orientations

        return single_hit_orientations(ds)
    derived = particle_fields(ds, target)
    if derived is not None:
        return derived
    raise ValueError(f"unknown target truth field {target!r}; have {', '.join(sorted(ds.truth))}, "
                     f"{', '.join(PARTICLE_FIELDS)} or orientation")


#: Per-pattern fields derived from the particle truth: the pattern's one target particle's diameter,
#: shape parameter and fluence (where it sits in the focus; the pattern's ``fluence_photons_per_m2``
#: is the pulse's nominal one) — nan where a pattern has no target or several — ``shape_stage`` and
#: ``beam_axis_cos``.
PARTICLE_FIELDS = ("diameter_m", "target_shape_param", "target_fluence_photons_per_m2", "shape_stage",
                   "beam_axis_cos")


def particle_fields(ds, field: str) -> np.ndarray | None:
    """A :data:`PARTICLE_FIELDS` column, or None for another name.

    ``shape_stage`` names the structural group of a pattern, as paper 001 sorts gold frames: for a
    single hit of a species whose shape runs along one parameter (a melting cube: 0 = cube, 1 =
    sphere), "start" at 0, "end" at 1, "between" in between; otherwise the hit class (contaminant,
    multiple, ...).

    ``beam_axis_cos`` is an orientation nuisance a latent may hold: |cos| of the angle between the
    beam and the particle's z axis (its principal symmetry axis: the 7-fold of GroEL's D7), the
    same for every orientation the point group and Friedel's law make equivalent."""
    if field not in PARTICLE_FIELDS:
        return None
    p = ds.particles
    column = {"diameter_m": "diameter_m", "target_shape_param": "shape_param", "shape_stage": "shape_param",
              "target_fluence_photons_per_m2": "fluence_photons_per_m2", "beam_axis_cos": "orientation_wxyz"}[field]
    values = np.asarray(p[column])
    out = np.full((len(ds),) + values.shape[1:], np.nan)
    one = np.asarray(ds.truth["n_target"]) == 1
    tgt = np.asarray(p["is_target"]).astype(bool)
    idx = np.asarray(p["pattern_index"])[tgt]
    out[idx[one[idx]]] = values[tgt][one[idx]]
    if field == "beam_axis_cos":  # z of the target's z axis in the lab (rotation matrix element zz)
        from diffbench.geometry.orientation import quaternion_to_matrix

        q, out = out, np.full(len(ds), np.nan)
        ok = np.isfinite(q[:, 0])
        out[ok] = np.abs(quaternion_to_matrix(q[ok])[:, 2, 2])
        return out
    if field != "shape_stage":
        return out
    single = np.asarray(ds.truth["is_single_hit"]).astype(bool)
    stage = np.where(out == 0, "start", np.where(out == 1, "end", "between"))
    return np.where(single & np.isfinite(out), stage, np.asarray(ds.truth["hit_class"]).astype(str))


#: Conditions derived from the particle truth (not a column of the per-pattern truth).
DERIVED_CONDITIONS = ("pair_separation_m",)


def condition_values(ds, field: str) -> np.ndarray | None:
    """Per-pattern values of a condition field: a truth column, or a derived one —
    ``pair_separation_m``: the centre distance of the two target particles of a pattern with
    exactly two (nan otherwise: singles, empties, larger groups). None where the data lack it."""
    if field in ds.truth:
        v = np.asarray(ds.truth[field])
        return v.astype(str) if v.dtype.kind == "S" else v
    if field in PARTICLE_FIELDS and isinstance(getattr(ds, "particles", None), dict):
        return particle_fields(ds, field)
    if field == "pair_separation_m":
        p = getattr(ds, "particles", None)
        if not isinstance(p, dict) or "position_m" not in p:
            return None
        out = np.full(len(ds), np.nan)
        tgt = np.asarray(p["is_target"]).astype(bool)
        idx = np.asarray(p["pattern_index"])[tgt]
        pos = np.asarray(p["position_m"])[tgt]
        counts = np.bincount(idx, minlength=len(ds))
        for k in np.flatnonzero(counts == 2):
            a, b = pos[idx == k]
            out[k] = float(np.linalg.norm(a - b))
        return out
    return None

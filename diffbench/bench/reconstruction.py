"""The truth a reconstruction is scored against: each single hit's orientation, and the particle's
true intensity on the reconstruction's grid (no experiment has either).

The true intensity is |A(q)|² of the species as the simulator renders it (the same reciprocal
volume or analytic form factor, :func:`diffbench.simulate.spi.reference.amplitude`), read at the
grid's q rotated into the particle frame by the reconstruction's global frame A (fitted by
:func:`diffbench.bench.orientation.orientation_errors`): a method that finds R_true A for every
frame has built V_true(A q).
"""

from __future__ import annotations

import numpy as np


def single_hit_orientations(ds) -> np.ndarray:
    """(N, 4) orientation (particle → lab quaternion) of each pattern's one particle; a pattern with
    none or several is refused (select the single hits first)."""
    parts = ds.particles
    idx = np.asarray(parts["pattern_index"])
    counts = np.bincount(idx, minlength=len(ds))
    if len(counts) != len(ds) or np.any(counts != 1):
        bad = int(np.flatnonzero(counts != 1)[0])
        raise ValueError(f"pattern {bad} holds {int(counts[bad])} particles: orientations are scored on single hits")
    out = np.empty((len(ds), 4))
    out[idx] = np.asarray(parts["orientation_wxyz"])
    return out


def true_intensity_on_grid(ds, species: str, q_grid_m: np.ndarray, frame=None) -> np.ndarray:
    """|A(A_frame q)|² of ``species`` (as the file's recipe renders it, at the size one draw gives:
    an atomic model's own) on the grid points ``q_grid_m`` (..., 3) (1/m, x y z); ``frame`` the
    global rotation (quaternion) of the reconstruction, None for the identity."""
    from diffbench import kinds
    from diffbench.geometry.orientation import quaternion_to_matrix
    from diffbench.recipes.catalogue import safe_load_yaml
    from diffbench.simulate.spi.engine import Simulator
    from diffbench.simulate.spi.reference import amplitude

    text = ds.attrs.get("recipe_yaml")
    if not text:
        raise ValueError(f"{ds.path}: no recipe stored in the file, so no true intensity")
    raw = safe_load_yaml(text)
    sim = Simulator(kinds.of_recipe(raw).recipe_model().model_validate(raw), 0)
    if species not in sim.species:
        raise ValueError(f"species {species!r} is not in the recipe; it has {', '.join(sim.species)}")
    draw = sim.species[species].draw(np.random.default_rng(0))
    q = np.asarray(q_grid_m, dtype=np.float64).reshape(-1, 3)
    if frame is not None:
        q = q @ quaternion_to_matrix(np.asarray(frame, float)).T  # A q for row vectors
    i = draw.table_index
    a = amplitude(q * draw.scale, sim.table.kind[i], sim.table.size[i], sim.table.volumes[i])
    return (np.abs(a) ** 2).reshape(np.shape(q_grid_m)[:-1])

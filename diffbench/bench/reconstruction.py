"""The truth a reconstruction is scored against: each single hit's orientation, and the particle's
true intensity on the reconstruction's grid (no experiment has either).

The true intensity is |A(q)|² of the species as the simulator renders it (the same reciprocal
volume or analytic form factor, :func:`diffbench.simulate.spi.reference.amplitude`), read at the
grid's q rotated into the particle frame by the reconstruction's global frame A (fitted by
:func:`diffbench.bench.orientation.orientation_errors`): a method that finds R_true A for every
frame has built V_true(A q).
"""

from __future__ import annotations

import functools

import numpy as np


def single_hit_orientations(ds) -> np.ndarray:
    """(N, 4) orientation (particle → lab quaternion) of each pattern's one particle; a pattern with
    none or several is refused (select the single hits first)."""
    q = target_orientations(ds)
    bad = np.flatnonzero(~np.isfinite(q[:, 0]))
    if bad.size:
        n = int(np.sum(np.asarray(ds.particles["pattern_index"]) == bad[0]))
        raise ValueError(f"pattern {int(bad[0])} holds {n} particles: orientations are scored on single hits")
    return q


def target_orientations(ds) -> np.ndarray:
    """(N, 4) orientation of each pattern's one particle where it holds exactly one and that one is
    of the recipe's target species (a single hit), nan rows elsewhere (doubles, aggregates, a lone
    contaminant, mixed shots, empties)."""
    parts = ds.particles
    idx = np.asarray(parts["pattern_index"])
    counts = np.bincount(idx, minlength=len(ds))
    out = np.full((len(ds), 4), np.nan)
    one = (counts[idx] == 1) & _is_target(parts)
    out[idx[one]] = np.asarray(parts["orientation_wxyz"])[one]
    return out


def recipe_simulator(ds):
    """The simulator of the recipe stored in a data set's file (its species, their point groups and
    reference volumes); a file without its recipe is refused. Built once per recipe text in a
    process: every row of a task reads the same truth."""
    text = ds.attrs.get("recipe_yaml")
    if not text:
        raise ValueError(f"{ds.path}: no recipe stored in the file, so no true intensity")
    return _simulator(text)


@functools.lru_cache(maxsize=4)
def _simulator(text: str):
    from diffbench import kinds
    from diffbench.recipes.catalogue import safe_load_yaml
    from diffbench.simulate.spi.engine import Simulator

    raw = safe_load_yaml(text)
    return Simulator(kinds.of_recipe(raw).recipe_model().model_validate(raw), 0)


def _is_target(parts) -> np.ndarray:
    """Which particles are of the recipe's target species (all of them in a file without the column)."""
    if "is_target" in parts:
        return np.asarray(parts["is_target"], bool)
    return np.ones(len(np.asarray(parts["pattern_index"])), bool)


def single_species(ds) -> tuple[str, str]:
    """(species, point group) of the one species a reconstruction builds: the recipe's target (its
    contaminants are what a selection should leave out); data whose target particles are of several
    species have no single true volume and are refused."""
    parts = ds.particles
    names = np.unique(np.asarray(parts["species"]).astype(str)[_is_target(parts)])
    if names.size != 1:
        raise ValueError(f"{ds.path}: the target particles are of {names.size} species ({', '.join(names)}); "
                         "a reconstruction is scored against one")
    return str(names[0]), recipe_simulator(ds).point_groups()[str(names[0])]


#: Draws from which the typical particle of a species with a size distribution is the median-size one.
TYPICAL_DRAWS = 201


def typical_draw(species):
    """The particle a reconstruction is judged against: of :data:`TYPICAL_DRAWS` draws (seed 0), the
    one of median size. A species of one size (an atomic model, a fixed diameter) gives its one
    particle; a size distribution gives its median particle, so that a selection that narrows the
    sizes about it (paper 000's size filter) builds a truer structure than one that blurs them."""
    rng = np.random.default_rng(0)
    draws = [species.draw(rng) for _ in range(TYPICAL_DRAWS)]
    return draws[int(np.argsort([d.size_m for d in draws])[TYPICAL_DRAWS // 2])]


def true_intensity_on_grid(ds, species: str, q_grid_m: np.ndarray, frame=None, sim=None) -> np.ndarray:
    """|A(A_frame q)|² of ``species`` (as the file's recipe renders it, its :func:`typical_draw`) on
    the grid points ``q_grid_m`` (..., 3) (1/m, x y z); ``frame`` the global rotation (quaternion)
    of the reconstruction, None for the identity."""
    from diffbench.geometry.orientation import quaternion_to_matrix
    from diffbench.simulate.spi.reference import amplitude

    sim = sim or recipe_simulator(ds)
    if species not in sim.species:
        raise ValueError(f"species {species!r} is not in the recipe; it has {', '.join(sim.species)}")
    draw = typical_draw(sim.species[species])
    q = np.asarray(q_grid_m, dtype=np.float64).reshape(-1, 3)
    if frame is not None:
        q = q @ quaternion_to_matrix(np.asarray(frame, float)).T  # A q for row vectors
    i = draw.table_index
    a = amplitude(q * draw.scale, sim.table.kind[i], sim.table.size[i], sim.table.volumes[i])
    return (np.abs(a) ** 2).reshape(np.shape(q_grid_m)[:-1])


#: A shell whose true intensity varies by less than this over angles (relative to its isotropic
#: part) holds no structure for orientations to find: a 70 nm capsid's first four shells on the
#: PR772 grid vary by 0-3.5 %, its fifth by 28 %; GroEL's first by 6 %, its second by 30 %.
#: Such shells are left out of the scores (a reconstruction correlates with them by chance).
MIN_ANISOTROPY = 0.10


def volume_scores(model: np.ndarray, coverage: np.ndarray, q_grid_m: np.ndarray, dq_m: float, ds, species: str,
                  frame=None) -> dict:
    """A reconstructed intensity against the truth, shell by shell (:func:`diffbench.bench.fsc.shell_correlation`
    with each volume's radial profile removed, on the covered voxels), on the shells where the true
    intensity has angular structure (:data:`MIN_ANISOTROPY`): ``shell_correlation`` (their mean, up
    to the grid's inscribed sphere), ``resolution_nm`` (2π/q where the correlation falls below the
    ½-bit threshold for two of them in a row — a lone dip is passed over,
    :func:`~diffbench.bench.fsc.crossing_radius`; the outermost shell's if it never does: a bound
    set by the grid) and the per-shell curve (None on the shells left out)."""
    from diffbench.bench.fsc import crossing_radius, shell_anisotropy, shell_correlation

    truth = true_intensity_on_grid(ds, species, q_grid_m, frame)
    sc = shell_correlation(model, truth, mask=coverage, subtract_isotropic=True)
    structured = shell_anisotropy(truth, coverage) >= MIN_ANISOTROPY
    sc = sc._replace(correlation=np.where(structured, sc.correlation, np.nan))
    inner = sc.correlation[1:]
    radius = crossing_radius(sc, consecutive=2)
    q = radius * dq_m
    return {"shell_correlation": float(np.nanmean(inner)) if np.isfinite(inner).any() else float("nan"),
            "resolution_nm": float(2 * np.pi / q * 1e9) if q > 0 else float("nan"),
            "curves": {"shell_correlation": {"q_per_nm": np.round(sc.radius_vox * dq_m * 1e-9, 5).tolist(),
                                             "correlation": [None if not np.isfinite(v) else round(float(v), 5)
                                                             for v in sc.correlation],
                                             "half_bit": np.round(sc.threshold, 5).tolist()}}}

"""Merged crystallographic data sets with ice-ring artefacts (paper 003), with per-range truth.

A data set: a random space group (from the recipe's list) and a unit cell compatible with its
lattice system; the unique reflections to a d_min (gemmi; d_min raised if needed so that the count
stays within the recipe's range); true intensities from Wilson statistics — acentric I/⟨I⟩
exponential, centric I/⟨I⟩ χ²₁, ⟨I⟩ = S ε exp(−B / 2d²) — and measured intensities with
σ(I)² = I + b·S + (0.02 I)² (counting statistics on a background b·S, plus 2 % systematic error).
F and σ(F) come from a French–Wilson-style posterior: E[F | I, σ] and its standard deviation under
the Wilson prior (acentric p(F) ∝ F e^{−F²/Σ}, centric p(F) ∝ e^{−F²/2Σ}), by quadrature on F.

Ice: with the recipe's probability a data set gets ice of type Ih, Ic or Isd. A powder line of that
type at 1/d²_line changes each reflection by a · ⟨I⟩(d) · g(1/d² − 1/d²_line) with g a Gaussian of
peak 1 (FWHM ``width_inv_d2_m2``) and a = amplitude × (line's relative powder intensity):
``spike`` adds it (σ grows by its Poisson share), ``over-subtraction`` removes it, ``blank`` drops
the reflections within the ring's FWHM (excluded at integration), ``accumulating`` adds it to a
random subset of the ring's reflections only. Truth is kept per AUSPEX range (25 of them).
"""

from __future__ import annotations

import functools
import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffbench.physics.ice import (
    ANGSTROM,
    AUSPEX_RANGES_INV_D2_A2,
    PHASES,
    phase_weights,
    powder_lines,
)
from diffbench.simulate.truth import table_dtype
from diffbench.units import ANGSTROM2_M2
from diffbench.utils.atomic import atomic_path
from diffbench.utils.progress import progress_bar

N_RANGES = len(AUSPEX_RANGES_INV_D2_A2)

DATASET_FIELDS = {
    "dataset_index": np.int64, "mtz_file": "S32", "space_group": "S16", "cell": (np.float64, 6),
    "d_min_m": np.float64, "n_reflections": np.int64, "wilson_b_m2": np.float64,
    "has_ice": np.bool_, "ice_type": "S4", "artefact_mode": "S16", "amplitude": np.float64,
    "label_ice": np.bool_, "n_ranges_injected": np.int32, "n_ranges_visible": np.int32,
    "ice_in_ranges_fraction": np.float64,
}
RANGE_FIELDS = {
    "dataset_index": np.int64, "range_index": np.int32, "inv_d2_low_m2": np.float64, "inv_d2_high_m2": np.float64,
    "in_resolution": np.bool_, "ring_injected": np.bool_, "ring_type": "S4", "artefact_mode": "S16",
    "amplitude": np.float64, "blank": np.bool_, "n_reflections": np.int64, "n_affected": np.int64,
    "visible": np.bool_, "ice_fraction": np.float64,
}
#: Per-reflection ice truth: every reflection an ice line changed or removed.
ICE_REFLECTION_FIELDS = {
    "dataset_index": np.int64, "row": np.int64, "hkl": (np.int32, 3), "inv_d2_m2": np.float64,
    "delta_i": np.float64, "removed": np.bool_,
}
ICE_REFLECTION_DTYPE = table_dtype(ICE_REFLECTION_FIELDS)
#: A range holds a line when it holds at least this fraction of the line's injected intensity.
LINE_FRACTION_LABEL = 0.02


DATASET_DTYPE = table_dtype(DATASET_FIELDS)
RANGE_DTYPE = table_dtype(RANGE_FIELDS)


def random_cell(sg, edge_range_m, rng) -> tuple:
    """A unit cell (a, b, c in Å, α, β, γ in degrees) obeying the lattice system of ``sg``."""
    lo, hi = edge_range_m[0] / ANGSTROM, edge_range_m[1] / ANGSTROM
    a, b, c = rng.uniform(lo, hi, 3)
    system = sg.crystal_system_str()
    if system == "triclinic":
        al, be, ga = rng.uniform(70, 110, 3)
        return (a, b, c, al, be, ga)
    if system == "monoclinic":
        return (a, b, c, 90.0, rng.uniform(92, 120), 90.0)
    if system == "orthorhombic":
        return (a, b, c, 90.0, 90.0, 90.0)
    if system == "tetragonal":
        return (a, a, c, 90.0, 90.0, 90.0)
    if system in ("trigonal", "hexagonal"):
        return (a, a, c, 90.0, 90.0, 120.0)
    return (a, a, a, 90.0, 90.0, 90.0)  # cubic


def fit_cell_and_resolution(sg, cell_par: tuple, d_range_a: tuple, n_target: int, edge_range_a: tuple):
    """(cell, d_min in Å) of a data set with about ``n_target`` unique reflections and d_min inside
    ``d_range_a``: d_min from the 1/d³ growth of the count, and, where no d_min in the range reaches
    the target, the cell scaled (angles kept, edges within ``edge_range_a``) until one does.

    The count is gemmi's exact one; three secant steps on d bring it within about 1 % of the target.
    """
    import gemmi

    def count(par, d):
        return gemmi.count_reflections(gemmi.UnitCell(*par), sg, d)

    lo, hi = d_range_a
    edges, angles = np.asarray(cell_par[:3], float), tuple(cell_par[3:])
    most, fewest = count(cell_par, lo), count(cell_par, hi)
    f = 1.0
    if most < n_target:  # too small a cell for the target even at the finest d_min
        f = (n_target / max(most, 1)) ** (1 / 3) * 1.01
    elif fewest > n_target:  # too large a cell even at the coarsest d_min
        f = (n_target / fewest) ** (1 / 3) / 1.01
    f = float(np.clip(f, edge_range_a[0] / edges.min(), edge_range_a[1] / edges.max()))
    par = tuple(edges * f) + angles
    d = hi
    for _ in range(3):  # count ∝ d⁻³
        d = float(np.clip(d * (count(par, d) / n_target) ** (1 / 3), lo, hi))
    return par, d


def cutoff_b_factor(d_min_m: float, recipe, spread: float) -> float:
    """The Wilson B (m²) of data processed to ``d_min_m`` where, as crystallographers cut them,
    ⟨I/σ⟩ has fallen to about 2: ⟨I⟩(d_min) = I_c with I_c = 2 σ(I_c) for σ² = I + background,
    i.e. B = 2 d_min² ln(S / I_c), times ``spread`` (data sets differ around the rule), within the
    recipe's ``wilson_b_m2`` range. B drawn independently of d_min gave sets like B = 58 Å² to
    1.05 Å, pure noise beyond 2 Å, which no one would have processed that far."""
    s = recipe.intensity_scale
    i_cut = 2.0 + 2.0 * math.sqrt(1.0 + recipe.background * s)
    b = 2.0 * d_min_m**2 * math.log(s / i_cut) * spread
    return float(min(max(b, recipe.wilson_b_m2[0]), recipe.wilson_b_m2[1]))


def wilson_mean(d_m, epsilon, scale, b_m2):
    """⟨I⟩ = S ε exp(−B s²·2) with s = 1/2d, i.e. S ε exp(−B / 2d²)."""
    return scale * epsilon * np.exp(-b_m2 / (2.0 * np.asarray(d_m) ** 2))


def french_wilson(i_obs, sig_i, sigma_wilson, centric, n_nodes: int = 128, strong: float = 5.0):
    """Posterior mean and sd of F = √J given I ~ N(J, σ²) and the Wilson prior of J (mean Σ);
    French & Wilson, Acta Cryst. A34, 517 (1978).

    Quadrature on ``n_nodes`` midpoints of F over the window where the posterior lives: the
    likelihood's J ∈ [I − 8σ, I + 8σ], cut at the prior's own extent (J ≤ 50 Σ acentric, 100 Σ
    centric, beyond which the prior is below e⁻⁵⁰). The cut matters where the prior is much
    narrower than the likelihood (Σ ≪ σ): the posterior is then the prior, a width √Σ that nodes
    spread over √(I + 8σ) would miss. In F the prior is smooth (F e^(−F²/Σ) acentric, e^(−F²/2Σ)
    centric), so midpoints over the window converge fast (tested against a fine reference).
    Reflections with I ≥ ``strong`` σ, where the prior no longer matters, take the large-I/σ limit
    F = √I, σ(F) = σ / (2√I) (within 1 % of the quadrature there; tested).
    """
    i_obs, sig_i, sw = (np.asarray(x, dtype=float) for x in (i_obs, sig_i, sigma_wilson))
    centric = np.asarray(centric, dtype=bool)
    big = i_obs >= strong * sig_i
    if big.any() and strong < np.inf:
        mean = np.empty_like(i_obs)
        sd = np.empty_like(i_obs)
        root = np.sqrt(i_obs[big])
        mean[big], sd[big] = root, sig_i[big] / (2 * root)
        weak = ~big
        if weak.any():
            mean[weak], sd[weak] = french_wilson(i_obs[weak], sig_i[weak], sw[weak], centric[weak], n_nodes, np.inf)
        return mean, sd
    # the likelihood confines J to I ± 8σ, the prior to J ≲ 50 Σ (100 Σ centric): integrate over
    # both windows' overlap (over the likelihood's alone where I lies far out in the prior's tail)
    j_prior = np.where(centric, 100.0, 50.0) * sw
    j_lo = np.maximum(i_obs - 8.0 * sig_i, 0.0)
    j_hi = np.maximum(i_obs, 0.0) + 8.0 * sig_i
    j_hi = np.where(j_lo < j_prior, np.minimum(j_hi, j_prior), j_hi)
    f_lo, f_hi = np.sqrt(j_lo), np.sqrt(j_hi)
    t = (np.arange(n_nodes) + 0.5) / n_nodes
    F = f_lo[:, None] + (f_hi - f_lo)[:, None] * t[None, :]
    J = F * F
    log_prior = np.where(centric[:, None], -J / (2 * sw[:, None]), np.log(F + 1e-300) - J / sw[:, None])
    log_like = -0.5 * ((i_obs[:, None] - J) / sig_i[:, None]) ** 2
    lw = log_prior + log_like
    w = np.exp(lw - lw.max(axis=1, keepdims=True))
    z = w.sum(axis=1)
    mean = (w * F).sum(axis=1) / z
    var = np.maximum((w * J).sum(axis=1) / z - mean**2, 0.0)
    return mean, np.sqrt(var)


@dataclass
class MXDataset:
    space_group: str
    cell: tuple
    hkl: np.ndarray
    d_m: np.ndarray
    i_obs: np.ndarray
    sig_i: np.ndarray
    f_obs: np.ndarray
    sig_f: np.ndarray
    i_true: np.ndarray
    truth: np.ndarray  # DATASET_DTYPE record
    ranges: np.ndarray  # RANGE_DTYPE (25,)
    ice_reflections: np.ndarray  # ICE_REFLECTION_DTYPE: every reflection the ice changed or removed


@functools.lru_cache(maxsize=32)
def ice_lines(ice_type: str, cubicity: float, wavelength_m: float, d_min_m: float = 0.95 * ANGSTROM):
    """(1/d² (1/m²), relative intensity) of an ice type's powder lines, strongest = 1: ring heights
    m|G|² f_O² e^{−2Bs²} P / (sin θ sin 2θ) at ``wavelength_m`` (the ring-intensity model of AUSPEX's 'calc X', paper 003)."""
    from diffbench.physics.scattering_factors import element_factor

    inv, inten = [], []
    for phase, w in phase_weights(ice_type, cubicity).items():
        if w <= 0:
            continue
        for line in powder_lines(phase, d_min_m):
            s = 1 / (2 * line.d_m)
            th = math.asin(min(wavelength_m * s, 1.0))
            f = float(element_factor("O", np.array([4 * math.pi * s]), None).real[0])
            p = (1 + math.cos(2 * th) ** 2) / 2
            h = w * line.sum_g2 * f * f * math.exp(-2 * 1.5 * ANGSTROM2_M2 * s * s) * p / (math.sin(th) * math.sin(2 * th))
            inv.append(1 / line.d_m**2)
            inten.append(h / PHASES[phase].cell_volume_m3**2)
    inv, inten = np.array(inv), np.array(inten)
    return inv, inten / inten.max()


def simulate_dataset(recipe, seed: int, k: int) -> MXDataset:
    """Data set k of an MX recipe; depends only on (recipe, seed, k)."""
    import gemmi

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k, 0)))
    names = list(recipe.space_groups)
    p = np.array([recipe.space_groups[n] for n in names], dtype=float)
    sg_name = names[int(rng.choice(len(names), p=p / p.sum()))]
    sg = gemmi.SpaceGroup(sg_name)
    cell_par = random_cell(sg, recipe.cell_edge_m, rng)
    n_lo, n_hi = recipe.reflections
    # aim 2 % inside the count range: the secant steps land within about 1 % of the aim
    aim_lo = int(min(n_lo * 1.02, (n_lo + n_hi) / 2))
    n_target = int(rng.integers(aim_lo, max(int(n_hi / 1.02), aim_lo) + 1))
    d_range = (recipe.d_min_m[0] / ANGSTROM, recipe.d_min_m[1] / ANGSTROM)
    edge_range = (recipe.cell_edge_m[0] / ANGSTROM, recipe.cell_edge_m[1] / ANGSTROM)
    cell_par, d_min = fit_cell_and_resolution(sg, cell_par, d_range, n_target, edge_range)
    cell = gemmi.UnitCell(*cell_par)
    hkl = gemmi.make_miller_array(cell, sg, d_min)
    d = cell.calculate_d_array(hkl) * ANGSTROM
    ops = sg.operations()
    centric = np.asarray(ops.centric_flag_array(hkl), dtype=bool)
    eps = np.asarray(ops.epsilon_factor_array(hkl), dtype=float)
    b = cutoff_b_factor(d_min * ANGSTROM, recipe, rng.uniform(0.85, 1.15))
    mean_i = wilson_mean(d, eps, recipe.intensity_scale, b)
    n = len(hkl)
    z = rng.standard_normal(n)
    i_true = np.where(centric, mean_i * z * z, rng.exponential(1.0, n) * mean_i)
    bg = recipe.background * recipe.intensity_scale
    sig_i = np.sqrt(i_true + bg + (0.02 * i_true) ** 2)
    i_obs = i_true + sig_i * rng.standard_normal(n)

    # ---- ice
    ice = recipe.ice
    rng_ice = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k, 1)))
    has_ice = rng_ice.random() < ice.probability
    inv_d2 = 1.0 / d**2
    rr = np.asarray(AUSPEX_RANGES_INV_D2_A2) / ANGSTROM2_M2  # (25, 2) 1/d² in 1/m²
    in_res = rr[:, 0] < 1.0 / (d_min * ANGSTROM) ** 2  # the range starts inside the data
    ranges = np.zeros(N_RANGES, dtype=RANGE_DTYPE)
    ranges["dataset_index"] = k
    ranges["range_index"] = np.arange(N_RANGES)
    ranges["inv_d2_low_m2"], ranges["inv_d2_high_m2"] = rr[:, 0], rr[:, 1]
    ranges["in_resolution"] = in_res
    ranges["n_reflections"] = [int(((inv_d2 >= lo) & (inv_d2 <= hi)).sum()) for lo, hi in rr]
    keep = np.ones(n, dtype=bool)
    ice_type, mode, amp = "", "", 0.0
    ice_refl = np.zeros(0, dtype=ICE_REFLECTION_DTYPE)
    ice_in_ranges = float("nan")
    if has_ice:
        types = list(ice.types)
        pt = np.array([ice.types[t] for t in types], dtype=float)
        ice_type = types[int(rng_ice.choice(len(types), p=pt / pt.sum()))]
        modes = list(ice.modes)
        pm = np.array([ice.modes[m] for m in modes], dtype=float)
        mode = modes[int(rng_ice.choice(len(modes), p=pm / pm.sum()))]
        amp = float(math.exp(rng_ice.uniform(math.log(ice.amplitude[0]), math.log(ice.amplitude[1]))))
        acc_frac = rng_ice.uniform(*ice.accumulating_fraction)
        line_inv, line_rel = ice_lines(ice_type, ice.cubicity, recipe.wavelength_m)
        sig_w = ice.width_inv_d2_m2 / 2.354820045
        local_mean = recipe.intensity_scale * np.exp(-b / (2.0 * d**2))  # ⟨I⟩ without ε
        touched = np.zeros(n, dtype=bool)
        range_amp = np.zeros(N_RANGES)
        delta_i = np.zeros(n)  # what the lines did to each reflection's I (blank: what they would)
        in_range = [(inv_d2 >= lo) & (inv_d2 <= hi) for lo, hi in rr]
        u = rng_ice.random(n)
        for li, rel in zip(line_inv, line_rel):
            g = np.exp(-0.5 * ((inv_d2 - li) / sig_w) ** 2)
            near = g > 0.05
            if not near.any():
                continue
            a = amp * rel
            hit = near & (u < acc_frac) if mode == "accumulating" else near
            line = a * local_mean * g * hit  # this line's intensity on each reflection
            if mode == "blank":
                keep &= ~(g > 0.5)
                touched |= g > 0.5
            else:
                if mode == "over-subtraction":
                    i_obs = i_obs - line
                else:
                    i_obs = i_obs + line
                    sig_i = np.sqrt(sig_i**2 + line)
                touched |= hit
            delta_i += -line if mode == "over-subtraction" else line
            # a range holds the line where the line's intensity is, not where its centre is: ring
            # tails spill outside the narrow ranges, and some lines fall between them
            total = line.sum()
            if total > 0:
                frac = np.array([line[sel].sum() / total for sel in in_range])
                holds = frac >= LINE_FRACTION_LABEL
                range_amp[holds] = np.maximum(range_amp[holds], a)
        for r in range(N_RANGES):
            ranges["n_affected"][r] = int((in_range[r] & touched).sum())
        weight = np.abs(delta_i)
        total = weight.sum()
        if total > 0:
            ranges["ice_fraction"] = [weight[sel].sum() / total for sel in in_range]
            any_range = np.logical_or.reduce(in_range)
            ice_in_ranges = float(weight[any_range].sum() / total)
        injected = in_res & (range_amp > 0)
        ranges["ring_injected"] = injected
        ranges["ring_type"] = np.where(injected, ice_type, "")
        ranges["artefact_mode"] = np.where(injected, mode, "")
        ranges["amplitude"] = np.where(injected, range_amp, 0.0)
        ranges["blank"] = injected & (mode == "blank")
        frac_aff = ranges["n_affected"] / np.maximum(ranges["n_reflections"], 1)
        if mode == "blank":
            ranges["visible"] = injected & (ranges["n_affected"] >= 5)
        else:
            ranges["visible"] = injected & (range_amp >= ice.visible_amplitude) & (frac_aff >= 0.01)
        changed = np.flatnonzero((delta_i != 0) | ~keep)
        rows = np.cumsum(keep) - 1
        ice_refl = np.zeros(len(changed), dtype=ICE_REFLECTION_DTYPE)
        ice_refl["dataset_index"] = k
        ice_refl["row"] = np.where(keep[changed], rows[changed], -1)  # row in the MTZ file, -1: removed
        ice_refl["hkl"] = hkl[changed]
        ice_refl["inv_d2_m2"] = inv_d2[changed]
        ice_refl["delta_i"] = np.where(keep[changed], delta_i[changed], 0.0)
        ice_refl["removed"] = ~keep[changed]
    hkl, d, centric, eps, i_true, i_obs, sig_i, mean_i = (x[keep] for x in (hkl, d, centric, eps, i_true, i_obs,
                                                                            sig_i, mean_i))
    f_obs, sig_f = french_wilson(i_obs, sig_i, mean_i, centric)
    truth = np.zeros((), dtype=DATASET_DTYPE)
    truth["dataset_index"] = k
    truth["mtz_file"] = mtz_name(k)
    truth["space_group"] = sg.hm
    truth["cell"] = cell_par
    truth["d_min_m"] = float(d.min())
    truth["n_reflections"] = len(hkl)
    truth["wilson_b_m2"] = b
    truth["has_ice"] = has_ice
    truth["ice_type"] = ice_type
    truth["artefact_mode"] = mode
    truth["amplitude"] = amp
    truth["n_ranges_injected"] = int(ranges["ring_injected"].sum())
    truth["n_ranges_visible"] = int(ranges["visible"].sum())
    truth["label_ice"] = bool(ranges["visible"].any())
    truth["ice_in_ranges_fraction"] = ice_in_ranges
    return MXDataset(sg.hm, cell_par, hkl, d, i_obs, sig_i, f_obs, sig_f, i_true, truth, ranges, ice_refl)


def mtz_name(k: int) -> str:
    return f"dataset-{k:06d}.mtz"


def write_mtz(ds: MXDataset, path, wavelength_m: float, title: str = "diffbench"):
    """Write H K L I SIGI F SIGF with gemmi (MTZ column types H, J, Q, F, Q)."""
    import gemmi

    mtz = gemmi.Mtz(with_base=True)
    mtz.spacegroup = gemmi.SpaceGroup(ds.space_group)
    mtz.set_cell_for_all(gemmi.UnitCell(*ds.cell))
    mtz.title = title
    d = mtz.add_dataset("diffbench")
    d.project_name, d.crystal_name, d.wavelength = "diffbench", "xtal", wavelength_m / ANGSTROM
    for label, typ in (("I", "J"), ("SIGI", "Q"), ("F", "F"), ("SIGF", "Q")):
        mtz.add_column(label, typ)
    mtz.set_data(np.column_stack([ds.hkl, ds.i_obs, ds.sig_i, ds.f_obs, ds.sig_f]).astype(np.float32))
    mtz.history = [title]
    mtz.update_reso()
    mtz.write_to_file(str(path))


def mtz_dir(out) -> Path:
    """Where the MTZ files of index ``out`` live: ``OUT.mtz/`` beside it."""
    out = Path(out)
    return out.with_name(out.name + ".mtz")


def _simulate_block(recipe, seed: int, start: int, stop: int, directory: str):
    """Write MTZs [start, stop) into ``directory``; return their truth tables (process entry point)."""
    tables, ranges, ice = [], [], []
    for k in range(start, stop):
        ds = simulate_dataset(recipe, seed, k)
        write_mtz(ds, Path(directory) / mtz_name(k), recipe.wavelength_m)
        tables.append(ds.truth)
        ranges.append(ds.ranges)
        ice.append(ds.ice_reflections)
    return start, np.stack(tables), np.concatenate(ranges), np.concatenate(ice)


def write_mx(run) -> Path:
    """Write the MX run ``run`` (a :class:`diffbench.simulate.driver.Run`): ``run.n`` data sets as
    MTZ files in ``OUT.mtz/`` and an HDF5 index ``OUT`` with all truth.

    Written atomically: the MTZ folder and the index appear only when everything is complete.
    """
    import h5py

    from diffbench.io.cxi import write_table
    from diffbench.simulate.executors import LocalPool

    recipe, n, seed, workers, name = run.recipe, run.n, run.seed, run.workers, run.name
    out = Path(run.out)
    final_dir = mtz_dir(out)
    tmp_dir = Path(tempfile.mkdtemp(prefix="." + final_dir.name + ".", dir=out.parent if str(out.parent) else "."))
    try:
        with atomic_path(out) as tmp_index:
            block = max(1, min(50, n // max(workers, 1) // 4 or 1))
            bounds = [(s, min(n, s + block)) for s in range(0, n, block)]
            results = []
            with progress_bar(n, name, run.progress) as bar:
                task = bar.add_task(name, total=n) if bar else None
                if workers <= 1:
                    for a, b in bounds:
                        results.append(_simulate_block(recipe, seed, a, b, str(tmp_dir)))
                        if bar:
                            bar.advance(task, b - a)
                else:
                    pool = LocalPool(workers)
                    try:
                        futs = [pool.submit(_simulate_block, recipe, seed, a, b, str(tmp_dir)) for a, b in bounds]
                        for fut in pool.as_completed(futs):
                            results.append(fut.result())
                            if bar:
                                bar.advance(task, len(results[-1][1]))
                    finally:
                        pool.close()
            results.sort(key=lambda r: r[0])
            datasets = np.concatenate([r[1] for r in results])
            ranges = np.concatenate([r[2] for r in results])
            ice_reflections = np.concatenate([r[3] for r in results])
            with h5py.File(tmp_index, "w") as f:
                write_table(f.create_group("datasets"), datasets)
                write_table(f.create_group("ranges"), ranges)
                write_table(f.create_group("ice_reflections"), ice_reflections)
                f.attrs.update(run.provenance(
                    mtz_dir=final_dir.name, columns="H K L I SIGI F SIGF",
                    visibility_rule=f"a range holds a line when it holds >= {LINE_FRACTION_LABEL:.0%} of the "
                                    "line's injected intensity; visible if it holds one of amplitude >= "
                                    f"{recipe.ice.visible_amplitude} x <I> and >= 1 % of its reflections are "
                                    "touched (blank: >= 5 removed); label_ice = any visible range; "
                                    "ice_reflections: every reflection changed or removed",
                    units="SI (m, m^2); intensities in counts"))
            # the MTZ folder goes into place just before the index that points to it
            if final_dir.exists():
                shutil.rmtree(final_dir)
            os.replace(tmp_dir, final_dir)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    return out


def simulate_mx_to_file(name, recipe, raw, n: int, out, seed: int = 0, workers: int = 1, progress=None):
    """Deprecated (one release): use :func:`diffbench.simulate.driver.simulate_to_file`."""
    from diffbench import kinds
    from diffbench.simulate.driver import Run

    return write_mx(Run(name, kinds.of_recipe(raw), recipe, raw, n, Path(out), seed, None, "none", workers,
                        progress))

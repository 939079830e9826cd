"""Particle species at run time: their amplitude source (analytic or a cached reciprocal volume),
their point group, and how one particle of them is drawn.

Sizes are handled by q-scaling: a particle s times the reference size has F_s(q) = s³ F(s q), so
one volume serves a whole size distribution (the reference is the distribution's upper bound).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from diffbench.physics.materials import get_material
from diffbench.simulate.spi import kernels_api as K
from diffbench.simulate.spi.schema import SpeciesConfig, VolumeConfig
from diffbench.simulate.spi.shapes import (
    IcosahedralShell,
    Superball,
    superball_exponent,
    superball_volume,
)
from diffbench.simulate.spi.volume import cached, choose_dq, shape_volume

POINT_GROUPS = {"sphere": "SO(3)", "cube": "O", "melting-cube": "O", "icosahedral-virus": "I", "atomic": "C1"}


@dataclass
class Draw:
    """One particle of a species, as drawn (all SI)."""

    table_index: int
    scale: float
    amplitude: complex  # multiplies the table entry's amplitude (before √J)
    size_m: float
    diameter_m: float  # volume-equivalent sphere diameter
    shape_param: float
    bounding_radius_m: float


@dataclass
class RuntimeSpecies:
    name: str
    config: SpeciesConfig
    point_group: str
    entries: list = field(default_factory=list)  # indices into the species table

    def draw(self, rng: np.random.Generator) -> Draw:
        raise NotImplementedError


def build_species(name: str, cfg: SpeciesConfig, table: "K.SpeciesTable", q_max_m: float,
                  photon_energy_ev: float, anomalous: bool, volume_cfg: VolumeConfig,
                  use_cache: bool = True) -> RuntimeSpecies:
    """Prepare a species' amplitude source (volumes are built or loaded from the cache here)."""
    mat = get_material(cfg.material)
    density = mat.scattering_density(photon_energy_ev, anomalous)
    pg = cfg.point_group or POINT_GROUPS[cfg.shape]
    samples_per_fringe = volume_cfg.samples_per_fringe
    common = dict(photon_energy_ev=photon_energy_ev, anomalous=anomalous, spf=samples_per_fringe,
                  q_max_m=q_max_m)
    shape_interp = volume_cfg.shape_interpolation
    # shape volumes' cache keys name their interpolation (trilinear keys stay as they were)
    shape_common = dict(common, interpolation=shape_interp, oversampling=volume_cfg.shape_oversampling) \
        if shape_interp == "bspline3" else common

    def shape_dq(diameter_m: float) -> float:
        """Grid step of a shape volume: Δq = 2π/(σ D) for B-spline coefficients, else per samples_per_fringe."""
        return choose_dq(diameter_m, volume_cfg.shape_oversampling if shape_interp == "bspline3" else samples_per_fringe)

    if cfg.shape in ("sphere", "cube"):
        ref = cfg.size_m.upper
        kind = K.KIND_SPHERE if cfg.shape == "sphere" else K.KIND_CUBE
        idx = table.add_analytic(kind, ref)
        vol_of = (lambda d: math.pi / 6 * d**3) if cfg.shape == "sphere" else (lambda a: a**3)
        bound = (lambda d: d / 2) if cfg.shape == "sphere" else (lambda a: a * math.sqrt(3) / 2)

        class _S(RuntimeSpecies):
            def draw(self, rng):
                size = cfg.size_m.sample(rng)
                s = size / ref
                d_eq = (6.0 * vol_of(size) / math.pi) ** (1 / 3)
                return Draw(idx, s, density * s**3, size, d_eq, float("nan"), bound(size))

        return _S(name, cfg, pg, [idx])

    if cfg.shape == "melting-cube":
        ref = cfg.size_m.upper
        levels = np.linspace(0.0, 1.0, cfg.melt_levels)
        g = cfg.volume_growth
        bound_ref = ref * math.sqrt(3) / 2  # the cube's half-diagonal bounds every level
        dq = shape_dq(2 * bound_ref)
        entries = []
        for m in levels:
            p = superball_exponent(float(m))
            v = ref**3 * (1 + g * m)
            a = (v / superball_volume(1.0, p)) ** (1 / 3)
            shape = Superball(a, float(m), density=density / (1 + g * m))  # mass conserved
            params = dict(kind="superball", half_size_m=a, melt=float(m), density=[density.real / (1 + g * m),
                          density.imag / (1 + g * m)], dq=dq, **shape_common)
            vol = cached(params, lambda: shape_volume(shape, q_max_m, dq, interpolation=shape_interp), use_cache)
            entries.append(table.add_volume(vol))
        melt_dist = cfg.melt

        class _M(RuntimeSpecies):
            def draw(self, rng):
                size = cfg.size_m.sample(rng)
                melt = melt_dist.sample(rng) if melt_dist is not None else 0.0
                li = int(round(melt * (len(levels) - 1)))
                melt_sim = float(levels[li])  # the truth is the level actually simulated
                s = size / ref
                d_eq = (6.0 * size**3 * (1 + g * melt_sim) / math.pi) ** (1 / 3)
                return Draw(entries[li], s, complex(s**3), size, d_eq, melt_sim, size * math.sqrt(3) / 2)

        return _M(name, cfg, pg, entries)

    if cfg.shape == "icosahedral-virus":
        ref = cfg.size_m.upper
        inner = get_material(cfg.inner_material or cfg.material).scattering_density(photon_energy_ev, anomalous)
        shape = IcosahedralShell(ref / 2, cfg.shell_thickness_m, shell_density=density, inner_density=inner)
        dq = shape_dq(ref)
        params = dict(kind="icosahedral-shell", circumradius_m=ref / 2, shell_m=cfg.shell_thickness_m,
                      shell=[density.real, density.imag], inner=[inner.real, inner.imag], dq=dq, **shape_common)
        vol = cached(params, lambda: shape_volume(shape, q_max_m, dq, interpolation=shape_interp), use_cache)
        idx = table.add_volume(vol)
        v_ref = shape.volume_m3()

        class _V(RuntimeSpecies):
            def draw(self, rng):
                size = cfg.size_m.sample(rng)
                s = size / ref
                d_eq = (6.0 * v_ref * s**3 / math.pi) ** (1 / 3)
                return Draw(idx, s, complex(s**3), size, d_eq, float("nan"), size / 2)

        return _V(name, cfg, pg, [idx])

    if cfg.shape == "atomic":
        from diffbench.simulate.spi.atomic import (
            atomic_numbers,
            atomic_volume,
            load_structure_cached,
            resolve_structure_path,
        )

        path = resolve_structure_path(cfg.structure)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        model = load_structure_cached(path, cfg.assembly, digest, use_cache)
        diameter = 2 * model.max_radius_m
        interp = volume_cfg.atomic_interpolation
        # B-spline coefficients: Δq = 2π/(σ D); trilinear samples: samples_per_fringe per fringe
        dq = choose_dq(diameter, volume_cfg.atomic_oversampling if interp == "bspline3" else samples_per_fringe)
        params = dict(kind="atomic", sha256=digest, assembly=cfg.assembly, dq=dq, interpolation=interp, **common)
        energy = photon_energy_ev if anomalous else None
        vol = cached(params, lambda: atomic_volume(model, q_max_m, dq, energy, interpolation=interp), use_cache)
        idx = table.add_volume(vol)
        w = atomic_numbers(model.elements) * model.occupancy
        rg = math.sqrt(float((w * (model.positions_m**2).sum(1)).sum() / w.sum()))
        d_eq = 2 * math.sqrt(5 / 3) * rg  # sphere of the same radius of gyration

        radius = model.max_radius_m

        class _A(RuntimeSpecies):
            def draw(self, rng):
                return Draw(idx, 1.0, complex(1.0), diameter, d_eq, float("nan"), radius)

        sp = _A(name, cfg, pg, [idx])
        sp.model = model
        return sp

    raise ValueError(f"unknown shape {cfg.shape!r}")

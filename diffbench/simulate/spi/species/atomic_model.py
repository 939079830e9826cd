"""Atomic models (``shape: atomic``): a PDB/mmCIF ``structure`` and its biological assembly, as a
cached reciprocal volume of the atoms' amplitudes; the size is the model's own."""

from __future__ import annotations

import hashlib
import math

from diffbench.simulate.spi.species.base import Draw, Species, register
from diffbench.simulate.spi.volume import cached, choose_dq


@register
class AtomicModel(Species):
    shape = "atomic"
    point_group = "C1"

    def __init__(self, name, config, point_group, entries, model, equivalent_diameter_m: float):
        super().__init__(name, config, point_group, entries)
        self.model = model  # the AtomModel, centred
        self.radius_m = model.max_radius_m
        self.equivalent_diameter_m = equivalent_diameter_m

    @classmethod
    def build(cls, name, cfg, ctx):
        from diffbench.simulate.spi.atomic import (
            atomic_numbers,
            atomic_volume,
            load_structure_cached,
            resolve_structure_path,
        )

        path = resolve_structure_path(cfg.structure)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        model = load_structure_cached(path, cfg.assembly, digest, ctx.use_cache)
        diameter = 2 * model.max_radius_m
        v = ctx.volume
        interp = v.atomic_interpolation
        # B-spline coefficients: Δq = 2π/(σ D); trilinear samples: samples_per_fringe per fringe
        dq = choose_dq(diameter, v.atomic_oversampling if interp == "bspline3" else v.samples_per_fringe)
        params = dict(kind="atomic", sha256=digest, assembly=cfg.assembly, dq=dq, interpolation=interp,
                      **ctx.cache_params)
        energy = ctx.photon_energy_ev if ctx.anomalous else None
        vol = cached(params, lambda: atomic_volume(model, ctx.q_max_m, dq, energy, interpolation=interp),
                     ctx.use_cache, label=f"the {name} atomic-model ({len(model.elements):,} atoms)")
        w = atomic_numbers(model.elements) * model.occupancy
        rg = math.sqrt(float((w * (model.positions_m**2).sum(1)).sum() / w.sum()))
        d_eq = 2 * math.sqrt(5 / 3) * rg  # sphere of the same radius of gyration
        return cls(name, cfg, cfg.point_group or cls.point_group, [ctx.table.add_volume(vol)], model, d_eq)

    def max_bounding_radius_m(self) -> float:
        return self.radius_m

    def draw(self, rng):
        r = self.radius_m
        return Draw(self.entries[0], 1.0, complex(1.0), 2 * r, self.equivalent_diameter_m, float("nan"), r)

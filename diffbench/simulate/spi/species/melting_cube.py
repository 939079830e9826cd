"""Cubes melting into spheres (``shape: melting-cube``, paper 001): superballs between a cube
(melt 0) and a sphere (melt 1), volume growing by ``volume_growth`` with mass conserved; one cached
volume per melt level, the truth records the level actually simulated."""

from __future__ import annotations

import math

import numpy as np

from diffbench.simulate.spi.shapes import Superball, superball_exponent, superball_volume
from diffbench.simulate.spi.species.base import Draw, Species, register
from diffbench.simulate.spi.volume import cached, shape_volume


def melted_superball(size_m: float, melt: float, volume_growth: float, density: complex = 1.0) -> Superball:
    """The superball of a cube of edge ``size_m`` at ``melt`` in [0, 1]: volume size³ (1 + g·melt),
    density lowered so that its mass is the cube's."""
    p = superball_exponent(melt)
    v = size_m**3 * (1 + volume_growth * melt)
    a = (v / superball_volume(1.0, p)) ** (1 / 3)
    return Superball(a, melt, density=density / (1 + volume_growth * melt))


@register
class MeltingCube(Species):
    shape = "melting-cube"
    point_group = "O"

    def __init__(self, name, config, point_group, entries, reference_m: float, levels: np.ndarray):
        super().__init__(name, config, point_group, entries)
        self.reference_m = reference_m  # the edge the volumes are for
        self.levels = levels  # melt of each entry

    @classmethod
    def build(cls, name, cfg, ctx):
        ref = cfg.size_m.upper
        levels = np.linspace(0.0, 1.0, cfg.melt_levels)
        g = cfg.volume_growth
        density = ctx.density(cfg.material)
        bound_ref = ref * math.sqrt(3) / 2  # the cube's half-diagonal bounds every level
        dq = ctx.shape_dq(2 * bound_ref)
        entries = []
        for i, m in enumerate(levels):
            shape = melted_superball(ref, float(m), g, density)
            params = dict(kind="superball", half_size_m=shape.half_size_m, melt=float(m),
                          density=[density.real / (1 + g * m), density.imag / (1 + g * m)], dq=dq,
                          **ctx.shape_cache_params)
            vol = cached(params, lambda: shape_volume(shape, ctx.q_max_m, dq, interpolation=ctx.shape_interpolation),
                         ctx.use_cache, label=f"the {name} melt level {i + 1}/{len(levels)}")
            entries.append(ctx.table.add_volume(vol))
        return cls(name, cfg, cfg.point_group or cls.point_group, entries, ref, levels)

    def max_bounding_radius_m(self) -> float:
        return self.config.size_m.upper * math.sqrt(3) / 2

    def draw(self, rng):
        cfg = self.config
        size = cfg.size_m.sample(rng)
        melt = cfg.melt.sample(rng) if cfg.melt is not None else 0.0
        li = int(round(melt * (len(self.levels) - 1)))
        melt_sim = float(self.levels[li])  # the truth is the level actually simulated
        s = size / self.reference_m
        d_eq = (6.0 * size**3 * (1 + cfg.volume_growth * melt_sim) / math.pi) ** (1 / 3)
        return Draw(self.entries[li], s, complex(s**3), size, d_eq, melt_sim, size * math.sqrt(3) / 2)

    @classmethod
    def real_space(cls, row, cfg):
        m = float(row["shape_param"]) if np.isfinite(row["shape_param"]) else 0.0
        return Superball(melted_superball(float(row["size_m"]), m, cfg.volume_growth).half_size_m, m)

    @classmethod
    def bounding_radius_m(cls, row, cfg) -> float:
        return float(cls.real_space(row, cfg).extent_m * math.sqrt(3))

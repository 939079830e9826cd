"""Icosahedral viruses (``shape: icosahedral-virus``; size = vertex-to-vertex diameter): a capsid
shell of ``shell_thickness_m`` in ``material`` around an interior of ``inner_material``."""

from __future__ import annotations

import math

from diffbench.simulate.spi.shapes import IcosahedralShell
from diffbench.simulate.spi.species.base import Draw, Species, register
from diffbench.simulate.spi.volume import cached, shape_volume


@register
class IcosahedralVirus(Species):
    shape = "icosahedral-virus"
    point_group = "I"

    def __init__(self, name, config, point_group, entries, reference_m: float, reference_volume_m3: float):
        super().__init__(name, config, point_group, entries)
        self.reference_m = reference_m  # the diameter the volume is for
        self.reference_volume_m3 = reference_volume_m3

    @classmethod
    def build(cls, name, cfg, ctx):
        ref = cfg.size_m.upper
        density = ctx.density(cfg.material)
        inner = ctx.density(cfg.inner_material or cfg.material)
        shape = IcosahedralShell(ref / 2, cfg.shell_thickness_m, shell_density=density, inner_density=inner)
        dq = ctx.shape_dq(ref)
        params = dict(kind="icosahedral-shell", circumradius_m=ref / 2, shell_m=cfg.shell_thickness_m,
                      shell=[density.real, density.imag], inner=[inner.real, inner.imag], dq=dq,
                      **ctx.shape_cache_params)
        vol = cached(params, lambda: shape_volume(shape, ctx.q_max_m, dq, interpolation=ctx.shape_interpolation),
                     ctx.use_cache)
        return cls(name, cfg, cfg.point_group or cls.point_group, [ctx.table.add_volume(vol)], ref, shape.volume_m3())

    def draw(self, rng):
        size = self.config.size_m.sample(rng)
        s = size / self.reference_m
        d_eq = (6.0 * self.reference_volume_m3 * s**3 / math.pi) ** (1 / 3)
        return Draw(self.entries[0], s, complex(s**3), size, d_eq, float("nan"), size / 2)

    @classmethod
    def real_space(cls, row, cfg):
        size = float(row["size_m"])
        s = size / cfg.size_m.upper
        return IcosahedralShell(size / 2, cfg.shell_thickness_m * s, 1.0, 0.5)  # relative densities

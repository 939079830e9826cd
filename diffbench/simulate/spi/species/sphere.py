"""Homogeneous spheres (``shape: sphere``; size = diameter): an analytic amplitude, no volume."""

from __future__ import annotations

import math

from diffbench.simulate.spi import kernels_api as K
from diffbench.simulate.spi.shapes import Sphere as SphereShape
from diffbench.simulate.spi.species.base import Draw, Species, register


@register
class Sphere(Species):
    shape = "sphere"
    point_group = "SO(3)"
    kernel_kind = K.KIND_SPHERE

    def __init__(self, name, config, point_group, entries, reference_m: float, density: complex):
        super().__init__(name, config, point_group, entries)
        self.reference_m = reference_m  # the size the table entry is for
        self.density = density

    @classmethod
    def build(cls, name, cfg, ctx):
        ref = cfg.size_m.upper
        return cls(name, cfg, cfg.point_group or cls.point_group, [ctx.table.add_analytic(cls.kernel_kind, ref)],
                   ref, ctx.density(cfg.material))

    @staticmethod
    def volume_m3(size_m: float) -> float:
        return math.pi / 6 * size_m**3

    @staticmethod
    def bound_m(size_m: float) -> float:
        return size_m / 2

    def max_bounding_radius_m(self) -> float:
        return self.bound_m(self.config.size_m.upper)

    def draw(self, rng):
        size = self.config.size_m.sample(rng)
        s = size / self.reference_m
        d_eq = (6.0 * self.volume_m3(size) / math.pi) ** (1 / 3)
        return Draw(self.entries[0], s, self.density * s**3, size, d_eq, float("nan"), self.bound_m(size))

    @classmethod
    def real_space(cls, row, cfg):
        return SphereShape(float(row["size_m"]) / 2)

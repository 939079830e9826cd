"""Homogeneous cubes (``shape: cube``; size = edge): an analytic amplitude, no volume."""

from __future__ import annotations

import math

from diffbench.simulate.spi import kernels_api as K
from diffbench.simulate.spi.shapes import Superball
from diffbench.simulate.spi.species.base import register
from diffbench.simulate.spi.species.sphere import Sphere


@register
class Cube(Sphere):
    shape = "cube"
    point_group = "O"
    kernel_kind = K.KIND_CUBE

    @staticmethod
    def volume_m3(size_m: float) -> float:
        return size_m**3

    @staticmethod
    def bound_m(size_m: float) -> float:
        return size_m * math.sqrt(3) / 2  # half the space diagonal

    @classmethod
    def real_space(cls, row, cfg):
        return Superball(float(row["size_m"]) / 2, 0.0)

    @classmethod
    def bounding_radius_m(cls, row, cfg) -> float:
        return cls.bound_m(float(row["size_m"]))

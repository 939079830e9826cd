"""Icosahedral viruses (``shape: icosahedral-virus``; size = vertex-to-vertex diameter): a capsid
shell of ``shell_thickness_m`` in ``material`` around an interior of ``inner_material``.

The shell is absolute: a 50 nm and a 90 nm particle both have a shell of ``shell_thickness_m``.
Amplitudes are q-scaled from the nearest of a ladder of reference volumes (size levels spaced by
(1 + ``shell_tolerance``)², each with the absolute shell), so the shell of a drawn particle is
within ``shell_tolerance`` of its nominal thickness; one volume q-scaled over the whole size range
would thin a 65 nm particle's 5 nm shell to 3.4 nm.
"""

from __future__ import annotations

import math

import numpy as np

from diffbench.simulate.spi.shapes import IcosahedralShell
from diffbench.simulate.spi.species.base import Draw, Species, register
from diffbench.simulate.spi.volume import cached, shape_volume


def size_levels(low_m: float, high_m: float, tolerance: float) -> np.ndarray:
    """Reference diameters from ``high_m`` down, spaced by ρ = (1 + tolerance)², reaching ``low_m``:
    every size in [low, high] lies within a factor ρ^{±1/2} of its nearest level."""
    rho = (1.0 + tolerance) ** 2
    n = int(math.ceil(math.log(high_m / low_m) / math.log(rho) - 1e-9)) + 1 if high_m > low_m else 1
    return high_m * rho ** -np.arange(n)


@register
class IcosahedralVirus(Species):
    shape = "icosahedral-virus"
    point_group = "I"

    def __init__(self, name, config, point_group, entries, levels_m: np.ndarray, level_volumes_m3: np.ndarray):
        super().__init__(name, config, point_group, entries)
        self.levels_m = levels_m  # the reference diameter of each entry
        self.level_volumes_m3 = level_volumes_m3
        self._log_rho = math.log((1.0 + config.shell_tolerance) ** 2)

    @classmethod
    def build(cls, name, cfg, ctx):
        density = ctx.density(cfg.material)
        inner = ctx.density(cfg.inner_material or cfg.material)
        levels = size_levels(cfg.size_m.lower, cfg.size_m.upper, cfg.shell_tolerance)
        # a particle up to ρ^{1/2} = 1 + tolerance larger than its level reads its volume that far out
        q_max = ctx.q_max_m * (1.0 + cfg.shell_tolerance)
        entries, volumes = [], []
        for i, ref in enumerate(levels):
            shape = IcosahedralShell(ref / 2, cfg.shell_thickness_m, shell_density=density, inner_density=inner)
            dq = ctx.shape_dq(ref)
            params = dict(kind="icosahedral-shell", circumradius_m=ref / 2, shell_m=cfg.shell_thickness_m,
                          shell=[density.real, density.imag], inner=[inner.real, inner.imag], dq=dq,
                          **dict(ctx.shape_cache_params, q_max_m=q_max))
            vol = cached(params, lambda: shape_volume(shape, q_max, dq, interpolation=ctx.shape_interpolation),
                         ctx.use_cache, label=f"the {name} size level {i + 1}/{len(levels)} ({ref * 1e9:.1f} nm)")
            entries.append(ctx.table.add_volume(vol))
            volumes.append(shape.volume_m3())
        return cls(name, cfg, cfg.point_group or cls.point_group, entries, levels, np.array(volumes))

    def level_of(self, size_m: float) -> int:
        """The entry whose reference diameter is nearest ``size_m`` (in log size)."""
        k = int(round(math.log(self.levels_m[0] / size_m) / self._log_rho))
        return min(max(k, 0), len(self.levels_m) - 1)

    def max_bounding_radius_m(self) -> float:
        return self.config.size_m.upper / 2

    def draw(self, rng):
        size = self.config.size_m.sample(rng)
        k = self.level_of(size)
        s = size / self.levels_m[k]
        d_eq = (6.0 * self.level_volumes_m3[k] * s**3 / math.pi) ** (1 / 3)
        return Draw(self.entries[k], s, complex(s**3), size, d_eq, float("nan"), size / 2)

    @classmethod
    def real_space(cls, row, cfg):
        return IcosahedralShell(float(row["size_m"]) / 2, cfg.shell_thickness_m, 1.0, 0.5)  # relative densities

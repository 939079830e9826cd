"""What every particle shape provides, and the registry of shapes.

A shape family (sphere, cube, melting cube, icosahedral virus, atomic model) is one class: it
builds a recipe species' amplitude source once (an analytic entry or cached reciprocal volumes in
the species table), draws one particle of it per hit, and tells the viewer what the particle looks
like in real space. The recipe's ``shape:`` names the family (:func:`get_shape`).

Sizes are handled by q-scaling: a particle s times the reference size has F_s(q) = s³ F(s q), so
one volume serves a whole size distribution (the reference is the distribution's upper bound).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from diffbench.physics.materials import get_material
from diffbench.simulate.spi.volume import choose_dq


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


@dataclass(frozen=True)
class BuildContext:
    """What building a species' amplitude source needs beyond its own config.

    table : the :class:`~diffbench.simulate.spi.kernels_api.SpeciesTable` entries are added to.
    q_max_m : the largest |q| (1/m) any pixel reaches. photon_energy_ev, anomalous : for the
    scattering densities. volume : the recipe's :class:`VolumeConfig`. use_cache : load/store
    volumes in the disk cache.
    """

    table: object
    q_max_m: float
    photon_energy_ev: float
    anomalous: bool
    volume: object
    use_cache: bool = True

    def density(self, material: str) -> complex:
        """Scattering density of a named material at this energy (electrons/m³)."""
        return get_material(material).scattering_density(self.photon_energy_ev, self.anomalous)

    @property
    def cache_params(self) -> dict:
        """Cache-key parameters every volume shares."""
        return dict(photon_energy_ev=self.photon_energy_ev, anomalous=self.anomalous,
                    spf=self.volume.samples_per_fringe, q_max_m=self.q_max_m)

    @property
    def shape_interpolation(self) -> str:
        return self.volume.shape_interpolation

    @property
    def shape_cache_params(self) -> dict:
        """Cache-key parameters of shape volumes (trilinear keys stay as they were)."""
        if self.shape_interpolation == "bspline3":
            return dict(self.cache_params, interpolation="bspline3", oversampling=self.volume.shape_oversampling)
        return self.cache_params

    def shape_dq(self, diameter_m: float) -> float:
        """Grid step of a shape volume: Δq = 2π/(σ D) for B-spline coefficients, else per
        samples_per_fringe."""
        v = self.volume
        return choose_dq(diameter_m, v.shape_oversampling if self.shape_interpolation == "bspline3"
                         else v.samples_per_fringe)


class Species:
    """A recipe species at run time: its table entries, point group, and how one particle is drawn.

    Subclasses are the shape families; they set ``shape`` (the recipe's name for it) and
    ``point_group`` (the default symmetry) and implement :meth:`build` and :meth:`draw`.
    """

    shape: ClassVar[str]
    point_group: str = "C1"

    def __init__(self, name: str, config, point_group: str, entries: list[int]):
        self.name = name
        self.config = config
        self.point_group = point_group
        self.entries = entries

    @classmethod
    def build(cls, name: str, cfg, ctx: BuildContext) -> "Species":
        """Prepare the species' amplitude source (volumes are built or loaded from the cache)."""
        raise NotImplementedError

    def draw(self, rng: np.random.Generator) -> Draw:
        """One particle: its table entry, size scale and truth."""
        raise NotImplementedError

    def max_bounding_radius_m(self) -> float:
        """The largest bounding radius (m) a particle of this species can have."""
        raise NotImplementedError

    @classmethod
    def real_space(cls, row, cfg):
        """The particle of a truth row as a :mod:`~diffbench.simulate.spi.shapes` object (relative
        densities, for pictures), or None where the family has no analytic shape (atomic models)."""
        return None

    @classmethod
    def bounding_radius_m(cls, row, cfg) -> float:
        """Radius (m) of a sphere about the particle's centre that holds all of it (viewer)."""
        return float(cls.real_space(row, cfg).extent_m)


SHAPES: dict[str, type[Species]] = {}


def register(cls: type[Species]) -> type[Species]:
    """Class decorator: add a shape family under its ``shape`` name (names are unique)."""
    if cls.shape in SHAPES:
        raise ValueError(f"a shape named {cls.shape!r} is already registered")
    SHAPES[cls.shape] = cls
    return cls


def get_shape(name: str) -> type[Species]:
    """The shape family called ``name``."""
    try:
        return SHAPES[name]
    except KeyError:
        raise ValueError(f"unknown shape {name!r}; known: {', '.join(sorted(SHAPES))}") from None

"""Recipe schema of single-particle-imaging runs (``kind: spi``): species, hits, injection,
background and rings, on the shared beam, detector and distribution pieces of
:mod:`diffbench.recipes.schema`.

Unknown keys are rejected and every error names its dotted path and bad value, before anything is
computed or written. Sizes are in metres, energies in eV or J as named.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from diffbench.recipes.schema import (  # noqa: F401  (BeamConfig, DetectorConfig, ...: their old import path)
    BackgroundConfig,
    BeamConfig,
    Between,
    DetectorConfig,
    DetectorEffectsConfig,
    Distribution,
    Fixed,
    Mixture,
    MixtureComponent,
    NonNeg,
    Normal,
    Positive,
    Strict,
    Uniform,
    as_distribution,
    format_validation_error,
)


class SpeciesConfig(Strict):
    """One particle species.

    shape: ``sphere`` (size = diameter), ``cube`` (size = edge), ``melting-cube`` (size = edge of
    the cube at melt 0; ``melt`` in [0, 1] goes to a sphere, volume growing by ``volume_growth``
    with mass conserved), ``icosahedral-virus`` (size = vertex-to-vertex diameter; capsid of
    ``shell_thickness_m`` in ``material``, interior in ``inner_material``), ``atomic`` (a PDB/mmCIF
    ``structure``; size fixed by the model).
    """

    shape: Literal["sphere", "cube", "melting-cube", "icosahedral-virus", "atomic"]
    material: str = "protein"
    size_m: Distribution | None = None
    melt: Distribution | None = None
    melt_levels: Annotated[int, Field(ge=2, le=257)] = 33
    volume_growth: Annotated[float, Field(ge=0, le=1)] = 0.10
    shell_thickness_m: Positive | None = None
    #: icosahedral viruses: the shell is ``shell_thickness_m`` at every size to within this relative
    #: error (one volume per size level, levels spaced by (1 + tolerance)²)
    shell_tolerance: Annotated[float, Field(gt=0, le=0.5)] = 0.02
    inner_material: str | None = None
    structure: str | None = None
    assembly: str | None = "first"
    point_group: str | None = None

    _fix_size = field_validator("size_m", "melt", mode="before")(lambda cls, v: as_distribution(v))

    @field_validator("material", "inner_material")
    @classmethod
    def _material(cls, v):
        from diffbench.physics.materials import MATERIALS

        if v is not None and v not in MATERIALS:
            raise ValueError(f"unknown material {v!r}; known: {', '.join(sorted(MATERIALS))}")
        return v

    @field_validator("structure")
    @classmethod
    def _structure_file(cls, v):
        from diffbench.simulate.spi.atomic import resolve_structure_path

        if v is not None:
            try:
                path = resolve_structure_path(v)
            except FileNotFoundError as exc:
                raise ValueError(str(exc)) from None
            if not path.is_file():
                raise ValueError(f"file not found: {v!r}")
        return v

    @field_validator("size_m", mode="after")
    @classmethod
    def _positive_size(cls, v):
        if v is not None and v.lower <= 0:
            raise ValueError(f"must be > 0 everywhere, got lower bound {v.lower}")
        if v is not None and v.upper > 2e-6:  # single-particle imaging: nanometres to a micron or two
            raise ValueError(f"must be at most 2e-6 m (a single particle), got upper bound {v.upper}")
        return v

    @model_validator(mode="after")
    def _needs(self):
        if self.shape == "atomic":
            if not self.structure:
                raise ValueError("shape 'atomic' needs a 'structure' file")
        else:
            if self.size_m is None:
                raise ValueError(f"shape {self.shape!r} needs 'size_m'")
        if self.shape == "icosahedral-virus" and self.shell_thickness_m is None:
            raise ValueError("shape 'icosahedral-virus' needs 'shell_thickness_m'")
        if self.melt is not None and not (0 <= self.melt.lower and self.melt.upper <= 1):
            raise ValueError(f"melt must lie in [0, 1], got [{self.melt.lower}, {self.melt.upper}]")
        return self


class CountRange(Strict):
    """Number of particles, uniform on the integers [min, max]."""

    min: Annotated[int, Field(ge=1)] = 2
    max: Annotated[int, Field(ge=1)] = 2

    @model_validator(mode="after")
    def _order(self):
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must be >= min ({self.min})")
        return self


class HitsConfig(Strict):
    """Shot classes and their fractions (summing to 1), and how multi-particle shots are built.

    classes : the fraction of shots of each class; they must sum to 1 (a fraction that silently
        became another after normalisation would make the recipe's promise untrue).
    contaminants : the relative weights of the contaminant species (normalised).

    Classes: empty (no particle), single (one target particle), multiple (several target
    particles at independent positions, or at ``separation_m`` from the first), aggregate
    (target particles touching), contaminant (contaminants only), mixed (one target particle plus
    contaminants).
    """

    classes: dict[Literal["empty", "single", "multiple", "aggregate", "contaminant", "mixed"], NonNeg]
    multiple: CountRange = CountRange(min=2, max=3)
    aggregate: CountRange = CountRange(min=2, max=4)
    contaminant: CountRange = CountRange(min=1, max=2)
    separation_m: tuple[Positive, Positive] | None = None
    contaminants: dict[str, Positive] = {}

    @model_validator(mode="after")
    def _weights(self):
        total = sum(self.classes.values())
        if total <= 0:
            raise ValueError("the class fractions must not all be zero")
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"the class fractions sum to {total:.6g}, not 1: each is the share of shots of that "
                             f"class (e.g. {{single: 0.5, empty: 0.5}})")
        if self.separation_m and self.separation_m[1] < self.separation_m[0]:
            raise ValueError(f"separation_m must be [low, high], got {self.separation_m}")
        return self


class InjectionConfig(Strict):
    """Where particles sit: transverse (x, y) uniform in a disk of ``hit_diameter_m`` around the
    beam axis, along z uniform in ±``depth_m``/2."""

    hit_diameter_m: Between(0.0, 1e-3) = 1.0e-6
    depth_m: Between(0.0, 1e-3) = 2.0e-6


class HaloConfig(Strict):
    """One amorphous halo: centre d (m), FWHM in |q| (1/m) and the peak height added to S(q)."""

    d_m: Positive
    fwhm_q_m: Positive
    height: NonNeg


class IceLayerConfig(Strict):
    """Crystalline ice powder in the beam (frozen solvent, ice on the jet or the aperture).

    With ``probability`` a shot contains ice; its type is drawn from ``ice_types`` (Isd mixes the Ih
    and Ic line sets by ``cubicity``). ``thickness_m`` is the thickness of an equivalent uniform
    layer across the whole beam (illuminated volume / beam area), so the ring photons are
    N_photons · t · dσ/dΩ per m³ · dΩ. Ring widths: Scherrer width of ``crystallite_size_m`` in
    quadrature with ``instrument_fwhm_q_m``. ``line_scale`` multiplies single lines, keyed by d in
    Å written as text (e.g. ``{"3.67": 0.0}`` removes the Ih (100) line).
    """

    probability: Annotated[float, Field(ge=0, le=1)] = 1.0
    ice_types: dict[Literal["Ih", "Ic", "Isd"], NonNeg] = {"Ih": 1.0}
    cubicity: Annotated[float, Field(ge=0, le=1)] = 0.5
    thickness_m: Distribution
    crystallite_size_m: Positive = 50e-9
    instrument_fwhm_q_m: NonNeg = 0.0
    line_scale: dict[str, NonNeg] = {}

    _fix = field_validator("thickness_m", mode="before")(lambda cls, v: as_distribution(v))

    @field_validator("line_scale")
    @classmethod
    def _d_keys(cls, v):
        for k in v:
            try:
                d = float(k)
            except ValueError:
                raise ValueError(f"line_scale key {k!r} is not a d-spacing in Å") from None
            if not 0.5 < d < 20:
                raise ValueError(f"line_scale key {k!r}: d must be in (0.5, 20) Å")
        return v

    @model_validator(mode="after")
    def _check(self):
        if sum(self.ice_types.values()) <= 0:
            raise ValueError("ice_types: the weights must not all be zero")
        if self.thickness_m.lower < 0:
            raise ValueError(f"thickness_m must be >= 0 everywhere, got lower bound {self.thickness_m.lower}")
        return self


class AmorphousLayerConfig(Strict):
    """An amorphous layer in the beam (liquid-jet water, vitreous ice, a carbon film): halos of
    ``material`` (rings.AMORPHOUS), optionally with its ``halos`` replaced; thickness as for ice."""

    material: str
    probability: Annotated[float, Field(ge=0, le=1)] = 1.0
    thickness_m: Distribution
    halos: list[HaloConfig] | None = None

    _fix = field_validator("thickness_m", mode="before")(lambda cls, v: as_distribution(v))

    @field_validator("material")
    @classmethod
    def _known(cls, v):
        from diffbench.physics.rings import AMORPHOUS

        if v not in AMORPHOUS:
            raise ValueError(f"unknown amorphous material {v!r}; known: {', '.join(sorted(AMORPHOUS))}")
        return v

    @model_validator(mode="after")
    def _check(self):
        if self.thickness_m.lower < 0:
            raise ValueError(f"thickness_m must be >= 0 everywhere, got lower bound {self.thickness_m.lower}")
        return self


class RingsConfig(Strict):
    """Rings added to the particle signal before photon noise: ice powder lines and/or one
    amorphous layer."""

    ice: IceLayerConfig | None = None
    amorphous: AmorphousLayerConfig | None = None


class VolumeConfig(Strict):
    """Sampling of the precomputed amplitude volumes.

    samples_per_fringe : grid steps per fringe 2π/D of trilinear volumes (``*_interpolation:
        trilinear``); slicing error ≈ (π/s)²/8 of the amplitude.
    atomic_interpolation : "bspline3" (default) stores atomic models as deconvolved cubic B-spline
        coefficients on a grid of Δq = 2π/(σ D), σ = ``atomic_oversampling``: 0.3 % rms amplitude
        error at σ = 2 against 0.9 % for trilinear at 8 samples per fringe, in a 55× smaller grid.
    shape_interpolation, shape_oversampling : the same choice for the voxelised shapes (icosahedral
        virus, melting cube); B-spline octants at σ = 2 are 64× smaller than trilinear ones at 8
        samples per fringe (PR772: 10 MB instead of 584 MB) and more accurate (tests/simulate/test_volume.py).
    """

    samples_per_fringe: Annotated[float, Field(ge=2, le=32)] = 8.0
    atomic_interpolation: Literal["bspline3", "trilinear"] = "bspline3"
    atomic_oversampling: Annotated[float, Field(ge=2, le=8)] = 2.0
    shape_interpolation: Literal["bspline3", "trilinear"] = "bspline3"
    shape_oversampling: Annotated[float, Field(ge=2, le=8)] = 2.0


class PixelIntegrationConfig(Strict):
    """How each pixel's photons are integrated over its area: its intensity is the mean over
    ``samples`` × ``samples`` sub-pixels (each with its own q, solid angle and polarisation).

    samples : None chooses the fewest that put ``samples_per_fringe`` sub-pixels across the finest
        fringe of the recipe's widest coherent group (a particle, or a pair at ``hits.separation_m``,
        or an aggregate) at the beam centre, where a flat detector's pixels span the most q; 1 on
        detectors fine enough already. Particles of one shot interfere when their fringes are
        resolved that finely; farther apart, their fringes are many to a pixel and average out, and
        their intensities add.
    """

    samples: Annotated[int, Field(ge=1, le=16)] | None = None
    samples_per_fringe: Annotated[float, Field(ge=1, le=16)] = 4.0


class Recipe(Strict):
    """A complete, named single-particle-imaging recipe (see datasets.yaml)."""

    kind: Literal["spi"] = "spi"
    description: str
    paper: str | None = None
    detector: DetectorConfig
    beam: BeamConfig
    species: dict[str, SpeciesConfig] = Field(min_length=1)
    target: str
    hits: HitsConfig
    injection: InjectionConfig = InjectionConfig()
    background: BackgroundConfig = BackgroundConfig()
    rings: RingsConfig = RingsConfig()
    volume: VolumeConfig = VolumeConfig()
    pixel_integration: PixelIntegrationConfig = PixelIntegrationConfig()
    detector_effects: DetectorEffectsConfig = DetectorEffectsConfig()
    anomalous: bool = True
    noise: bool = True
    random_orientation: bool = True

    @model_validator(mode="after")
    def _refs(self):
        for name in self.species:  # the particle truth stores names in 32 bytes
            if len(name.encode()) > 32:
                raise ValueError(f"species name {name[:40]!r}... is longer than 32 bytes (the truth's field width)")
        if self.target not in self.species:
            raise ValueError(f"target {self.target!r} is not one of the species {sorted(self.species)}")
        for name in self.hits.contaminants:
            if name not in self.species:
                raise ValueError(f"hits.contaminants: {name!r} is not one of the species {sorted(self.species)}")
        uses_contaminants = any(self.hits.classes.get(c, 0) > 0 for c in ("contaminant", "mixed"))
        if uses_contaminants and not self.hits.contaminants:
            raise ValueError("hit classes 'contaminant'/'mixed' need hits.contaminants")
        return self

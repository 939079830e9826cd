"""Recipe schema of narrow-beam electron-diffraction scans (``kind: ed-scan``, paper 002).

Sizes in metres, dose in electrons per Å² (the unit of the field), voltages in volts. Validated up
front like the SPI recipes: unknown keys are errors and each error names its dotted path.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from diffbench.recipes.schema import DetectorConfig, NonNeg, Positive, Strict

Range = tuple[Positive, Positive]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


def _ordered(name, r):
    if r is not None and r[1] < r[0]:
        raise ValueError(f"{name} must be [low, high], got {list(r)}")


class ScanConfig(Strict):
    """A raster of ``nx`` × ``ny`` points at ``step_m``, rows first; the beam's FWHM (Gaussian) or
    diameter (top-hat) is ``beam_size_m``. Paper 002: 40×40 at 30 nm with a 50–60 nm beam."""

    nx: Annotated[int, Field(ge=1, le=512)] = 40
    ny: Annotated[int, Field(ge=1, le=512)] = 40
    step_m: Positive = 30e-9
    beam_size_m: Positive = 55e-9
    profile: Literal["gaussian", "top-hat"] = "gaussian"


class HolesConfig(Strict):
    count: tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]] = (1, 3)
    radius_m: Range = (250e-9, 800e-9)
    ice_thickness_m: Range = (20e-9, 120e-9)
    #: thickening towards the hole edge (meniscus): t(ρ) = t0 (1 + meniscus (ρ/R)⁴).
    meniscus: NonNeg = 0.5

    @model_validator(mode="after")
    def _order(self):
        _ordered("count", self.count)
        _ordered("radius_m", self.radius_m)
        _ordered("ice_thickness_m", self.ice_thickness_m)
        return self


class CrystalsConfig(Strict):
    """Crystalline-ice contaminations: flat hexagonal-ish plates (drawn as discs) of one ice
    crystal each, uniformly random orientation, anywhere on the map."""

    mean_count: NonNeg = 2.0
    radius_m: Range = (30e-9, 120e-9)
    thickness_m: Range = (20e-9, 80e-9)
    types: dict[Literal["Ih", "Ic", "Isd"], NonNeg] = {"Ih": 0.5, "Ic": 0.2, "Isd": 0.3}
    cubicity: Fraction = 0.5

    @model_validator(mode="after")
    def _order(self):
        _ordered("radius_m", self.radius_m)
        _ordered("thickness_m", self.thickness_m)
        if sum(self.types.values()) <= 0:
            raise ValueError("crystal type weights must not all be zero")
        return self


class GridConfig(Strict):
    """The synthetic holey-carbon grid map under the scan."""

    map_pixel_m: Positive = 3e-9
    carbon_thickness_m: Positive = 12e-9
    holes: HolesConfig = HolesConfig()
    crystals: CrystalsConfig = CrystalsConfig()
    #: probability that a scan has a broken (vacuum) patch in a hole
    broken_probability: Fraction = 0.2
    broken_radius_m: Range = (40e-9, 150e-9)


class SessionConfig(Strict):
    """Instrument state of a microscope session (paper 002's data sets 1 and 2 differ in it)."""

    scans: Annotated[int, Field(ge=1)] = 1
    camera_length_m: Positive = 0.90
    #: beam-centre drift: standard deviation (pixels) and correlation length (frames) of an
    #: AR(1) walk along the raster
    drift_px: NonNeg = 3.0
    drift_correlation_frames: Positive = 200.0
    #: beam convergence, full angle (rad): sets the direct-beam spot and the rings' instrument width
    convergence_rad: Positive = 0.4e-3
    dose_e_per_a2: Positive = 2.0
    #: start of the beam centre (x, y pixels); None: the detector's
    beam_center_xy_px: tuple[float, float] | None = None


class LabelConfig(Strict):
    """The 4-class footprint rule (documented in :mod:`diffbench.simulate.ed.scan`)."""

    majority: Annotated[float, Field(gt=0.5, le=1)] = 0.9
    crystalline_min_fraction: Annotated[float, Field(gt=0, le=1)] = 0.05


class EDScanRecipe(Strict):
    """A named recipe of narrow-beam ED scans; ``-n`` counts scans (each nx × ny frames)."""

    kind: Literal["ed-scan"]
    description: str
    paper: str | None = None
    detector: DetectorConfig
    voltage_v: Positive = 200e3
    scan: ScanConfig = ScanConfig()
    grid: GridConfig = GridConfig()
    sessions: dict[str, SessionConfig] = Field(min_length=1)
    label: LabelConfig = LabelConfig()
    crystallite_d_min_m: Positive = 1.0e-10
    noise: bool = True

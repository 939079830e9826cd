"""Schema pieces every recipe kind shares: strict models, value distributions (each knows how to
draw from itself), the beam and the detector, and one-line validation errors.

Unknown keys are rejected and every error names its dotted path and bad value. Sizes are in
metres, energies in eV or J as named.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fixed(Strict):
    """Always ``value``."""

    distribution: Literal["fixed"] = "fixed"
    value: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(self.value)

    @property
    def upper(self) -> float:
        return self.value

    @property
    def lower(self) -> float:
        return self.value


class Uniform(Strict):
    """Uniform on [low, high]."""

    distribution: Literal["uniform"]
    low: float
    high: float

    def sample(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))

    @model_validator(mode="after")
    def _order(self):
        if not self.high >= self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    @property
    def upper(self) -> float:
        return self.high

    @property
    def lower(self) -> float:
        return self.low


class Normal(Strict):
    """Normal distribution truncated to [low, high] (defaults: mean ∓ 4 sd, and ≥ 0)."""

    distribution: Literal["normal"]
    mean: float
    sd: NonNeg
    low: float | None = None
    high: float | None = None

    def sample(self, rng: np.random.Generator) -> float:
        """By rejection, at most 1000 tries (then the mean, clipped to the interval)."""
        lo, hi = self.lower, self.upper
        for _ in range(1000):
            x = rng.normal(self.mean, self.sd)
            if lo <= x <= hi:
                return float(x)
        return float(np.clip(self.mean, lo, hi))

    @property
    def upper(self) -> float:
        return self.high if self.high is not None else self.mean + 4 * self.sd

    @property
    def lower(self) -> float:
        lo = self.low if self.low is not None else self.mean - 4 * self.sd
        return max(lo, 0.0)

    @model_validator(mode="after")
    def _order(self):
        if not self.upper > self.lower or self.upper <= 0:
            raise ValueError(f"empty truncation interval [{self.lower}, {self.upper}]")
        return self


class MixtureComponent(Strict):
    weight: Positive
    value: Union[Fixed, Uniform, Normal]


class Mixture(Strict):
    """A component drawn by weight, then a value from it."""

    distribution: Literal["mixture"]
    components: list[MixtureComponent] = Field(min_length=1)

    def sample(self, rng: np.random.Generator) -> float:
        w = np.array([c.weight for c in self.components], dtype=float)
        i = rng.choice(len(w), p=w / w.sum())
        return self.components[i].value.sample(rng)

    @property
    def upper(self) -> float:
        return max(c.value.upper for c in self.components)

    @property
    def lower(self) -> float:
        return min(c.value.lower for c in self.components)


Distribution = Annotated[Union[Fixed, Uniform, Normal, Mixture], Field(discriminator="distribution")]


def as_distribution(v):
    """A bare number means a fixed value."""
    if isinstance(v, (int, float)):
        return {"distribution": "fixed", "value": float(v)}
    return v


def Between(low: float, high: float):  # noqa: N802  (a type, read as one)
    """A finite float in [low, high]: the bounds say what is physical, so absurd values are refused
    before any work rather than simulated into NaN or overflowing truth."""
    return Annotated[float, Field(ge=low, le=high, allow_inf_nan=False)]


class BeamConfig(Strict):
    #: X-rays (and the electron-equivalent of ED voltages are set elsewhere): 10 eV to 1 MeV
    photon_energy_ev: Between(10.0, 1e6)
    #: at most 1 J: XFEL pulses carry micro- to a few millijoules
    pulse_energy_j: Annotated[float, Field(gt=0, le=1.0, allow_inf_nan=False)]
    #: 1 nm to 1 cm
    focus_diameter_m: Between(1e-9, 1e-2)
    profile: Literal["top-hat", "gaussian"] = "gaussian"
    #: relative rms of the pulse energy, at most 1
    pulse_energy_jitter: Between(0.0, 1.0) = 0.0
    polarisation: Literal["horizontal", "vertical", "unpolarised"] = "horizontal"


class DetectorConfig(Strict):
    """A preset plus optional overrides of single fields."""

    preset: str
    #: at most 16,384 pixels a side (the largest XFEL detectors are ~4,000)
    nx: Annotated[int, Field(ge=1, le=16384)] | None = None
    ny: Annotated[int, Field(ge=1, le=16384)] | None = None
    #: 1 mm to 100 m
    distance_m: Between(1e-3, 100.0) | None = None
    #: 1 µm to 1 cm
    pixel_size_m: Between(1e-6, 1e-2) | None = None
    beam_center_xy_px: tuple[Between(-1e6, 1e6), Between(-1e6, 1e6)] | None = None
    beamstop_radius_m: Between(0.0, 1.0) | None = None
    saturation_photons: Annotated[int, Field(ge=1)] | None = None
    solid_angle: Literal["exact", "centre"] | None = None

    @field_validator("preset")
    @classmethod
    def _known(cls, v):
        from diffbench.geometry.presets import DETECTOR_PRESETS

        if v not in DETECTOR_PRESETS:
            raise ValueError(f"unknown detector preset {v!r}; known: {', '.join(sorted(DETECTOR_PRESETS))}")
        return v

    def overrides(self) -> dict:
        return {k: v for k, v in self.model_dump(exclude={"preset"}).items() if v is not None}


class BackgroundConfig(Strict):
    """Expected background photons, scaled with each pulse's energy: a flat level per valid pixel,
    and a helium-gas profile P dΩ |f0_He(q)|² normalised to ``gas_photons`` per pattern."""

    flat_photons_per_pixel: Between(0.0, 1e6) = 0.0
    gas_photons: Between(0.0, 1e12) = 0.0


class DetectorEffectsConfig(Strict):
    """What the detector adds to the photons (all off by default; see
    :mod:`diffbench.simulate.detector_effects`).

    gain_sigma : relative rms of a fixed per-pixel gain map. readout_noise_photons : Gaussian rms per
    pixel and frame, in photons (integrating detectors). dead_fraction, hot_fraction : fractions of
    the valid pixels that record nothing, or ``hot_level_photons`` more in every frame.
    adu_per_photon : report integer ADU at this conversion; None reports photon units.
    """

    gain_sigma: Annotated[float, Field(ge=0, le=0.5)] = 0.0
    readout_noise_photons: Between(0.0, 1e3) = 0.0
    dead_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.0
    hot_fraction: Annotated[float, Field(ge=0, lt=1)] = 0.0
    hot_level_photons: Between(0.0, 1e6) = 50.0
    adu_per_photon: Between(1e-6, 1e6) | None = None


def _short_repr(value) -> str:
    """``repr`` bounded in size: a hostile input must not make an error message huge or slow."""
    import reprlib

    r = reprlib.Repr()
    r.maxstring, r.maxother, r.maxlist, r.maxtuple, r.maxdict, r.maxlevel = 80, 80, 6, 6, 6, 3
    return r.repr(value)


def format_validation_error(exc, prefix: str = "") -> str:
    """One line per problem: ``dotted.path: message (got VALUE)``."""
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in (prefix.split(".") if prefix else []) + list(err["loc"])
                       if not str(p).startswith(("function-", "tagged-union")))
        got = err.get("input")
        got_s = "" if isinstance(got, dict) else f" (got {_short_repr(got)})"
        lines.append(f"{loc}: {err['msg']}{got_s}")
    return "; ".join(lines)


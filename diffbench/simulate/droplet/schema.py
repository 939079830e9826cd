"""Recipe schema of X-ray shots of micron water droplets: liquid, frozen or missed
(``kind: xray-droplet``), for liquid/ice classification at a wide-angle geometry."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from diffbench.recipes.schema import (
    BackgroundConfig,
    BeamConfig,
    DetectorConfig,
    NonNeg,
    Positive,
    Strict,
)

Range = tuple[Positive, Positive]


class DropletRecipe(Strict):
    """Classes: ``empty`` (no droplet), ``liquid`` (supercooled water: the 3.1 Å halo), ``ice``
    (frozen: crystallites of Ih/Ic/Isd as Bragg spots or rings, plus a residual liquid fraction).
    ``-n`` counts frames."""

    kind: Literal["xray-droplet"]
    description: str
    paper: str | None = None
    detector: DetectorConfig
    beam: BeamConfig
    classes: dict[Literal["empty", "liquid", "ice"], Annotated[float, Field(ge=0)]] = {"empty": 0.2, "liquid": 0.5, "ice": 0.3}
    diameter_m: Range = (1.0e-6, 5.0e-6)
    crystallites: tuple[Annotated[int, Field(ge=1)], Annotated[int, Field(ge=1)]] = (1, 3000)
    ice_types: dict[Literal["Ih", "Ic", "Isd"], NonNeg] = {"Ih": 0.4, "Ic": 0.1, "Isd": 0.5}
    cubicity: Annotated[float, Field(ge=0, le=1)] = 0.5
    residual_liquid: tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)]] = (0.0, 0.5)
    #: above this many crystallites the ring is drawn smooth (the powder average)
    max_explicit_crystallites: Annotated[int, Field(ge=0)] = 400
    instrument_fwhm_q_m: NonNeg = 0.01e10
    #: what every frame carries, droplet or not: gas along the beam path, stray light
    background: BackgroundConfig = BackgroundConfig()
    noise: bool = True

    @model_validator(mode="after")
    def _check(self):
        if sum(self.classes.values()) <= 0:
            raise ValueError("classes: the weights must not all be zero")
        for name in ("diameter_m", "crystallites", "residual_liquid"):
            r = getattr(self, name)
            if r[1] < r[0]:
                raise ValueError(f"{name} must be [low, high], got {list(r)}")
        return self

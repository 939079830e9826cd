"""Recipe schema of merged crystallographic data sets with ice-ring artefacts (``kind: mx-merged``,
paper 003). Lengths in metres (cells, d), B-factors in m² (1 Å² = 1e-20 m²)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from diffbench.recipes.schema import NonNeg, Positive, Strict

Range = tuple[Positive, Positive]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


def _ordered(name, r):
    if r[1] < r[0]:
        raise ValueError(f"{name} must be [low, high], got {list(r)}")


class IceConfig(Strict):
    """Ice artefacts: a data set has ice with ``probability``; its type decides which of the 25
    AUSPEX ranges are hit (the ranges holding that type's powder lines); ``amplitude`` is the peak
    change of I relative to the local Wilson ⟨I⟩ at the strongest line, the others scaled by their
    relative powder intensities; rings have a Gaussian profile of ``width_inv_d2_m2`` FWHM in 1/d²."""

    probability: Fraction = 0.25
    types: dict[Literal["Ih", "Ic", "Isd"], NonNeg] = {"Ih": 0.25, "Ic": 0.1, "Isd": 0.65}
    cubicity: Fraction = 0.5
    modes: dict[Literal["spike", "over-subtraction", "blank", "accumulating"], NonNeg] = {
        "spike": 0.5, "over-subtraction": 0.2, "blank": 0.1, "accumulating": 0.2}
    amplitude: Range = (0.3, 30.0)
    width_inv_d2_m2: Positive = 0.004e20
    #: fraction of a ring's reflections touched in "accumulating" mode
    accumulating_fraction: Range = (0.15, 0.6)
    #: a range counts as a visible ring when its amplitude ≥ this (relative to ⟨I⟩) and it touches
    #: ≥ 1 % of the range's reflections; blank ranges are visible when ≥ 5 reflections are removed
    visible_amplitude: Positive = 0.5

    @model_validator(mode="after")
    def _check(self):
        _ordered("amplitude", self.amplitude)
        _ordered("accumulating_fraction", self.accumulating_fraction)
        if sum(self.types.values()) <= 0 or sum(self.modes.values()) <= 0:
            raise ValueError("ice type and mode weights must not all be zero")
        return self


class MXRecipe(Strict):
    """A named recipe of merged data sets; ``-n`` counts data sets (one MTZ each)."""

    kind: Literal["mx-merged"]
    description: str
    paper: str | None = None
    space_groups: dict[str, Positive] = {"P 21 21 21": 0.3, "P 1 21 1": 0.2, "C 1 2 1": 0.1, "P 43 21 2": 0.1,
                                         "P 31 2 1": 0.1, "P 61 2 2": 0.05, "I 2 3": 0.05, "P 1": 0.1}
    cell_edge_m: Range = (25e-10, 90e-10)
    d_min_m: Range = (1.0e-10, 2.6e-10)
    reflections: tuple[Annotated[int, Field(ge=100)], Annotated[int, Field(ge=100)]] = (10000, 20000)
    #: bounds of the Wilson B; within them B follows d_min as processed data are cut (⟨I⟩ = 2σ at d_min)
    wilson_b_m2: Range = (8e-20, 60e-20)
    #: mean intensity at low resolution (counts) and the background per reflection relative to it
    intensity_scale: Positive = 1.0e4
    background: NonNeg = 0.02
    wavelength_m: Positive = 1.0e-10
    ice: IceConfig = IceConfig()

    @field_validator("space_groups")
    @classmethod
    def _known(cls, v):
        import gemmi

        for name in v:
            if gemmi.find_spacegroup_by_name(name) is None:
                raise ValueError(f"unknown space group {name!r}")
        return v

    @model_validator(mode="after")
    def _check(self):
        _ordered("cell_edge_m", self.cell_edge_m)
        _ordered("d_min_m", self.d_min_m)
        _ordered("reflections", self.reflections)
        _ordered("wilson_b_m2", self.wilson_b_m2)
        return self

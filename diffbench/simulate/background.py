"""The background every frame carries whatever it holds: a flat level per valid pixel (stray light,
detector dark signal) and the scattering of the gas along the beam path, as expected photons per
pixel at the nominal pulse energy; each frame scales it by its own pulse energy."""

from __future__ import annotations

import numpy as np


def background_template(cfg, valid: np.ndarray, q_m: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """Expected background photons per pixel at the nominal pulse, same shape as ``valid``.

    cfg : a :class:`~diffbench.recipes.schema.BackgroundConfig`; valid : bool per pixel; q_m : |q|
    per pixel (1/m); factor : r_e² P dΩ per pixel (m², 0 where invalid). The gas is helium: its
    profile P dΩ |f0_He(q)|² is normalised to ``cfg.gas_photons`` over the valid pixels.
    """
    out = np.zeros(valid.shape)
    if cfg.flat_photons_per_pixel > 0:
        out += cfg.flat_photons_per_pixel * valid
    if cfg.gas_photons > 0:
        from diffbench.physics.scattering_factors import element_factor

        f = np.abs(element_factor("He", q_m, None)) ** 2
        prof = factor * f
        if prof.sum() > 0:
            out += cfg.gas_photons * prof / prof.sum()
    return out

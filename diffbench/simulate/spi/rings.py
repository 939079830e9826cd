"""Ice powder rings and amorphous halos on single-particle-imaging patterns.

A shot's ring signal is a linear combination of a few fixed per-pixel templates (expected photons
per metre of layer thickness at the nominal pulse energy), one per ice structure (Ih, Ic) and one
for the amorphous layer:

    λ_rings(pixel) = (E_pulse / E_nominal) · Σ_c t_c · T_c(pixel),
    T_c(pixel) = N_photons · dσ_c/dΩ per m³ (|q_pixel|) · P(pixel) · dΩ(pixel),

where a layer of thickness t across the whole beam holds t × (beam area) of material, so the beam's
fluence × illuminated volume is N_photons · t. The engine adds λ_rings to the particle intensity
before Poisson noise, so rings and particle share one noise draw. An Isd shot splits its thickness
between the Ih and Ic templates (ice.phase_weights). Line widths: Scherrer width of the crystallite
size in quadrature with the instrument width and the pixel's own radial extent in q (Δq²/12).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from diffbench.physics.ice import phase_weights, reflections
from diffbench.physics.radial import pixel_dq
from diffbench.physics.rings import (
    ANGSTROM,
    Halo,
    get_amorphous,
    powder_cross_section_per_m3,
    powder_ring_total_cross_section_per_m3,
    ring_sigma_q,
    xray,
)
from diffbench.simulate.spi.seeding import choice_cdf, choose
from diffbench.units import R_E_M

#: the order of the ring templates after the background template in the engine's template stack
COMPONENTS = ("Ih", "Ic", "amorphous")

LINE_FIELDS = {"phase": "S4", "d_m": np.float64, "photons_per_m": np.float64}


@dataclass(frozen=True)
class RingDraw:
    """What one shot holds: ice type ('' for none), thicknesses (m) and the Isd cubicity."""

    ice_type: str = ""
    ice_thickness_m: float = 0.0
    cubicity: float = 0.0
    amorphous_thickness_m: float = 0.0

    def weights(self) -> np.ndarray:
        """Thickness (m) on each template of :data:`COMPONENTS`."""
        w = np.zeros(len(COMPONENTS))
        if self.ice_type:
            for phase, f in phase_weights(self.ice_type, self.cubicity).items():
                w[COMPONENTS.index(phase)] = f * self.ice_thickness_m
        w[2] = self.amorphous_thickness_m
        return w


NO_RINGS = RingDraw()  #: the draw of a shot without ice (shared: RingDraw is frozen)


def _line_scale_m(cfg) -> dict[float, float]:
    return {float(k) * ANGSTROM: v for k, v in cfg.line_scale.items()}


class RingModel:
    """Templates and per-shot draws of a recipe's ``rings:`` section on one detector and beam.

    ``qvec`` (npix, 3) lab q (1/m); ``factor`` (npix,) r_e² P dΩ (m², 0 on invalid pixels).
    """

    def __init__(self, rings_cfg, detector, beam, qvec: np.ndarray, factor: np.ndarray):
        self.cfg = rings_cfg
        self.radiation = xray(beam.wavelength_m)
        n_photons = beam.photons_per_pulse()
        self.templates = np.zeros((len(COMPONENTS), len(qvec)))
        lines = []
        ice = rings_cfg.ice
        if ice is not None or rings_cfg.amorphous is not None:  # |q| of every pixel: only for rings
            p_domega = factor / R_E_M**2
            q = np.linalg.norm(qvec, axis=1)
        if ice is not None:
            # radial pixel extent in q at this |q|: invert q → r on the flat detector
            two_theta = 2.0 * np.arcsin(np.clip(q / (2.0 * beam.k_m), 0.0, 1.0))
            r_px = np.tan(two_theta) * detector.distance_m / detector.pixel_size_m
            sig = np.sqrt(ring_sigma_q(ice.crystallite_size_m, ice.instrument_fwhm_q_m) ** 2
                          + pixel_dq(r_px, detector, beam.wavelength_m) ** 2 / 12.0)
            scale = _line_scale_m(ice)
            d_min = 0.95 * 2 * np.pi / max(q.max(), 1.0)
            for c, phase in enumerate(("Ih", "Ic")):
                cs = powder_cross_section_per_m3(q, phase, self.radiation, sig, d_min_m=d_min, line_scale=scale)
                self.templates[c] = n_photons * cs * p_domega
                lines += self._lines(phase, d_min, scale, n_photons, q.max())
        amo = rings_cfg.amorphous
        if amo is not None:
            mat = get_amorphous(amo.material)
            if amo.halos is not None:
                mat = replace(mat, halos=tuple(Halo(h.d_m, h.fwhm_q_m, h.height) for h in amo.halos))
            self.templates[2] = (n_photons * mat.number_density_m3 * mat.cross_section_per_unit(q, self.radiation)
                                 * p_domega)
        self.template_totals = self.templates.sum(axis=1)
        self.lines = np.zeros(len(lines), dtype=np.dtype([(k, v) for k, v in LINE_FIELDS.items()]))
        if lines:
            self.lines["phase"], self.lines["d_m"], self.lines["photons_per_m"] = zip(*lines)
        self._ice_types = list(ice.ice_types) if ice is not None else []
        w = np.array([ice.ice_types[t] for t in self._ice_types], dtype=float) if ice is not None else None
        self._ice_cdf = choice_cdf(w / w.sum()) if w is not None else None

    def _lines(self, phase, d_min, scale, n_photons, q_max):
        """(phase, d, expected photons per m of pure phase) of each line on the detector, with the
        detector's pixel-by-pixel polarisation and solid angle replaced by the full cone (a
        detector-independent figure: the line's total dσ × N_photons)."""
        d_all = reflections(phase, d_min).d_m
        _, first = np.unique(np.round(d_all / ANGSTROM, 4), return_index=True)
        ds = d_all[first]
        out = []
        for d in ds[::-1]:
            if 2 * np.pi / d > q_max:
                continue
            total = powder_ring_total_cross_section_per_m3(phase, d, self.radiation, line_scale=scale)
            out.append((phase, float(d), float(n_photons * total)))
        return out

    @property
    def active(self) -> bool:
        return self.cfg.ice is not None or self.cfg.amorphous is not None

    def draw(self, rng: np.random.Generator) -> RingDraw:
        """The rings of one shot (its own random stream, so particle draws are unchanged)."""
        ice, amo = self.cfg.ice, self.cfg.amorphous
        kw = {}
        if ice is not None and rng.random() < ice.probability:
            kw["ice_type"] = self._ice_types[choose(rng, self._ice_cdf)]
            kw["ice_thickness_m"] = ice.thickness_m.sample(rng)
            kw["cubicity"] = ice.cubicity if kw["ice_type"] == "Isd" else float(kw["ice_type"] == "Ic")
        if amo is not None and rng.random() < amo.probability:
            kw["amorphous_thickness_m"] = amo.thickness_m.sample(rng)
        return RingDraw(**kw)


__all__ = ["COMPONENTS", "RingDraw", "RingModel"]

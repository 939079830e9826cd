"""X-ray shots of micron water droplets, liquid or frozen (``kind: xray-droplet``), with truth.

Frame k draws (from ``SeedSequence(seed, spawn_key=(k, 0))``; noise key from ``(k, 1)``) its class
(empty / liquid / ice), the pulse energy, the droplet diameter and its transverse offset in the beam;
the fluence J at the droplet is taken as uniform over it (droplet ≤ focus).

* liquid: J · N_molecules · dσ/dΩ of liquid water (the 3.1 Å halo, :data:`rings.AMORPHOUS`);
* ice: a fraction ``residual_liquid`` stays liquid; the rest is N crystallites of equal volume
  (N log-uniform in ``crystallites``), each Ih or Ic (Isd: Ic with probability ``cubicity``).
  Up to ``max_explicit_crystallites`` each crystallite is a random orientation whose excited
  reflections are drawn as spots (:func:`rings.crystal_spots`); above, the powder average (smooth
  rings, :func:`rings.powder_cross_section_per_m3`). Widths: Scherrer of the crystallite size plus
  ``instrument_fwhm_q_m``.

Counts = J × amount × dσ/dΩ × dΩ × P (polarisation), then Poisson noise.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from diffbench.geometry.beam import Beam
from diffbench.geometry.detector import polarisation_factor
from diffbench.geometry.orientation import quaternion_to_matrix, random_quaternions
from diffbench.geometry.presets import make_detector
from diffbench.physics.ice import phase_weights
from diffbench.physics.radial import (
    DR_PX,
    amorphous_table,
    powder_table,
    radial_grid,
    spot_pixel,
    spot_sigma_px,
)
from diffbench.physics.rings import crystal_spots, get_amorphous, ring_sigma_q, xray
from diffbench.simulate.truth import table_dtype
from diffbench.utils.progress import progress_bar

CLASSES = ("empty", "liquid", "ice")
DROPLET_FIELDS = {
    "hit_class": "S8", "label_index": np.int8, "is_ice": np.bool_, "diameter_m": np.float64,
    "position_m": (np.float64, 2), "pulse_energy_j": np.float64, "fluence_photons_per_m2": np.float64,
    "ice_type": "S4", "n_crystallites": np.int64, "crystallite_size_m": np.float64,
    "residual_liquid_fraction": np.float64, "ring_mode": "S8", "n_spots": np.int32,
    "photons_total": np.int64, "expected_photons_total": np.float64, "n_saturated": np.int32,
    "background_expected_photons": np.float64,
}
DROPLET_DTYPE = table_dtype(DROPLET_FIELDS)


class DropletSimulator:
    def __init__(self, recipe, seed: int = 0, noise: bool | None = None):
        self.recipe = recipe
        self.seed = int(seed)
        self.noise = recipe.noise if noise is None else bool(noise)
        self.detector = make_detector(recipe.detector.preset, **recipe.detector.overrides())
        self.beam = Beam(**recipe.beam.model_dump())
        self.radiation = xray(self.beam.wavelength_m)
        self.r = radial_grid(self.detector, margin_px=0.0)
        self.liquid_table = amorphous_table(self.detector, self.radiation, get_amorphous("liquid-water"), self.r)
        self.pol = polarisation_factor(self.detector, self.beam)
        self.background = self._background()
        self._powder = {}

    def _background(self) -> np.ndarray:
        """Expected background photons per pixel at the nominal pulse (gas, stray light), or an
        empty array when the recipe has none."""
        from diffbench.geometry.detector import q_vectors
        from diffbench.simulate.background import background_template
        from diffbench.units import R_E_M

        bg = self.recipe.background
        if bg.flat_photons_per_pixel == 0 and bg.gas_photons == 0:
            return np.zeros((0, 0))
        det, valid = self.detector, self.detector.valid()
        factor = R_E_M**2 * self.pol * det.solid_angle_sr() * valid
        q = np.linalg.norm(q_vectors(det, self.beam), axis=-1)
        return background_template(bg, valid, q, factor)

    def powder(self, phases: dict, size_m: float):
        key = (tuple(sorted(phases.items())), round(size_m, 12))
        if key not in self._powder:
            sig = ring_sigma_q(size_m, self.recipe.instrument_fwhm_q_m)
            self._powder[key] = powder_table(self.detector, self.radiation, phases, sig, self.r)
        return self._powder[key]

    def simulate(self, indices):
        from diffbench.simulate.ring_kernels import render_radial

        rc, det = self.recipe, self.detector
        idx = list(indices)
        n = len(idx)
        tables = np.zeros((n, len(self.r)))
        truth = np.zeros(n, dtype=DROPLET_DTYPE)
        rows, start = [], np.zeros(n + 1, dtype=np.int64)
        keys = np.empty(n, dtype=np.uint64)
        water = get_amorphous("liquid-water")
        names = list(rc.classes)
        p = np.array([rc.classes[c] for c in names], dtype=float)
        cx, cy = det.beam_center_xy_px
        for f, k in enumerate(idx):
            rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(int(k), 0)))
            keys[f] = np.random.SeedSequence(self.seed, spawn_key=(int(k), 1)).generate_state(1, np.uint64)[0]
            cls = names[int(rng.choice(len(names), p=p / p.sum()))]
            pulse = self.beam.sample_pulse_energy(rng)
            t = truth[f]
            t["hit_class"], t["label_index"], t["is_ice"] = cls, CLASSES.index(cls), cls == "ice"
            t["pulse_energy_j"] = pulse
            t["ring_mode"] = "none"
            if cls != "empty":
                dia = rng.uniform(*rc.diameter_m)
                rho, phi = self.beam.focus_diameter_m / 2 * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
                pos = np.array([rho * math.cos(phi), rho * math.sin(phi)])
                fluence = float(self.beam.fluence_at(pos[0], pos[1], pulse))
                volume = math.pi * dia**3 / 6
                t["diameter_m"], t["position_m"], t["fluence_photons_per_m2"] = dia, pos, fluence
                liquid = 1.0
                if cls == "ice":
                    liquid = rng.uniform(*rc.residual_liquid)
                    types = list(rc.ice_types)
                    pt = np.array([rc.ice_types[x] for x in types], dtype=float)
                    ice_type = types[int(rng.choice(len(types), p=pt / pt.sum()))]
                    lo, hi = rc.crystallites
                    n_cr = int(round(math.exp(rng.uniform(math.log(lo), math.log(hi + 0.5)))))
                    n_cr = min(max(n_cr, lo), hi)
                    v_ice = volume * (1 - liquid)
                    size = (v_ice / n_cr) ** (1 / 3)
                    phases = phase_weights(ice_type, rc.cubicity)
                    t["ice_type"], t["n_crystallites"], t["crystallite_size_m"] = ice_type, n_cr, size
                    if n_cr > rc.max_explicit_crystallites:
                        t["ring_mode"] = "smooth"
                        tables[f] += fluence * v_ice * self.powder(phases, size)
                    else:
                        t["ring_mode"] = "spotty"
                        sig = ring_sigma_q(size, rc.instrument_fwhm_q_m)
                        sig_px = spot_sigma_px(sig, det, self.radiation)
                        quats = random_quaternions(n_cr, rng)
                        pick = rng.random(n_cr)
                        for c in range(n_cr):
                            phase = "Ic" if pick[c] < phases.get("Ic", 0.0) else "Ih"
                            rot = quaternion_to_matrix(quats[c][None])[0]
                            for s in crystal_spots(rot, phase, self.radiation, sig, d_min_m=1.5e-10):
                                x, y = spot_pixel(s.q_m, det, self.radiation, (cx, cy))
                                if 0 <= x < det.nx and 0 <= y < det.ny:
                                    amp = fluence * (v_ice / n_cr) * s.cross_section_m2_per_m3
                                    rows.append((x, y, sig_px, amp * self.pol[int(y), int(x)]))
                                    t["n_spots"] += 1
                t["residual_liquid_fraction"] = liquid if cls == "ice" else 1.0
                tables[f] += fluence * liquid * volume * water.number_density_m3 * self.liquid_table
            start[f + 1] = len(rows)
        spots = np.asarray(rows, dtype=np.float64).reshape(-1, 4)
        dtype = np.int32 if self.noise else np.float32
        frames = np.empty((n,) + det.shape, dtype=dtype)
        expected = np.empty(n)
        pixel_factor = self.pol.copy()
        render_radial(tables, 0.0, DR_PX, np.tile([cx, cy], (n, 1)).astype(float), pixel_factor, det.valid(),
                      start, spots, keys, float(det.saturation_photons or 0), self.noise, frames, expected,
                      self.background, truth["pulse_energy_j"] / self.beam.pulse_energy_j)
        truth["background_expected_photons"] = self.background.sum() * truth["pulse_energy_j"] / self.beam.pulse_energy_j
        truth["expected_photons_total"] = expected
        if self.noise:
            truth["photons_total"] = frames.reshape(n, -1).sum(axis=1)
            if det.saturation_photons:
                truth["n_saturated"] = (frames.reshape(n, -1) >= det.saturation_photons).sum(axis=1)
        return frames, truth


def write_droplets(run) -> Path:
    """Write the droplet run ``run`` (a :class:`diffbench.simulate.driver.Run`): ``run.n`` frames
    and their truth, to one CXI file, atomically."""
    from diffbench.io.cxi import CXIWriter

    n, name = run.n, run.name
    sim = DropletSimulator(run.recipe, run.seed, run.noise)
    attrs = run.provenance(noise=bool(sim.noise), labels=",".join(CLASSES),
                           units="SI (m, J, photons/m^2); counts are photons per pixel")
    batch = 32
    with progress_bar(n, name, run.progress) as bar:
        task = bar.add_task(name, total=n) if bar else None
        with CXIWriter(run.out, n, sim.detector.shape, np.int32 if sim.noise else np.float32, run.compression,
                       sim.detector, sim.beam, attrs) as w:
            truths = []
            for s in range(0, n, batch):
                frames, t = sim.simulate(range(s, min(n, s + batch)))
                w.write_frames(s, frames)
                truths.append(t)
                if bar:
                    bar.advance(task, len(t))
            w.write_truth(np.concatenate(truths))
    return run.out


def simulate_droplets_to_file(name, recipe, raw, n: int, out, seed: int = 0, noise=None,
                              compression: str = "bitshuffle-lz4", progress=None):
    """Deprecated (one release): use :func:`diffbench.simulate.driver.simulate_to_file`."""
    from diffbench import kinds
    from diffbench.simulate.driver import Run

    return write_droplets(Run(name, kinds.of_recipe(raw), recipe, raw, n, Path(out), seed, noise, compression,
                              1, progress))

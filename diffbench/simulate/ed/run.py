"""Render ED scan recipes (``kind: ed-scan``) to a CXI file: frames, per-frame truth, the crystals
of each scan and its grid maps.

Randomness: scan k's grid map from ``SeedSequence(seed, spawn_key=(k, 0))``, its beam-centre drift
from ``(k, 1)``, frame f's photon-noise key from ``(k, 2, f)``; so a scan depends only on (recipe,
seed, k), never on how the run is split.

File layout (besides the CXI frames and detector)::

    /entry_1/instrument_1/source_1/{voltage (V), wavelength (m)}
    /entry_1/sample_1/truth/<per-frame arrays>        (ED_FRAME_DTYPE)
    /entry_1/sample_1/truth/particles/<per-crystal>   (ED_CRYSTAL_DTYPE)
    /entry_1/sample_1/truth/scan_maps/{material, thickness_m, crystal_id, image_mode}  (scans, H, W)
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from diffbench.geometry.presets import make_detector
from diffbench.physics.ice import phase_weights
from diffbench.physics.radial import (
    DR_PX,
    amorphous_table,
    radial_grid,
    spot_pixel,
    spot_sigma_px,
)
from diffbench.physics.rings import (
    crystal_spots,
    electrons,
    get_amorphous,
    ring_sigma_q,
)
from diffbench.simulate.ed import scan as eds
from diffbench.simulate.truth import table_dtype
from diffbench.units import ANGSTROM2_M2  # noqa: E402
from diffbench.utils.progress import progress_bar

ED_FRAME_FIELDS = {
    "scan_index": np.int32, "frame_in_scan": np.int32, "scan_i": np.int32, "scan_j": np.int32,
    "session": "S32", "session_index": np.int32,
    "position_m": (np.float64, 2),
    "frac_vacuum": np.float64, "frac_carbon": np.float64, "frac_amorphous_ice": np.float64,
    "frac_crystalline_ice": np.float64,
    "ice_thickness_m": np.float64, "n_crystals_hit": np.int32, "crystals_hit_mask": np.uint64,
    "label": "S16", "label_index": np.int8,
    "beam_center_xy_px": (np.float64, 2), "beam_offset_px": (np.float64, 2),
    "camera_length_m": np.float64, "dose_e_per_a2": np.float64, "electrons": np.float64,
    "n_spots": np.int32, "counts_total": np.int64, "expected_counts_total": np.float64, "n_saturated": np.int32,
}
ED_CRYSTAL_FIELDS = {
    "scan_index": np.int32, "crystal_id": np.int32, "ice_type": "S4", "orientation_wxyz": (np.float64, 4),
    "centre_m": (np.float64, 2), "radius_m": np.float64, "thickness_m": np.float64,
    "n_reflections_excited": np.int32,
}
ED_FRAME_DTYPE = table_dtype(ED_FRAME_FIELDS)
ED_CRYSTAL_DTYPE = table_dtype(ED_CRYSTAL_FIELDS)


class EDScanSimulator:
    """Simulate scans of an :class:`~diffbench.simulate.ed.schema.EDScanRecipe`."""

    def __init__(self, recipe, seed: int = 0, noise: bool | None = None):
        self.recipe = recipe
        self.seed = int(seed)
        self.noise = recipe.noise if noise is None else bool(noise)
        self.radiation = electrons(recipe.voltage_v)
        self.schedule = eds.session_schedule(recipe.sessions)
        self.session_names = list(recipe.sessions)
        self.base_detector = make_detector(recipe.detector.preset, **recipe.detector.overrides())
        self.frames_per_scan = recipe.scan.nx * recipe.scan.ny
        self._tables = {}

    @property
    def count_dtype(self):
        return np.uint16 if (self.base_detector.saturation_photons or 0) <= 65535 else np.uint32

    def detector(self, session: str):
        """The detector at this session's camera length."""
        s = self.recipe.sessions[session]
        return make_detector(self.recipe.detector.preset, **{**self.recipe.detector.overrides(),
                                                              "distance_m": s.camera_length_m})

    def tables(self, session: str):
        """Radial tables (per e⁻/m² × formula unit) of carbon and vitreous ice at this session."""
        if session not in self._tables:
            det = self.detector(session)
            r = radial_grid(det)
            self._tables[session] = (det, {
                eds.CARBON: amorphous_table(det, self.radiation, get_amorphous("amorphous-carbon"), r),
                eds.AMORPHOUS_ICE: amorphous_table(det, self.radiation, get_amorphous("vitreous-ice"), r),
            })
        return self._tables[session]

    def n_electrons(self, session: str) -> float:
        s = self.recipe.sessions[session]
        return s.dose_e_per_a2 / ANGSTROM2_M2 * math.pi * (self.recipe.scan.beam_size_m / 2) ** 2

    def scan(self, k: int):
        """Scan k: (frames (n, ny, nx), frame truth, crystal truth, grid map)."""
        from diffbench.simulate.ring_kernels import render_radial

        rc = self.recipe
        session = self.schedule[k % len(self.schedule)]
        sess = rc.sessions[session]
        rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(k, 0)))
        gmap = eds.grid_map(rc.grid, rc.scan, rng)
        pos = eds.scan_positions_m(rc.scan)
        fp = eds.footprints(gmap, pos, eds.beam_kernel(rc.scan, gmap.pixel_m))
        n = len(pos)
        drift = eds.drift_walk(n, sess.drift_px, sess.drift_correlation_frames,
                               np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(k, 1))))
        det, tab = self.tables(session)
        centre0 = np.array(sess.beam_center_xy_px or det.beam_center_xy_px, dtype=float)
        centres = centre0 + drift
        n_e = self.n_electrons(session)
        carbon, ice = get_amorphous("amorphous-carbon"), get_amorphous("vitreous-ice")
        # amount per frame: N_e Σ w t n (formula units per (e⁻/m²)), as fluence × units
        a_c = n_e * fp.weighted_thickness_m[:, eds.CARBON] * carbon.number_density_m3
        a_i = n_e * fp.weighted_thickness_m[:, eds.AMORPHOUS_ICE] * ice.number_density_m3
        tables = a_c[:, None] * tab[eds.CARBON][None] + a_i[:, None] * tab[eds.AMORPHOUS_ICE][None]

        # spots: the direct beam, then each crystal's excited reflections where it is illuminated
        conv_sigma_px = sess.convergence_rad / 2 * det.distance_m / det.pixel_size_m / 2.0
        inst_fwhm_q = self.radiation.k_m * sess.convergence_rad
        mfp_t = sum(fp.weighted_thickness_m[:, code] / lam for code, lam in eds.MEAN_FREE_PATH_M.items())
        direct = n_e * np.exp(-mfp_t)
        crystal_spot_lists = []
        crystals = np.zeros(len(gmap.crystals), dtype=ED_CRYSTAL_DTYPE)
        for c in gmap.crystals:
            w = phase_weights(c.ice_type, rc.grid.crystals.cubicity)
            sig_t = ring_sigma_q(2 * c.radius_m, inst_fwhm_q)
            sig_n = ring_sigma_q(c.thickness_m, inst_fwhm_q)
            rot = eds.crystal_rotation(c)
            spots = []
            for phase, frac in w.items():
                for s in crystal_spots(rot, phase, self.radiation, sig_t, sig_n, d_min_m=rc.crystallite_d_min_m):
                    spots.append((s.q_m, frac * s.cross_section_m2_per_m3))
            crystal_spot_lists.append((spots, math.hypot(spot_sigma_px(sig_t, det, self.radiation), conv_sigma_px)))
            crystals[c.crystal_id] = (k, c.crystal_id, c.ice_type, c.orientation_wxyz, c.centre_m, c.radius_m,
                                      c.thickness_m, len(spots))
        rows, start = [], np.zeros(n + 1, dtype=np.int64)
        n_spots = np.zeros(n, dtype=np.int32)
        for f in range(n):
            rows.append((centres[f, 0], centres[f, 1], conv_sigma_px, direct[f]))
            for cid, (spots, sig_px) in enumerate(crystal_spot_lists):
                vol = n_e * fp.crystal_thickness_m[f, cid]  # N_e Σ w t over the crystal (m)
                if vol <= 0:
                    continue
                for q, xs in spots:
                    x, y = spot_pixel(q, det, self.radiation, centres[f])
                    if -10 < x < det.nx + 10 and -10 < y < det.ny + 10:
                        rows.append((x, y, sig_px, vol * xs))
                        n_spots[f] += 1
            start[f + 1] = len(rows)
        spots_arr = np.asarray(rows, dtype=np.float64).reshape(-1, 4)
        keys = np.array([np.random.SeedSequence(self.seed, spawn_key=(k, 2, f)).generate_state(1, np.uint64)[0]
                         for f in range(n)], dtype=np.uint64)
        dtype = self.count_dtype if self.noise else np.float32
        frames = np.empty((n,) + det.shape, dtype=dtype)
        expected = np.empty(n)
        render_radial(tables, 0.0, DR_PX, centres, np.ones(det.shape), det.valid(), start, spots_arr, keys,
                      float(det.saturation_photons or 0), self.noise, frames, expected, np.zeros((0, 0)), np.zeros(n))

        truth = np.zeros(n, dtype=ED_FRAME_DTYPE)
        i, j = np.divmod(np.arange(n), rc.scan.nx)
        labels = eds.label_frames(fp.fractions, rc.label.majority, rc.label.crystalline_min_fraction)
        hit = fp.crystal_thickness_m > 0
        mask = np.zeros(n, dtype=np.uint64)
        for cid in range(hit.shape[1]):
            mask |= np.where(hit[:, cid], np.uint64(1) << np.uint64(cid), np.uint64(0))
        truth["scan_index"] = k
        truth["frame_in_scan"] = np.arange(n)
        truth["scan_i"], truth["scan_j"] = i, j
        truth["session"] = session
        truth["session_index"] = self.session_names.index(session)
        truth["position_m"] = pos
        for code, name in enumerate(("frac_vacuum", "frac_carbon", "frac_amorphous_ice", "frac_crystalline_ice")):
            truth[name] = fp.fractions[:, code]
        truth["ice_thickness_m"] = fp.ice_thickness_m
        truth["n_crystals_hit"] = hit.sum(axis=1)
        truth["crystals_hit_mask"] = mask
        truth["label"] = labels
        truth["label_index"] = [eds.LABELS.index(s) for s in labels]
        truth["beam_center_xy_px"] = centres
        truth["beam_offset_px"] = drift
        truth["camera_length_m"] = det.distance_m
        truth["dose_e_per_a2"] = sess.dose_e_per_a2
        truth["electrons"] = n_e
        truth["n_spots"] = n_spots
        truth["counts_total"] = frames.reshape(n, -1).sum(axis=1, dtype=np.int64) if self.noise else 0
        truth["expected_counts_total"] = expected
        sat = det.saturation_photons
        truth["n_saturated"] = (frames.reshape(n, -1) >= sat).sum(axis=1) if (self.noise and sat) else 0
        return frames, truth, crystals, gmap


def write_ed(run) -> Path:
    """Write the ED run ``run`` (a :class:`diffbench.simulate.driver.Run`): ``run.n`` scans, their
    frames, per-frame and per-crystal truth and the ground-truth maps, to one CXI file, atomically."""
    from diffbench.io.cxi import CXIWriter

    recipe, n_scans, name = run.recipe, run.n, run.name
    sim = EDScanSimulator(recipe, run.seed, run.noise)
    det0 = sim.detector(sim.schedule[0])
    nf = sim.frames_per_scan
    attrs = run.provenance(
        n_patterns=int(n_scans * nf), noise=bool(sim.noise), labels=",".join(eds.LABELS),
        materials=",".join(eds.MATERIALS),
        label_rule=f"crystalline-ice if frac_crystalline_ice >= {recipe.label.crystalline_min_fraction}; "
                   f"else the material with fraction >= {recipe.label.majority}; else mixed",
        units="SI (m, V); counts are electrons per pixel; dose in e-/A^2")
    dtype = sim.count_dtype if sim.noise else np.float32
    truths, crystals, maps = [], [], []
    with progress_bar(n_scans, name, run.progress) as bar:
        task = bar.add_task(name, total=n_scans) if bar else None
        with CXIWriter(run.out, n_scans * nf, det0.shape, dtype, run.compression, det0, None, attrs) as w:
            for k in range(n_scans):
                frames, t, c, gmap = sim.scan(k)
                w.write_frames(k * nf, frames)
                truths.append(t)
                crystals.append(c)
                maps.append(gmap)
                if bar:
                    bar.advance(task, 1)
            w.write_truth(np.concatenate(truths), np.concatenate(crystals))
            src = w.source_group()
            src.create_dataset("voltage", data=recipe.voltage_v).attrs["units"] = "V"
            src.create_dataset("wavelength", data=sim.radiation.wavelength_m).attrs["units"] = "m"
            g = w.truth_group.create_group("scan_maps")
            g.attrs["pixel_m"] = maps[0].pixel_m
            g.attrs["origin_m"] = maps[0].origin_m
            g.attrs["material_codes"] = ",".join(eds.MATERIALS)
            for key, fn in (("material", lambda m: m.material), ("thickness_m", lambda m: m.thickness_m),
                            ("crystal_id", lambda m: m.crystal_id), ("image_mode", lambda m: m.image_mode())):
                g.create_dataset(key, data=np.stack([fn(m) for m in maps]), compression="gzip", shuffle=True)
    return Path(run.out)


def simulate_ed_to_file(name, recipe, raw, n_scans: int, out, seed: int = 0, noise=None,
                        compression: str = "bitshuffle-lz4", progress=None) -> Path:
    """Deprecated (one release): use :func:`diffbench.simulate.driver.simulate_to_file`."""
    from diffbench import kinds
    from diffbench.simulate.driver import Run

    return write_ed(Run(name, kinds.of_recipe(raw), recipe, raw, n_scans, Path(out), seed, noise, compression,
                        1, progress))

"""What a real detector adds to the photons that reach it: a per-pixel gain map, dead and hot
pixels, readout noise of integrating detectors, and the conversion to ADU.

All effects are off unless a recipe's ``detector_effects`` section switches them on (the
calibration recipe keeps them off). The maps are fixed for a data set (drawn from its seed alone);
the readout noise of a frame from (seed, frame index, stream 3), so frames stay bit-identical
however the work is split. Photon counts and the truth's ``photons_total`` are those before the
effects; the maps are written to the truth group, ``detector_effects/``.

Typical values (per frame, in photon units at a few keV): pnCCD readout noise ~ 0.03–0.05,
AGIPD ~ 0.1–0.3 in high gain, Jungfrau ~ 0.05–0.1, ePix10k ~ 0.1–0.2; gain non-uniformity after
flat-fielding ~ 1–3 %.
"""

from __future__ import annotations

import numpy as np

MAP_STREAM = 0x6465746563746F72  # "detector": the maps' own entropy word, apart from every frame stream
FRAME_STREAM = 3  # per-frame stream index (0-2 are the planner's, the photon keys' and the rings')


class DetectorEffects:
    """The effects of ``cfg`` (a :class:`~diffbench.recipes.schema.DetectorEffectsConfig`) on a
    detector of ``shape`` with ``valid`` pixels, for data set ``seed``."""

    def __init__(self, cfg, shape: tuple[int, int], valid: np.ndarray, seed: int):
        self.cfg = cfg
        self.seed = int(seed)
        self.valid = np.asarray(valid, bool).ravel()
        if not self.active:  # no maps to draw for the usual, effect-free recipe
            return
        n = self.valid.size
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, MAP_STREAM]))
        self.gain = (1.0 + cfg.gain_sigma * rng.standard_normal(n)).clip(0.0, None) if cfg.gain_sigma else np.ones(n)
        u = rng.random(n)
        self.dead = self.valid & (u < cfg.dead_fraction)
        self.hot = self.valid & ~self.dead & (u >= 1.0 - cfg.hot_fraction)

    @property
    def active(self) -> bool:
        c = self.cfg
        return bool(c.gain_sigma or c.readout_noise_photons or c.dead_fraction or c.hot_fraction
                    or c.adu_per_photon is not None)

    @property
    def dtype(self):
        """Stored frames: int32 ADU, or float32 photon units (gain and noise make counts fractional)."""
        return np.int32 if self.cfg.adu_per_photon is not None else np.float32

    def apply(self, counts: np.ndarray, indices) -> np.ndarray:
        """Frames (b, npix) as the detector reports them, from photon ``counts`` (b, npix) of the
        frames ``indices``."""
        c = self.cfg
        out = counts.astype(np.float64) * self.gain
        out[:, self.hot] += c.hot_level_photons
        if c.readout_noise_photons:
            for row, k in zip(out, indices):
                rng = np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=(int(k), FRAME_STREAM)))
                row += c.readout_noise_photons * rng.standard_normal(row.size)
        out[:, self.dead | ~self.valid] = 0.0
        if c.adu_per_photon is not None:
            return np.rint(out * c.adu_per_photon).astype(np.int32)
        return out.astype(np.float32)

    def truth(self, shape) -> dict:
        """The maps applied, for the truth group: name → array of ``shape``."""
        return {"gain": self.gain.reshape(shape).astype(np.float32), "dead": self.dead.reshape(shape),
                "hot": self.hot.reshape(shape)}

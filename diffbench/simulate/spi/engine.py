"""The simulation engine: from a validated recipe to patterns and their complete ground truth.

Every pattern's randomness comes from ``SeedSequence(seed, spawn_key=(index, stream))`` — stream 0
for the shot (class, particles, pulse energy), stream 1 for the photon-noise key — so a pattern
depends only on (recipe, seed, index), never on batch size, worker count or order.

Multiple particles: F_total(q) = Σ_k √J_k F_k(R_kᵀ s_k q) e^{i q·r_k} within a *coherent group*,
and the groups add incoherently. Two particles are in the same group when their interference
fringes are resolved by the pixels: the phase q·d between them changes by less than π from one
pixel to the next anywhere on the detector, i.e. Δq_pix (|d_⊥| + |d_z| q_max/k) < π. Fringes finer
than that average out within a pixel, and the incoherent sum is the pixel-integrated answer.
Aggregates (touching particles) always pass this test, so they form one group.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from diffbench.geometry.beam import Beam
from diffbench.geometry.detector import pixel_major, polarisation_factor, q_vectors
from diffbench.geometry.orientation import (
    quaternion_to_matrix,
    quaternions_from_uniforms,
)
from diffbench.geometry.presets import make_detector
from diffbench.simulate.detector_effects import DetectorEffects
from diffbench.simulate.spi.kernels_api import (
    BlockSums,
    ParticleArrays,
    PixelArrays,
    SpeciesArrays,
    SpeciesTable,
)
from diffbench.simulate.spi.rings import NO_RINGS, RingDraw, RingModel
from diffbench.simulate.spi.schema import Recipe
from diffbench.simulate.spi.seeding import PatternStreams, choice_cdf, choose
from diffbench.simulate.spi.species import Draw, build_species
from diffbench.simulate.truth import table_dtype  # noqa: F401  (also its old import path)
from diffbench.units import R_E_M

HIT_CLASSES = ("empty", "single", "multiple", "aggregate", "contaminant", "mixed")

PATTERN_FIELDS = {
    "multiplicity": np.int32,
    "hit_class": "S16",
    "is_single_hit": np.bool_,
    "photons_total": np.int64,
    "expected_photons_total": np.float64,
    "pulse_energy_j": np.float64,
    "fluence_photons_per_m2": np.float64,
    "beam_center_xy_px": (np.float64, 2),
    "n_target": np.int32,
    "n_contaminant": np.int32,
    "n_coherent_groups": np.int32,
    "n_saturated": np.int32,
    "ice_type": "S4",
    "ice_thickness_m": np.float64,
    "ice_cubicity": np.float64,
    "ice_expected_photons": np.float64,
    "amorphous_material": "S24",
    "amorphous_thickness_m": np.float64,
    "amorphous_expected_photons": np.float64,
}

PARTICLE_FIELDS = {
    "pattern_index": np.int64,
    "species": "S32",
    "shape": "S32",
    "is_target": np.bool_,
    "diameter_m": np.float64,
    "size_m": np.float64,
    "shape_param": np.float64,
    "orientation_wxyz": (np.float64, 4),
    "position_m": (np.float64, 3),
    "fluence_photons_per_m2": np.float64,
    "coherent_group": np.int32,
}


PATTERN_DTYPE = table_dtype(PATTERN_FIELDS)
PARTICLE_DTYPE = table_dtype(PARTICLE_FIELDS)


#: the most expected photons a pattern may hold: counts and their sums stay exact in int64 and float64
MAX_EXPECTED_PHOTONS = 1e15


class Particle(NamedTuple):
    """One planned particle of a shot (SI units)."""

    species: str
    draw: Draw  # table entry, size scale and size truth
    orientation_wxyz: np.ndarray  # unit quaternion, particle frame -> lab
    position_m: np.ndarray  # (3,)
    fluence_photons_per_m2: float
    group: int  # coherent group: particles of one group interfere


@dataclass
class Shot:
    """The plan of one pattern before rendering."""

    index: int
    hit_class: str
    pulse_energy_j: float
    key: np.uint64
    particles: list[Particle]  # sorted by coherent group
    rings: RingDraw = NO_RINGS


@dataclass(frozen=True)
class _Draft:
    """A pattern's random draws, before the batch-wide arithmetic of :meth:`Simulator._complete`."""

    index: int
    hit_class: str
    pulse: float
    key: np.uint64
    names: list
    draws: list
    uniforms: np.ndarray | None  # (3, n) Shoemake uniforms, None for fixed orientations
    positions: np.ndarray
    groups: np.ndarray
    rings: RingDraw


class Simulator:
    """Holds the detector, beam, species volumes and per-pixel arrays of one recipe.

    Parameters
    ----------
    recipe : a validated :class:`~diffbench.simulate.spi.schema.Recipe`.
    seed : dataset seed (non-negative integer).
    use_cache : load/store species volumes in the disk cache.
    """

    def __init__(self, recipe: Recipe, seed: int, use_cache: bool = True, noise: bool | None = None):
        if not (isinstance(seed, (int, np.integer)) and seed >= 0):
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.recipe = recipe
        self.seed = int(seed)
        self.noise = recipe.noise if noise is None else noise
        self.detector = make_detector(recipe.detector.preset, **recipe.detector.overrides())
        self.beam = Beam(**recipe.beam.model_dump())
        det, beam = self.detector, self.beam
        self.valid = det.valid().ravel()
        self.qvec = np.ascontiguousarray(q_vectors(det, beam).reshape(-1, 3))
        self.factor = (R_E_M**2 * polarisation_factor(det, beam) * det.solid_angle_sr()).ravel() * self.valid
        self.q_max = det.q_max_m(beam)
        self.q_step = det.pixel_q_step_m(beam)
        self.bg_template = self._background_template()
        self.rings = RingModel(recipe.rings, det, beam, self.qvec, self.factor)
        # additive expected-photon images: background, then (if any) Ih, Ic and amorphous rings
        self.templates = np.vstack([self.bg_template[None], self.rings.templates] if self.rings.active
                                   else [self.bg_template[None]])
        self.table = SpeciesTable()
        self.species = {
            name: build_species(name, cfg, self.table, self.q_max * 1.02, beam.photon_energy_ev,
                                recipe.anomalous, recipe.volume, use_cache)
            for name, cfg in recipe.species.items()
        }
        self.pixel_samples = self._pixel_samples()
        self._pixels = {1: PixelArrays(self.qvec, self.factor, self.valid, self.templates,
                                       self.valid, 1)}
        self._pixels_lock = threading.Lock()  # render threads may ask for a new k at once
        self._tables = None
        classes = recipe.hits.classes
        self._class_names = [c for c in HIT_CLASSES if classes.get(c, 0) > 0]
        w = np.array([classes[c] for c in self._class_names], dtype=float)
        self._class_cdf = choice_cdf(w / w.sum())
        cont = recipe.hits.contaminants
        self._cont_names = list(cont)
        cw = np.array([cont[c] for c in self._cont_names], dtype=float)
        self._cont_cdf = choice_cdf(cw / cw.sum()) if len(cw) else cw
        self._streams = PatternStreams(self.seed)
        self.saturation = int(det.saturation_photons) if det.saturation_photons else 2**32 - 1
        self.count_dtype = np.uint16 if self.saturation <= 65535 else np.uint32
        self.effects = DetectorEffects(recipe.detector_effects, det.shape, self.valid, self.seed)

    def frame_dtype(self, noise: bool):
        """The dtype of the frames :meth:`render` returns: photon counts, the detector's report
        when it adds effects, or float32 expected photons without noise."""
        if not noise:
            return np.float32
        return self.effects.dtype if self.effects.active else self.count_dtype

    # ------------------------------------------------------------------ set-up
    def widest_coherent_group_m(self) -> float:
        """Extent (m) of the widest group of particles the recipe means to interfere: one particle,
        a pair at up to ``hits.separation_m`` (multiple hits), or a chain of touching particles
        (aggregates)."""
        h = self.recipe.hits
        r = max(sp.max_bounding_radius_m() for sp in self.species.values())
        width = 2 * r
        if h.classes.get("multiple", 0) > 0 and h.separation_m is not None:
            width = max(width, h.separation_m[1] + 2 * r)
        if h.classes.get("aggregate", 0) > 0:
            width = max(width, 2 * r * h.aggregate.max)
        return width

    def _pixel_samples(self) -> int:
        """The recipe's k of k × k sub-pixels: its ``pixel_integration.samples``, or the fewest that
        resolve the widest coherent group it can produce (:meth:`widest_coherent_group_m`). This k
        decides which particles interfere (:meth:`_coherent_groups`); each shot is then rendered with
        the k its own groups need (:meth:`shot_samples`), at most this one."""
        cfg = self.recipe.pixel_integration
        if cfg.samples is not None:
            return int(cfg.samples)
        return self._samples_for_width(self.widest_coherent_group_m())

    def _samples_for_width(self, width_m: float) -> int:
        """The fewest k that put ``samples_per_fringe`` sub-pixels across the finest fringe of an
        object ``width_m`` wide at the beam centre (where a flat detector's pixels span the most q)."""
        fringes_per_pixel = self.q_step * width_m / (2 * math.pi)
        spf = self.recipe.pixel_integration.samples_per_fringe
        return int(min(16, max(1, math.ceil(spf * fringes_per_pixel - 1e-9))))

    def shot_samples(self, shot: Shot) -> int:
        """k for one shot: the recipe's fixed ``samples`` when it sets one, else the fewest that
        resolve the widest coherent group of this shot (its particles' bounding spheres and
        separations), at most :attr:`pixel_samples`. A lone 70 nm virus on native pnCCD pixels
        needs k = 1 where an aggregate of four needs 2: rendering each shot at its own k makes a
        recipe's cost follow its particles, not its widest possible group."""
        if self.recipe.pixel_integration.samples is not None or self.pixel_samples == 1:
            return self.pixel_samples
        width = 0.0
        parts = shot.particles
        for a, pa in enumerate(parts):
            ra = pa.draw.bounding_radius_m
            width = max(width, 2 * ra)
            for pb in parts[a + 1:]:
                if pb.group == pa.group:
                    d = float(np.linalg.norm(np.asarray(pb.position_m) - np.asarray(pa.position_m)))
                    width = max(width, d + ra + pb.draw.bounding_radius_m)
        return min(self.pixel_samples, self._samples_for_width(width))

    def _background_template(self) -> np.ndarray:
        """Expected background photons per pixel at the nominal pulse energy, (npix,)."""
        from diffbench.simulate.background import background_template

        return background_template(self.recipe.background, self.valid, np.linalg.norm(self.qvec, axis=1),
                                   self.factor)

    def pixel_arrays(self, k: int | None = None) -> PixelArrays:
        """The detector as the render kernel reads it, each pixel as k × k sub-pixels (default: the
        recipe's k), every pixel's sub-pixels contiguous (:func:`~diffbench.geometry.detector.pixel_major`)."""
        k = self.pixel_samples if k is None else int(k)
        with self._pixels_lock:
            if k not in self._pixels:
                det, beam = self.detector, self.beam
                sub = det.subdivided(k)
                valid = np.repeat(self.valid, k * k)
                qvec = pixel_major(q_vectors(sub, beam), k)
                factor = pixel_major(R_E_M**2 * polarisation_factor(sub, beam) * sub.solid_angle_sr(), k) * valid
                self._pixels[k] = PixelArrays(qvec, factor, valid, self.templates,
                                              self.valid, k * k)
            return self._pixels[k]

    def kernel_tables(self) -> SpeciesArrays:
        if self._tables is None:
            self._tables = self.table.arrays()
        return self._tables

    # ------------------------------------------------------------------ planning
    def plan(self, index: int) -> Shot:
        """Draw everything random about pattern ``index`` (deterministic in seed and index)."""
        return self.plan_batch([index])[0]

    def plan_batch(self, indices) -> list[Shot]:
        """Plan the patterns ``indices``, with the batch's random streams seeded together.

        Each pattern draws from its own streams, one after the other (:meth:`_draw_shot`); the
        arithmetic on those draws that needs no further randomness (orientations from their
        uniforms, fluence at the particles' positions) is then done once for the whole batch
        (:meth:`_complete`), with the same numpy functions, so the plans are those of one pattern
        at a time."""
        idx = np.asarray(list(indices), dtype=np.int64)
        shot_words = self._streams.states(idx, 0)
        keys = self._streams.keys(idx, 1)
        ring_words = self._streams.states(idx, 2) if self.rings.active else None
        return self._complete([self._draw_shot(int(i), self._streams.generator(shot_words[j]), keys[j],
                                               None if ring_words is None else ring_words[j])
                               for j, i in enumerate(idx)])

    def _draw_shot(self, index: int, rng: np.random.Generator, key: np.uint64, ring_words) -> _Draft:
        """Every random draw of one pattern, in stream order."""
        rec = self.recipe
        cls = self._class_names[choose(rng, self._class_cdf)]
        pulse = self.beam.sample_pulse_energy(rng)
        h = rec.hits
        n_target = {"empty": 0, "single": 1, "mixed": 1}.get(cls, 0)
        if cls == "multiple":
            n_target = int(rng.integers(h.multiple.min, h.multiple.max + 1))
        elif cls == "aggregate":
            n_target = int(rng.integers(h.aggregate.min, h.aggregate.max + 1))
        n_cont = int(rng.integers(h.contaminant.min, h.contaminant.max + 1)) if cls in ("contaminant", "mixed") else 0
        names = [rec.target] * n_target
        names += [self._cont_names[choose(rng, self._cont_cdf)] for _ in range(n_cont)]
        draws = [self.species[n].draw(rng) for n in names]
        # Shoemake's three uniforms per particle (random_quaternions' draw), turned into
        # quaternions in _complete
        uniforms = rng.random((3, len(names))) if rec.random_orientation else None
        positions = self._positions(cls, draws, rng)
        groups = self._coherent_groups(cls, positions)
        rings = NO_RINGS
        if ring_words is not None:
            rings = self.rings.draw(self._streams.generator(ring_words))
        return _Draft(int(index), cls, float(pulse), key, names, draws, uniforms, positions, groups, rings)

    def _complete(self, drafts: list[_Draft]) -> list[Shot]:
        """Shots from drafts: orientations and fluences of all their particles in one pass each."""
        counts = [len(d.names) for d in drafts]
        total = sum(counts)
        if self.recipe.random_orientation:
            quats = quaternions_from_uniforms(np.concatenate([d.uniforms for d in drafts], axis=1))
        else:
            quats = np.tile([1.0, 0.0, 0.0, 0.0], (total, 1))
        positions = np.concatenate([d.positions for d in drafts]) if total else np.zeros((0, 3))
        pulses = np.repeat([d.pulse for d in drafts], counts)
        flu = self.beam.fluence_at(positions[:, 0], positions[:, 1], pulses) if total else np.zeros(0)
        shots = []
        start = 0
        for d, n in zip(drafts, counts):
            parts = [Particle(*p) for p in zip(d.names, d.draws, quats[start:start + n], d.positions,
                                                flu[start:start + n], d.groups)]
            parts.sort(key=lambda p: p.group)  # the kernel wants particles sorted by coherent group
            shots.append(Shot(d.index, d.hit_class, d.pulse, d.key, parts, d.rings))
            start += n
        return shots

    def _random_point(self, rng) -> tuple[float, float, float]:
        inj = self.recipe.injection
        u_r, u_phi, u_z = rng.random(3).tolist()  # the same three doubles as three rng.random() calls
        r = inj.hit_diameter_m / 2 * math.sqrt(u_r)
        phi = 2 * math.pi * u_phi
        z = (u_z - 0.5) * inj.depth_m
        return (r * math.cos(phi), r * math.sin(phi), z)

    @staticmethod
    def _unit(rng) -> np.ndarray:
        v = rng.normal(size=3)
        return v / np.linalg.norm(v)

    def _positions(self, cls, draws, rng) -> np.ndarray:
        n = len(draws)
        pos = np.zeros((n, 3))
        if n == 0:
            return pos
        pos[0] = self._random_point(rng)
        sep = self.recipe.hits.separation_m
        for k in range(1, n):
            if cls == "aggregate":
                # stick to a random earlier particle, touching, avoiding overlaps (50 tries)
                for _ in range(50):
                    j = int(rng.integers(0, k))
                    cand = pos[j] + self._unit(rng) * (draws[j].bounding_radius_m + draws[k].bounding_radius_m) * 0.9
                    dists = np.linalg.norm(pos[:k] - cand, axis=1)
                    lim = np.array([0.85 * (draws[i].bounding_radius_m + draws[k].bounding_radius_m) for i in range(k)])
                    if np.all(dists >= lim):
                        break
                pos[k] = cand
            elif cls == "multiple" and sep is not None:
                pos[k] = pos[0] + self._unit(rng) * rng.uniform(*sep)
            else:
                pos[k] = self._random_point(rng)
        return pos

    def _coherent_groups(self, cls, pos) -> np.ndarray:
        n = len(pos)
        if n < 2:
            return np.zeros(n, dtype=np.int32)
        slope = self.q_max / self.beam.k_m
        parent = list(range(n))

        def find(a):
            while parent[a] != a:
                parent[a] = parent[parent[a]]
                a = parent[a]
            return a

        # interfere where the sub-pixels resolve the pair's fringes with samples_per_fringe each
        # (at k = 1: where the phase changes by less than 2π / samples_per_fringe per pixel)
        limit = 2 * math.pi * self.pixel_samples / self.recipe.pixel_integration.samples_per_fringe
        for a in range(n):
            for b in range(a + 1, n):
                d = pos[b] - pos[a]
                phase_per_pixel = self.q_step * (math.hypot(d[0], d[1]) + abs(d[2]) * slope)
                if phase_per_pixel < limit:
                    parent[find(b)] = find(a)
        roots = [find(a) for a in range(n)]
        _, inv = np.unique(roots, return_inverse=True)
        return inv.astype(np.int32)

    # ------------------------------------------------------------------ rendering
    def particle_arrays(self, shots: list[Shot]) -> ParticleArrays:
        """Kernel arrays for a batch of planned shots (one vectorised pass over all particles)."""
        counts = np.array([len(s.particles) for s in shots], dtype=np.int64)
        start = np.zeros(len(shots) + 1, dtype=np.int64)
        np.cumsum(counts, out=start[1:])
        parts = [p for s in shots for p in s.particles]
        n = max(len(parts), 1)
        mat = np.zeros((n, 3, 3))
        amp = np.zeros((n, 2))
        pos = np.zeros((n, 3))
        cluster = np.zeros(n, dtype=np.int64)
        species = np.zeros(n, dtype=np.int64)
        if parts:
            names, draws, quats, p, flu, g = zip(*parts)
            scale = np.array([d.scale for d in draws])
            # kernel matrix s Rᵀ: the particle frame sees q' = s Rᵀ q
            mat[:] = scale[:, None, None] * quaternion_to_matrix(np.array(quats)).transpose(0, 2, 1)
            a = np.sqrt(np.array(flu)) * np.array([d.amplitude for d in draws], dtype=complex)
            amp[:, 0], amp[:, 1] = a.real, a.imag
            pos[:] = p
            cluster[:] = g
            species[:] = [d.table_index for d in draws]
        weights = self.template_weights(shots)
        keys = np.array([s.key for s in shots], dtype=np.uint64)
        return ParticleArrays(part_start=start, weights=np.ascontiguousarray(weights), keys=keys, mat=mat, amp=amp,
                              pos=pos, cluster=cluster, species=species)

    def template_weights(self, shots: list[Shot]) -> np.ndarray:
        """(n_shots, n_templates) multipliers of the additive images: background and rings scale
        with each shot's pulse energy; rings also with their drawn thickness."""
        bg_scale = np.array([s.pulse_energy_j for s in shots]) / self.beam.pulse_energy_j
        weights = bg_scale[:, None]
        if self.rings.active:
            weights = np.hstack([weights, bg_scale[:, None] * np.array([s.rings.weights() for s in shots])])
        return np.ascontiguousarray(weights)

    def render(self, shots: list[Shot], noise: bool | None = None):
        """Render planned shots → (images (B, ny, nx), pattern truth, particle truth)."""
        from diffbench.simulate.spi import kernels

        noise = self.noise if noise is None else noise
        b = len(shots)
        npix = self.valid.size
        out = np.empty((b, npix), dtype=self.count_dtype if noise else np.float32)
        photons, expected, saturated = np.zeros(b, np.int64), np.zeros(b), np.zeros(b, np.int64)
        ks = np.array([self.shot_samples(s) for s in shots], dtype=np.int64)
        for k in np.unique(ks):  # one kernel call per sub-pixel count
            sel = np.flatnonzero(ks == k)
            whole = sel.size == b
            part = [shots[i] for i in sel]
            per_block = max(1, kernels.BLOCK // int(k) ** 2)  # as the kernel splits the work
            nblocks = (npix + per_block - 1) // per_block
            sums = BlockSums(np.zeros((sel.size, nblocks), dtype=np.int64),
                             np.zeros((sel.size, nblocks), dtype=np.float64),
                             np.zeros((sel.size, nblocks), dtype=np.int64))
            dest = out if whole else np.empty((sel.size, npix), dtype=out.dtype)
            kernels.render(self.pixel_arrays(k), self.particle_arrays(part), self.kernel_tables(), noise,
                           self.saturation, dest, sums)
            if not whole:
                out[sel] = dest
            # sums over blocks in block order: independent of threads and batching
            photons[sel] = sums.photons.sum(axis=1)
            expected[sel] = sums.expected.sum(axis=1)
            saturated[sel] = sums.saturated.sum(axis=1)
        if not np.all(np.isfinite(expected) & (expected < MAX_EXPECTED_PHOTONS)):
            bad = float(np.max(np.where(np.isfinite(expected), expected, np.inf)))
            raise ValueError(f"recipe: {bad:.3g} expected photons in a pattern (at most {MAX_EXPECTED_PHOTONS:.0e}: "
                             "beyond, counts overflow); check beam.pulse_energy_j, the species' sizes and "
                             "background")
        truth = self.pattern_truth(shots, photons, expected, saturated, noise)
        self.ring_truth(truth, shots, self.template_weights(shots))
        parts = self.particle_truth(shots)
        if noise and self.effects.active:  # the truth keeps the photons; the frames are the detector's report
            out = self.effects.apply(out, [s.index for s in shots])
        return out.reshape((b,) + self.detector.shape), truth, parts

    def pattern_truth(self, shots, photons, expected, saturated, noise) -> np.ndarray:
        """The pattern table of rendered shots, given each one's photons, expected photons and
        saturated pixels (the kernel's block sums, added in block order)."""
        t = np.zeros(len(shots), dtype=PATTERN_DTYPE)
        target = self.recipe.target
        n_all = np.array([len(s.particles) for s in shots], dtype=np.int32)
        n_t = np.array([sum(1 for p in s.particles if p.species == target) for s in shots], dtype=np.int32)
        t["multiplicity"] = n_all
        t["hit_class"] = [s.hit_class for s in shots]
        t["is_single_hit"] = (n_t == 1) & (n_all == 1)
        t["n_target"] = n_t
        t["n_contaminant"] = n_all - n_t
        t["n_coherent_groups"] = [len({p.group for p in s.particles}) for s in shots]
        t["pulse_energy_j"] = [s.pulse_energy_j for s in shots]
        t["fluence_photons_per_m2"] = self.beam.peak_fluence(t["pulse_energy_j"])
        t["beam_center_xy_px"] = self.detector.beam_center_xy_px
        t["expected_photons_total"] = expected
        if noise:
            t["photons_total"] = photons
            t["n_saturated"] = saturated
        else:
            t["photons_total"] = np.rint(t["expected_photons_total"]).astype(np.int64)
        return t

    def ring_truth(self, t: np.ndarray, shots, weights: np.ndarray) -> None:
        """Fill the ring fields: what each shot held and the expected ring photons on valid pixels."""
        if not self.rings.active:
            return
        totals = weights[:, 1:] * self.rings.template_totals
        t["ice_type"] = [s.rings.ice_type for s in shots]
        t["ice_thickness_m"] = [s.rings.ice_thickness_m for s in shots]
        t["ice_cubicity"] = [s.rings.cubicity for s in shots]
        t["ice_expected_photons"] = totals[:, 0] + totals[:, 1]
        t["amorphous_material"] = [self.recipe.rings.amorphous.material if s.rings.amorphous_thickness_m > 0 else ""
                                   for s in shots]
        t["amorphous_thickness_m"] = [s.rings.amorphous_thickness_m for s in shots]
        t["amorphous_expected_photons"] = totals[:, 2]

    def particle_truth(self, shots) -> np.ndarray:
        rows = [(s.index, p) for s in shots for p in s.particles]
        out = np.zeros(len(rows), dtype=PARTICLE_DTYPE)
        if not rows:
            return out
        idx, parts = zip(*rows)
        names, draws, quats, pos, flu, g = zip(*parts)
        out["pattern_index"] = idx
        out["species"] = names
        out["shape"] = [self.recipe.species[n].shape for n in names]
        out["is_target"] = [n == self.recipe.target for n in names]
        out["diameter_m"] = [d.diameter_m for d in draws]
        out["size_m"] = [d.size_m for d in draws]
        out["shape_param"] = [d.shape_param for d in draws]
        out["orientation_wxyz"] = quats
        out["position_m"] = pos
        out["fluence_photons_per_m2"] = flu
        out["coherent_group"] = g
        return out

    def simulate(self, indices, noise: bool | None = None):
        """Plan and render the given pattern indices in one batch."""
        return self.render(self.plan_batch(indices), noise=noise)

    def point_groups(self) -> dict[str, str]:
        return {n: s.point_group for n, s in self.species.items()}

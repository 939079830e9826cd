"""3-D EMC: a particle's intensity volume and each frame's orientation from single-particle patterns
(Loh & Elser 2009; Dragonfly, Ayyer et al. 2016, as methods.md §2.1 reads it; paper 000 orients
its PR772 singles this way).

States r are orientations R_r of the refined 600-cell (:func:`~diffbench.geometry.sampling.cell600_sampling`,
``num_div``), reduced to the asymmetric unit of the particle's point group when one is given.
Frames are photon counts K_dt on cells t: square blocks of ``bin_px`` × ``bin_px`` pixels about
the beam (:func:`~diffbench.methods.em2d.beam_cells`), each at the mean of its pixels' exact
Ewald-sphere q-vectors q_t. The model is the intensity V(q) on a cubic grid (side 2 ``grid_radius``
+ 1, centred on q = 0, spacing dq = q_max / ``grid_radius``) in the particle frame; state r predicts
cell t to hold φ_d · W_rt with W_rt = c_t · V(R_rᵀ q_t), c_t the cell's summed solid angle ×
polarisation (sr; Dragonfly's ``det.corr``), so V is in photons per steradian at scale φ = 1.

One iteration, as the 2-D EMC of :mod:`diffbench.methods.em2d`:

- E-step: L_dr = log w_r + Σ_t K_dt log W_rt − φ_d Σ_t W_rt; P_dr ∝ exp(β_d (L_dr − max_r L_dr));
- scales φ_d ← Σ_t K_dt / Σ_r P_dr Σ_t W_rt (the first iteration rescales the model globally so
  that its mean slice holds the mean photon count);
- M-step: V(x) ← Σ_{r,t} a(x; R_rᵀ q_t) Σ_d P_dr K_dt / Σ_{r,t} a(x; R_rᵀ q_t) c_t Σ_d P_dr φ_d,
  a the trilinear weights (:mod:`.emc_kernels`); then V is symmetrised: over the point group
  (V(x) ← mean_g V(g x)) and, with ``friedel``, V(x) ← (V(x) + V(−x)) / 2;
- β annealing: β_d0 = exp(−6.5 (N_d · 1e-5)^0.15) (Dragonfly's ``calc_beta``) unless ``beta`` is
  given, times ``beta_jump`` every ``beta_period`` iterations, capped at 1.

The grid must sample the speckle: dq ≤ π / D for a particle of diameter D (the intensity's
autocorrelation reaches 2D), else the slices of even the true volume misplace the fringes. Measured
on 400 simulated GroEL singles (D ≈ 15 nm, ~1,600 photons, 8 × 8-binned pnCCD): with the true
volume and true orientations the true orientation has the higher Poisson likelihood for 72 % of
frames at dq = 5.1·10⁸ /m, 95 % at 2.5·10⁸ and 100 % at 1.6·10⁸; the reconstruction at 1.6·10⁸
(``grid_radius=36``, ``num_div=4``, 12 iterations) found orientations to a median 12.8° (chance
46.5°, D7-aware) and an intensity whose shell correlation with the truth is 0.81–0.99 over the
first 11 shells. Choose ``grid_radius`` (or cut ``r_max_px``) accordingly.

The start is the spherical average of the data (every frame's mean radial profile, as a function
of |q|) times a little seeded noise, so a fixed ``random_state`` gives the same result. With
``start="truth"`` it is instead the volume the frames build at their true orientations (``y``,
quaternions; :meth:`merge`): an oracle that reads the truth, the best model these very frames can
give, and with ``n_iter=0`` the orientations found against it bound what any EMC can assign. ``fit``
runs on any frames with their geometry: a data set, a selection of its frames, or a Dragonfly export
(:func:`diffbench.methods.frames.from_emc_export`). It returns the volume (``model_``) and every training frame's most probable orientation
(``orientations_``, quaternions, and its probability ``orientation_probability_``);
:meth:`predict_orientations` does the E-step alone for other frames.
"""

from __future__ import annotations

import math

import numpy as np

from diffbench.methods.base import Method, MethodTags
from diffbench.methods.em2d import beam_cells, empirical_beta
from diffbench.methods.emc_kernels import cell_counts, merge_into, poisson_estep, slice_volume
from diffbench.methods.frames import as_frames
from diffbench.utils.progress import progress_bar

_TINY = 1e-300
_BLOCK = 256  # orientations sliced or merged at a time


class EMC3D(Method):
    """3-D EMC reconstruction (see the module docstring).

    grid_radius : model grid radius in voxels. num_div : 600-cell refinement (4: 3,240 orientations
    before the point-group reduction). n_iter : EM iterations. point_group : the particle's (e.g.
    "I", "O", "D7"; "C1" none). bin_px : detector pixels per cell side (None: chosen so the cells
    reach ``r_max_px`` in about ``grid_radius`` cells). r_min_px, r_max_px : cells used (radius from
    the beam). friedel : symmetrise V(q) = V(−q). beta, beta_jump, beta_period : annealing.
    chunk_size : frames per E-step block. random_state : seeds the start.
    """

    def __init__(self, grid_radius: int = 16, num_div: int = 4, n_iter: int = 10, point_group: str = "C1",
                 bin_px: int | None = None, r_min_px: float = 2.0, r_max_px: float | None = None,
                 friedel: bool = True, beta: float | None = None, beta_jump: float = 2.0, beta_period: int = 10,
                 start: str = "spherical", chunk_size: int = 256, progress: bool | None = None, random_state: int | None = 0):
        self.grid_radius = grid_radius
        self.num_div = num_div
        self.n_iter = n_iter
        self.point_group = point_group
        self.bin_px = bin_px
        self.r_min_px = r_min_px
        self.r_max_px = r_max_px
        self.friedel = friedel
        self.beta = beta
        self.beta_jump = beta_jump
        self.beta_period = beta_period
        self.start = start
        self.chunk_size = chunk_size
        self.progress = progress
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(output="orientation", requires_y=self.start == "truth")

    # ---- set-up ----------------------------------------------------------------------------
    def _check(self):
        for name in ("grid_radius", "num_div", "n_iter", "beta_period", "chunk_size"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < (0 if name == "n_iter" else 1):
                raise ValueError(f"{type(self).__name__}: {name} must be a positive integer, got {v!r}")
        if self.start not in ("spherical", "truth"):
            raise ValueError(f"{type(self).__name__}: start must be 'spherical' or 'truth', got {self.start!r}")
        if self.beta is not None and not 0 < self.beta <= 1:
            raise ValueError(f"{type(self).__name__}: beta must be in (0, 1] or None, got {self.beta!r}")

    def _geometry(self, frames):
        from diffbench.geometry.detector import polarisation_factor, q_vectors
        from diffbench.methods.features import ring_radius_px

        if frames.geometry is None:
            raise ValueError(f"{type(self).__name__} needs the detector and beam: pass a diffbench SPI dataset")
        det, beam = frames.geometry
        ny, nx = frames.frame_shape[-2:]
        cx, cy = frames.center()
        r_max = self.r_max_px if self.r_max_px is not None else ring_radius_px((ny, nx), (cx, cy))
        bin_px = self.bin_px or max(1, math.ceil(r_max / self.grid_radius))
        cells, _, n_pix = beam_cells((ny, nx), (cx, cy), frames.valid, bin_px, self.r_min_px, r_max)
        if n_pix.size == 0:
            raise ValueError(f"{type(self).__name__}: no valid detector cells between r_min_px={self.r_min_px} "
                             f"and r_max_px={r_max}")
        q = q_vectors(det, beam).reshape(-1, 3)
        corr = (det.solid_angle_sr() * polarisation_factor(det, beam)).ravel()
        used = cells >= 0
        c = cells[used]
        q_cell = np.stack([np.bincount(c, q[used, k], n_pix.size) for k in range(3)], axis=1) / n_pix[:, None]
        corr_cell = np.bincount(c, corr[used], n_pix.size)
        dq = float(np.linalg.norm(q_cell, axis=1).max()) / (self.grid_radius - 1)  # trilinear reach inside the grid
        return cells, q_cell, corr_cell, dq, bin_px

    def _counts(self, frames) -> np.ndarray:
        return cell_counts(frames, self.cell_index_, len(self.cell_corr_))

    def _orientations(self):
        from diffbench.geometry.sampling import asymmetric_sampling

        return asymmetric_sampling(int(self.num_div), self.point_group)

    def _positions(self, quats):
        """Blocks (start, (m, T, 3)) of each cell's q in the particle frame, R_rᵀ q_t, in voxels, array
        axes (z, y, x), for ``_BLOCK`` orientations at a time (the trilinear corners of all 3,240 × T
        points at once would take gigabytes)."""
        from diffbench.geometry.orientation import quaternion_to_matrix

        for s in range(0, len(quats), _BLOCK):
            rot = quaternion_to_matrix(quats[s:s + _BLOCK])  # Rᵀ q = q R for row vectors q
            # (q R)[..., ::-1] as q (R with its columns reversed): contiguous, no copy for the kernels
            yield s, np.matmul(self.cell_q_m_ / self.dq_m_, np.ascontiguousarray(rot[:, :, ::-1]))

    # ---- EM --------------------------------------------------------------------------------
    def _tomograms(self, model, quats) -> np.ndarray:
        """W (M, T): expected photons per orientation and cell at φ = 1."""
        W = np.empty((len(quats), len(self.cell_corr_)))
        for s, pos in self._positions(quats):
            W[s:s + len(pos)] = slice_volume(model, pos)
        return np.maximum(W * self.cell_corr_[None, :], _TINY)

    def _merge(self, quats, num, den, n_grid):
        g_num, g_w = np.zeros((n_grid,) * 3), np.zeros((n_grid,) * 3)
        for s, pos in self._positions(quats):
            merge_into(g_num, pos, num[s:s + len(pos)])
            merge_into(g_w, pos, den[s:s + len(pos), None] * self.cell_corr_[None, :])
        return g_num, g_w


    def _symmetrise(self, model, group):
        n = model.shape[0]
        c = n // 2
        grid = np.stack(np.meshgrid(*[np.arange(n) - c] * 3, indexing="ij"), axis=-1).reshape(-1, 3).astype(float)
        if len(group) > 1:
            from diffbench.geometry.orientation import quaternion_to_matrix

            xyz = grid[:, ::-1]  # array axes (z, y, x) -> (x, y, z)
            acc = np.zeros(len(grid))
            for r in quaternion_to_matrix(group):
                acc += slice_volume(model, (xyz @ r.T)[:, ::-1])  # V(g x)
            model = acc.reshape(model.shape) / len(group)
        if self.friedel:
            model = 0.5 * (model + model[::-1, ::-1, ::-1])
        return model

    def _initial_model(self, K, rng):
        """Spherical average of the data (mean photons per sr against |q|), times 1 ± 5 % noise."""
        qn = np.linalg.norm(self.cell_q_m_, axis=1) / self.dq_m_
        per_sr = K.mean(axis=0) / self.cell_corr_
        order = np.argsort(qn)
        n = 2 * self.grid_radius + 1
        r = np.linalg.norm(np.stack(np.meshgrid(*[np.arange(n) - n // 2] * 3, indexing="ij"), -1), axis=-1)
        model = np.interp(r, qn[order], per_sr[order])
        return np.maximum(model * (1 + 0.05 * rng.standard_normal(model.shape)), 0.0)

    def fit(self, X, y=None):
        """Run ``n_iter`` EMC iterations on the frames (progress over iterations when ``progress``
        is true, or None and stderr is a terminal)."""
        with progress_bar(self.n_iter, "emc3d", self.progress) as bar:
            task = bar.add_task("emc3d: EM iterations", total=self.n_iter) if bar else None
            return self._fit(X, (lambda: bar.advance(task)) if bar else None, y)

    def _set_up(self, frames):
        self._check()
        cells, q_cell, corr_cell, dq, bin_px = self._geometry(frames)
        self.cell_index_, self.cell_q_m_, self.cell_corr_, self.dq_m_, self.bin_px_ = cells, q_cell, corr_cell, dq, bin_px

    def merge(self, X, quaternions):
        """The volume the frames build at the given orientations (one per frame, particle → lab), each
        frame weighted by its photons relative to the mean (its fluence), symmetrised as in
        ``fit``: sets ``model_`` (photons per sr at the mean fluence) and ``coverage_`` and returns
        self. How a benchmark turns any method's orientations (or the truth's) into a structure."""
        from diffbench.geometry.symmetry import point_group

        frames = as_frames(X)
        q = np.asarray(quaternions, dtype=np.float64)
        if q.shape != (len(frames), 4):
            raise ValueError(f"{type(self).__name__}.merge: need one quaternion per frame, (N, 4) = "
                             f"({len(frames)}, 4), got {q.shape}")
        self._set_up(frames)
        K = self._counts(frames)
        photons = K.sum(axis=1)
        phi = photons / max(photons.mean(), _TINY)
        n_grid = 2 * self.grid_radius + 1
        g_num, g_w = self._merge(q / np.linalg.norm(q, axis=1, keepdims=True), K, phi, n_grid)
        covered = g_w > 0
        model = np.divide(g_num, g_w, out=np.zeros_like(g_num), where=covered)
        self.model_ = self._symmetrise(model, point_group(self.point_group))
        self.coverage_ = covered
        return self

    def _fit(self, X, advance, y=None):
        frames = as_frames(X)
        if self.start == "truth":
            if y is None:
                raise ValueError(f"{type(self).__name__}(start='truth') needs the true orientations y: it is an "
                                 "oracle, not a method")
            self.merge(frames, y)
        else:
            self._set_up(frames)
        sampling, group = self._orientations()
        self.quaternions_, self.orientation_weights_ = sampling
        quats = sampling.quaternions
        log_prior = np.log(sampling.weights)
        K = self._counts(frames)
        n = len(K)
        photons = K.sum(axis=1)
        if not (photons > 0).any():
            raise ValueError(f"{type(self).__name__}: the frames hold no photons in the used cells")
        rng = np.random.default_rng(self.random_state)
        model = self.model_ if self.start == "truth" else self._symmetrise(self._initial_model(K, rng), group)
        phi = np.ones(n)
        beta0 = empirical_beta(photons) if self.beta is None else np.full(n, float(self.beta))
        self.log_likelihood_ = []
        n_grid = model.shape[0]
        for it in range(1, self.n_iter + 1):
            W = self._tomograms(model, quats)
            sumw = W.sum(axis=1)
            if it == 1 and self.start != "truth":  # global rescale: the mean slice holds the mean photon count (Dragonfly)
                scale = photons.mean() / sumw.mean()
                model, W, sumw = model * scale, np.maximum(W * scale, _TINY), sumw * scale
            beta = np.minimum(1.0, beta0 * self.beta_jump ** ((it - 1) // self.beta_period))
            num, den, loglik = np.zeros(W.shape), np.zeros(W.shape[0]), 0.0
            new_phi = np.empty(n)
            for s in range(0, n, self.chunk_size):
                k, f = K[s:s + self.chunk_size], phi[s:s + self.chunk_size]
                P, ll = poisson_estep(k, W, log_prior[None, :], f, beta[s:s + self.chunk_size])
                loglik += ll.sum()
                f = np.maximum(k.sum(axis=1), _TINY) / (P @ sumw)
                new_phi[s:s + len(k)] = f
                num += P.T @ k
                den += P.T @ f
            phi = new_phi
            g_num, g_w = self._merge(quats, num, den, n_grid)
            covered = g_w > 0
            model = np.where(covered, np.divide(g_num, g_w, out=np.zeros_like(g_num), where=covered), model)
            model = self._symmetrise(model, group)
            self.log_likelihood_.append(loglik / n)
            if advance is not None:
                advance()
        if self.n_iter:
            self.model_, self.coverage_ = model, covered
        self.beta_final_factor_ = self.beta_jump ** ((self.n_iter - 1) // self.beta_period)
        self.orientations_, self.orientation_probability_, self.scales_ = self._assign(K, model, quats, log_prior)
        return self

    def _assign(self, K, model, quats, log_prior):
        W = self._tomograms(model, quats)
        sumw = W.sum(axis=1)
        photons = K.sum(axis=1)
        phi = np.maximum(photons, _TINY) / sumw.mean()
        beta0 = empirical_beta(photons) if self.beta is None else np.full(len(K), float(self.beta))
        beta = np.minimum(1.0, beta0 * self.beta_final_factor_)
        best, prob = np.empty(len(K), np.int64), np.empty(len(K))
        for s in range(0, len(K), self.chunk_size):
            k, f, b = K[s:s + self.chunk_size], phi[s:s + self.chunk_size], beta[s:s + self.chunk_size]
            for _ in range(3):
                P, _ = poisson_estep(k, W, log_prior[None, :], f, b)
                f = np.maximum(k.sum(axis=1), _TINY) / (P @ sumw)
            best[s:s + len(k)] = P.argmax(axis=1)
            prob[s:s + len(k)] = P.max(axis=1)
            phi[s:s + len(k)] = f
        return self.quaternions_[best], prob, phi

    def predict_orientations(self, X) -> np.ndarray:
        """Most probable orientation (quaternion, particle → lab) of each frame under the fitted model."""
        K = self._counts(as_frames(X))
        q, _, _ = self._assign(K, self.model_, self.quaternions_, np.log(self.orientation_weights_))
        return q

    def predict(self, X) -> np.ndarray:
        """(N, 4) quaternions: :meth:`predict_orientations` (what a benchmark's orientation task scores)."""
        return self.predict_orientations(X)

    def q_grid_m(self) -> np.ndarray:
        """(n, n, n, 3) q (1/m, x y z) of the model's voxels, in the particle frame."""
        n = self.model_.shape[0]
        ax = (np.arange(n) - n // 2) * self.dq_m_
        z, y, x = np.meshgrid(ax, ax, ax, indexing="ij")
        return np.stack([x, y, z], axis=-1)

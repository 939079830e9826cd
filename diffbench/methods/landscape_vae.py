"""A β-VAE of class averages whose decoder is an intensity volume with the particle's symmetry
(paper 001, Appendix B; cryoDRGN-like, methods.md §4): the latent z of an average should follow the
particle's structural state (a gold cube melting into a sphere), not its orientation or brightness.

Pipeline, as the paper's:

1. **Averages normalised**: each to unit sum over its valid grid points, then divided by the data
   set's radial-average profile (the decoder learns what differs from the spherical average).
2. **Orientation and gain of each average**: the best Pearson correlation of the normalised
   average with the slices of an ideal cube's intensity |sinc(q_x a/2) sinc(q_y a/2) sinc(q_z a/2)|²
   (edge a = ``reference_edge_m``, the paper's 42 nm; a model assumption, not the truth), over the
   refined 600-cell orientations (``num_div``) reduced to the cube's asymmetric unit; slices are
   read at the averages' exact Ewald-sphere q-vectors. gain = best / mean correlation.
3. **Encoder** (:class:`~diffbench.methods.vae_networks.Encoder`): the normalised average plus its
   orientation quaternion and gain → μ, log σ² of z (``z_dim`` 1 or 2).
4. **Decoder** (:class:`~diffbench.methods.vae_networks.Decoder`): a coordinate network of the O_h
   invariants of q (exactly cube-symmetric and centrosymmetric) and z → the log of the intensity
   relative to the radial average, evaluated at R_avgᵀ q of each grid point (the slice at the
   average's orientation). Which decoder: a coordinate MLP (the issue allows it where a voxel
   decoder is too slow; a 161³ conv-transpose decoder is the paper's).
5. **Loss**: mean squared error of log(0.1 + normalised average), predicted against observed, over
   the valid grid points + β · KL / (number of grid points) (cryoDRGN's scaling; β = 1 / z_dim by
   default), Adam. The paper's loss is the squared error of the normalised averages themselves; on
   cube averages that ratio spans three orders of magnitude and its squared error, dominated by the
   brightest streak pixels, trained no size into z (synthetic cubes of 34-50 nm: |ρ(z, edge)| 0.17
   after 200 epochs), hence the log.

``transform`` answers μ (the latent of each average); :meth:`decode` gives the intensity at any q
for any z (the decoded volume, in the units of the normalised averages times the radial average).
"""

from __future__ import annotations

import numpy as np

from diffbench.methods.base import Method, MethodTags, channels_last, torch_unavailable
from diffbench.methods.frames import as_frames


def ideal_cube_intensity(q: np.ndarray, edge_m: float) -> np.ndarray:
    """|F|² of a uniform cube of edge ``edge_m`` (axes along x, y, z) at q (..., 3) in 1/m,
    normalised to 1 at q = 0: Π_i sinc²(q_i a / 2)."""
    x = np.asarray(q, dtype=np.float64) * edge_m / 2
    return np.prod(np.sinc(x / np.pi) ** 2, axis=-1)


def _radial_bins(qn: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The |q| bin of each point (values beyond the outer edges in the outer bins)."""
    return np.clip(np.searchsorted(edges, qn, side="right") - 1, 0, len(edges) - 2)


def _radial_profile(images: np.ndarray, bins: np.ndarray, n_bins: int) -> np.ndarray:
    """Mean over images and over the pixels of each |q| bin."""
    return np.bincount(bins, images.mean(axis=0), n_bins) / np.maximum(np.bincount(bins, minlength=n_bins), 1)


#: The reconstruction loss compares log(ε + I / I_radial): the ratio spans three orders of magnitude
#: across a cube's streaks, and its plain squared error is dominated by the brightest streak pixels
_EPS = 0.1


def _standardise(a: np.ndarray) -> np.ndarray:
    """Rows with mean 0 and norm 1: their dot products are Pearson correlations."""
    a = a - a.mean(axis=1, keepdims=True)
    return a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-30)


class LandscapeVAE(Method):
    """β-VAE of class averages with a cube-symmetric intensity decoder (see the module docstring).

    z_dim : latent dimension (1 or 2, as the paper). n_epochs, batch_size, learning_rate : Adam
    training. beta : KL weight (None: 1 / z_dim). reference_edge_m : edge of the ideal cube used to
    orient the averages. num_div : 600-cell refinement of the orientation search (8: 1,070
    orientations in the cube's asymmetric unit). device : torch device. random_state : seeds the
    weights and the batches.

    Fitted: ``encoder_``, ``decoder_``, ``poses_`` (N, 5: quaternion and gain of each average),
    ``loss_`` per epoch, ``radial_`` (the normalising profile, on ``radial_edges_``), ``templates_`` (the
    orientations searched and the ideal cube's slices at them).
    """

    def __init__(self, z_dim: int = 1, n_epochs: int = 100, batch_size: int = 32, learning_rate: float = 1e-3,
                 beta: float | None = None, reference_edge_m: float = 42e-9, num_div: int = 8, device: str = "cpu",
                 random_state: int = 0):
        self.z_dim = z_dim
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.beta = beta
        self.reference_edge_m = reference_edge_m
        self.num_div = num_div
        self.device = device
        self.random_state = random_state

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(output="latent", neural=True)

    unavailable = staticmethod(torch_unavailable)

    # ---- data ------------------------------------------------------------------------------
    def _read(self, X):
        from diffbench.geometry.detector import q_vectors

        frames = as_frames(X)
        if frames.geometry is None:
            raise ValueError("LandscapeVAE needs the averages' geometry (q-vectors): score it on a task with "
                             "averages of a diffbench data set")
        images = frames.array()
        valid = np.ones(images.shape[1:], bool) if frames.valid is None else np.asarray(frames.valid, bool)
        q = q_vectors(*frames.geometry)[valid]
        flat = images[:, valid]
        sums = flat.sum(axis=1, keepdims=True)
        return flat / np.where(sums > 0, sums, 1.0), q, valid, images.shape[1:]

    def _normalised(self, flat):
        return flat / np.maximum(self.radial_[self.radial_bin_], 1e-30)

    def _templates(self) -> tuple[np.ndarray, np.ndarray]:
        """(orientations, standardised normalised slices of the ideal cube at them): the search
        space of :meth:`_poses`, built once at ``fit``."""
        from diffbench.geometry.orientation import quaternion_to_matrix
        from diffbench.geometry.sampling import asymmetric_sampling

        quats = asymmetric_sampling(int(self.num_div), "O")[0].quaternions
        slices = ideal_cube_intensity(np.einsum("pc,mcd->mpd", self.q_, quaternion_to_matrix(quats)),
                                      self.reference_edge_m)
        slices = slices / np.maximum(_radial_profile(slices, self.radial_bin_, len(self.radial_))[self.radial_bin_], 1e-30)
        return quats, _standardise(slices)

    def _poses(self, norm: np.ndarray) -> np.ndarray:
        """(N, 5): best-matching orientation (quaternion, w ≥ 0) of each normalised average and its gain."""
        from diffbench.geometry.orientation import canonical

        quats, templates = self.templates_
        cc = _standardise(norm) @ templates.T  # (N, orientations)
        best = cc.argmax(axis=1)
        gain = cc.max(axis=1) / np.maximum(np.abs(cc.mean(axis=1)), 1e-12)
        return np.c_[canonical(quats[best]), gain]

    # ---- training --------------------------------------------------------------------------
    def fit(self, X, y=None):
        import torch

        from diffbench.methods.vae_networks import Decoder, Encoder

        if self.z_dim not in (1, 2, 3):
            raise ValueError(f"LandscapeVAE: z_dim must be 1, 2 or 3, got {self.z_dim!r}")
        flat, q, valid, shape = self._read(X)
        self.q_, self.valid_, self.shape_ = q, valid, shape
        qn = np.linalg.norm(q, axis=1)
        self.radial_edges_ = np.linspace(0, qn.max() * (1 + 1e-9), max(8, shape[0] // 2) + 1)
        self.radial_bin_ = _radial_bins(qn, self.radial_edges_)
        self.radial_ = _radial_profile(flat, self.radial_bin_, len(self.radial_edges_) - 1)
        norm = self._normalised(flat)
        self.templates_ = self._templates()
        self.poses_ = self._poses(norm)
        torch.manual_seed(self.random_state)
        dev = torch.device(self.device)
        q_max = float(np.linalg.norm(q, axis=1).max())
        self.encoder_ = channels_last(Encoder(self.z_dim).to(dev))
        self.decoder_ = Decoder(self.z_dim, q_max, seed=self.random_state).to(dev)
        images = self._image_tensor(norm, dev)
        target = torch.as_tensor(norm, dtype=torch.float32, device=dev)
        pose = torch.as_tensor(self.poses_, dtype=torch.float32, device=dev)
        qp = torch.as_tensor(self._particle_q(self.poses_[:, :4]), dtype=torch.float32, device=dev)
        opt = torch.optim.Adam([*self.encoder_.parameters(), *self.decoder_.parameters()], lr=self.learning_rate)
        beta = 1.0 / self.z_dim if self.beta is None else float(self.beta)
        gen = torch.Generator().manual_seed(self.random_state)
        n, n_pix = len(norm), norm.shape[1]
        self.loss_ = []
        for _ in range(self.n_epochs):
            total = 0.0
            for idx in torch.randperm(n, generator=gen).split(self.batch_size):
                mu, logvar = self.encoder_(images[idx], pose[idx])
                z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen).to(dev)
                pred = torch.exp(torch.clamp(self.decoder_(qp[idx], z), max=20.0))
                kl = -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp(), dim=1).mean()
                rec = ((torch.log(_EPS + pred) - torch.log(_EPS + target[idx])) ** 2).mean()
                loss = rec + beta * kl / n_pix
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
            self.loss_.append(total / n)
        return self

    def _image_tensor(self, norm: np.ndarray, dev):
        import torch

        img = np.zeros((len(norm),) + tuple(self.shape_), np.float32)
        img[:, self.valid_] = np.log(np.maximum(norm, 1e-3))  # log: the encoder sees fringes, not the brightest pixel
        return torch.as_tensor(img[:, None], device=dev)

    def _particle_q(self, quats: np.ndarray) -> np.ndarray:
        """(N, P, 3) each grid point's q in the particle frame, Rᵀ q, at each average's orientation."""
        from diffbench.geometry.orientation import quaternion_to_matrix

        return np.einsum("pc,ncd->npd", self.q_, quaternion_to_matrix(quats))

    # ---- answers ---------------------------------------------------------------------------
    def transform(self, X) -> np.ndarray:
        """(N, z_dim) μ of each average."""
        import torch

        flat, q, valid, shape = self._read(X)
        if shape != self.shape_ or not np.array_equal(valid, self.valid_):
            raise ValueError(f"LandscapeVAE: averages of shape {shape} on another grid than the fitted {self.shape_}")
        norm = self._normalised(flat)
        poses = self._poses(norm)
        dev = torch.device(self.device)
        with torch.no_grad():
            mu, _ = self.encoder_(self._image_tensor(norm, dev), torch.as_tensor(poses, dtype=torch.float32, device=dev))
        return mu.cpu().numpy().astype(np.float64)

    def decode(self, z, q_m: np.ndarray) -> np.ndarray:
        """Intensity of the decoded volume at latent ``z`` (z_dim,) and particle-frame q (..., 3) in 1/m,
        in units of the unit-sum averages (the radial average multiplied back)."""
        import torch

        q = np.asarray(q_m, dtype=np.float64)
        radial = self.radial_[_radial_bins(np.linalg.norm(q, axis=-1), self.radial_edges_)]
        with torch.no_grad():
            zt = torch.as_tensor(np.atleast_1d(z), dtype=torch.float32)[None]
            qt = torch.as_tensor(q.reshape(1, -1, 3), dtype=torch.float32)
            rel = torch.exp(self.decoder_(qt, zt)).numpy().reshape(q.shape[:-1])
        return rel * radial

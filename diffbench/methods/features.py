"""Shared features: radial profiles (PSD), centre crops, Fourier downsampling, log/standardise.

All functions take a batch ``(B, ny, nx)`` and are vectorised over it; masks are boolean
"valid" maps (True = use the pixel).
"""

from __future__ import annotations

import numpy as np

#: dtypes the binning kernels sum as stored; anything else (bool, float16, …) is cast to float64 first
KERNEL_DTYPES = tuple(np.dtype(t) for t in ("u1", "u2", "u4", "i1", "i2", "i4", "i8", "f4", "f8"))


def pixel_rows(frames) -> np.ndarray:
    """(B, ny, nx) frames → C-contiguous (B, ny·nx), in their own dtype when the binning kernels
    sum it as stored (photon counts are not cast), else as float64."""
    frames = np.asarray(frames)
    if frames.dtype not in KERNEL_DTYPES:
        frames = frames.astype(np.float64)
    return np.ascontiguousarray(frames.reshape(len(frames), -1))


class RadialBinning:
    """Azimuthal averaging of frames in rings around the beam centre, masked pixels left out.

    Bins are rings of ``bin_width_px`` pixels in radius from the centre (x, y) in pixels. Each
    pixel carries the index of its ring (−1 when masked or beyond ``max_radius_px``), and a numba
    kernel sums a batch of frames ring by ring in their stored dtype (float64 sums, no cast, one pass
    over the pixels). ``radius_px`` holds the bins' mean radius and, with ``q_m`` (|q| per pixel,
    1/m) given, ``q_bin_m`` their mean |q|. Rings with no valid pixel give NaN.
    """

    def __init__(self, shape, center_xy_px, valid=None, bin_width_px: float = 1.0, max_radius_px=None, q_m=None):
        ny, nx = shape
        y, x = np.mgrid[0:ny, 0:nx]
        r = np.hypot(x - center_xy_px[0], y - center_xy_px[1]).ravel()
        ok = np.ones(r.size, bool) if valid is None else np.array(valid, bool).ravel()  # a copy: never edit the caller's mask
        if max_radius_px is not None:
            ok &= r < max_radius_px
        b = (r / bin_width_px).astype(np.int64)
        n_bins = int(b[ok].max()) + 1 if ok.any() else 0
        counts = np.bincount(b[ok], minlength=n_bins).astype(float)
        self.shape = (ny, nx)
        self.bin_index = np.where(ok, b, -1).astype(np.int32)
        self.counts = counts
        self.n_bins = n_bins
        with np.errstate(divide="ignore", invalid="ignore"):
            self._inv_counts = np.where(counts == 0, np.nan, 1.0 / counts)  # empty rings come out NaN
            self.radius_px = np.bincount(b[ok], weights=r[ok], minlength=n_bins) / counts
            self.q_bin_m = (None if q_m is None else
                            np.bincount(b[ok], weights=np.asarray(q_m).ravel()[ok], minlength=n_bins) / counts)

    def __call__(self, frames: np.ndarray) -> np.ndarray:
        """(B, ny, nx) → (B, n_bins) mean intensity per ring (NaN for empty rings), float64."""
        from diffbench.methods.binning_kernels import scaled_bin_sums

        shape = np.shape(frames)[-2:]
        if shape != self.shape:
            raise ValueError(f"frames of shape {shape} do not match the binning's {self.shape}")
        flat = pixel_rows(frames)
        out = np.empty((len(flat), self.n_bins))
        if len(flat) and self.n_bins:
            scaled_bin_sums(flat, self.bin_index, self._inv_counts, out)
        return out

    def batches(self, frames, batch_size: int = 64):
        """Yield (start, profiles) over a :class:`~diffbench.methods.frames.Frames`, reading the
        frames in their stored dtype (blocks of 64 1024×512 frames keep the buffers in cache)."""
        for s, block in frames.batches(batch_size, dtype=None):
            yield s, self(block)


def ring_radius_px(shape, center_xy_px) -> float:
    """Outer radius (px) for rings about the beam centre: the largest whole ring inside the frame,
    or, when the centre sits near an edge (paper 000's half detector: whole rings shorter than half
    the longest half ring), the longest half ring."""
    ny, nx = shape
    cx, cy = center_xy_px
    whole = min(cx, cy, nx - 1 - cx, ny - 1 - cy)
    half = max(min(cx, nx - 1 - cx), min(cy, ny - 1 - cy))
    return half if whole < half / 2 else whole


def radial_profile(frames, center_xy_px, valid=None, bin_width_px: float = 1.0) -> np.ndarray:
    """Azimuthal average of each frame, (B, n_bins); see :class:`RadialBinning`."""
    frames = np.asarray(frames)
    return RadialBinning(frames.shape[-2:], center_xy_px, valid, bin_width_px)(frames)


def crop_center(frames, center_xy_px, size_yx) -> np.ndarray:
    """Crop ``size_yx`` = (h, w) pixels around the beam centre (rounded), zero-padded at the edges."""
    frames = np.asarray(frames)
    h, w = size_yx
    cx, cy = int(round(center_xy_px[0])), int(round(center_xy_px[1]))
    out = np.zeros(frames.shape[:-2] + (h, w), dtype=frames.dtype)
    y0, x0 = cy - h // 2, cx - w // 2
    ys, xs = max(0, y0), max(0, x0)
    ye, xe = min(frames.shape[-2], y0 + h), min(frames.shape[-1], x0 + w)
    if ye > ys and xe > xs:
        out[..., ys - y0:ye - y0, xs - x0:xe - x0] = frames[..., ys:ye, xs:xe]
    return out


def fourier_downsample(frames, shape=(128, 128)) -> np.ndarray:
    """Paper 004's featurisation: keep the central ``shape`` block of the centred 2-D FFT and
    transform back; real part, no rescaling (Ramalingam et al. 2020, LatentSpaceBuilder)."""
    from scipy import fft

    frames = np.asarray(frames, dtype=np.float32)
    ny, nx = frames.shape[-2:]
    h, w = shape
    if h > ny or w > nx:
        raise ValueError(f"cannot Fourier-downsample {ny}x{nx} frames to {h}x{w}")
    spec = fft.fftshift(fft.fft2(frames, workers=-1), axes=(-2, -1))
    y0, x0 = ny // 2 - h // 2, nx // 2 - w // 2
    block = spec[..., y0:y0 + h, x0:x0 + w]
    return fft.ifft2(fft.ifftshift(block, axes=(-2, -1)), workers=-1).real.astype(np.float32)


def log_transform(frames, offset: float = 1.0) -> np.ndarray:
    """log(offset + counts), the usual compression of photon counts."""
    return np.log(offset + np.asarray(frames, dtype=np.float32))


def standardise_frames(frames, valid=None) -> np.ndarray:
    """Each frame to zero mean and unit variance over its valid pixels (float32; masked pixels and
    frames without any variance become 0) — a per-pattern scaling, so that brightness (fluence,
    particle size) does not dominate distances; feature-wise scaling is scikit-learn's
    ``StandardScaler``."""
    x = np.array(frames, dtype=np.float32)
    ok = np.ones(x.shape[-2:], bool) if valid is None else np.asarray(valid, bool)
    v = x[..., ok]
    mean = v.mean(axis=-1, keepdims=True)
    std = v.std(axis=-1, keepdims=True)
    x[..., ok] = np.divide(v - mean, std, out=np.zeros_like(v), where=std > 0)
    x[..., ~ok] = 0.0
    return x


def polar_resample(frames, center_xy_px, n_radii: int, n_angles: int, r_max_px: float, valid=None,
                   r_min_px: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Frames on a polar grid about the beam centre: (B, n_radii, n_angles) by bilinear
    interpolation, with a (n_radii, n_angles) bool map of samples whose four neighbours are all
    valid pixels inside the frame (the rest are 0). Radii from ``r_min_px`` to ``r_max_px``
    (sample centres), angles φ = 2π k / n_angles counter-clockwise from +x."""
    frames = np.asarray(frames, dtype=np.float64)
    b, ny, nx = frames.shape
    r = r_min_px + (np.arange(n_radii) + 0.5) * (r_max_px - r_min_px) / n_radii
    phi = 2 * np.pi * np.arange(n_angles) / n_angles
    x = center_xy_px[0] + r[:, None] * np.cos(phi)[None, :]
    y = center_xy_px[1] + r[:, None] * np.sin(phi)[None, :]
    x0, y0 = np.floor(x).astype(int), np.floor(y).astype(int)
    fx, fy = x - x0, y - y0
    inside = (x0 >= 0) & (y0 >= 0) & (x0 + 1 < nx) & (y0 + 1 < ny)
    xc, yc = np.clip(x0, 0, nx - 2), np.clip(y0, 0, ny - 2)
    ok = inside.copy()
    if valid is not None:
        v = np.asarray(valid, bool)
        ok &= v[yc, xc] & v[yc, xc + 1] & v[yc + 1, xc] & v[yc + 1, xc + 1]
    out = ((1 - fx) * (1 - fy) * frames[:, yc, xc] + fx * (1 - fy) * frames[:, yc, xc + 1]
           + (1 - fx) * fy * frames[:, yc + 1, xc] + fx * fy * frames[:, yc + 1, xc + 1])
    return out * ok, ok


def angular_fourier_features(frames, center_xy_px, n_radii: int = 32, n_angles: int = 64, r_max_px: float | None = None,
                             orders: int = 12, valid=None) -> np.ndarray:
    """Rotation-invariant features (paper 001's in-plane-rotation-free descriptors): the moduli
    |c_m(r)| of the angular Fourier coefficients of each polar ring, m = 0 … ``orders``, each ring
    divided by its own c_0 (so the features describe shape, not brightness); (B, n_radii, orders+1).

    Rotating a pattern about the beam centre shifts every ring in φ, which changes only the phase
    of c_m: the moduli are invariant (to interpolation error). A ring with p-fold symmetry has
    weight only at multiples of p. Masked samples are 0, which leaks power into other orders on
    rings that cross a mask; use ``valid`` to know which rings are whole.
    """
    frames = np.asarray(frames)
    ny, nx = frames.shape[-2:]
    if r_max_px is None:
        cx, cy = center_xy_px
        r_max_px = min(cx, cy, nx - 1 - cx, ny - 1 - cy)
    polar, _ = polar_resample(frames, center_xy_px, n_radii, n_angles, r_max_px, valid)
    c = np.abs(np.fft.rfft(polar, axis=-1))[..., :orders + 1]
    c0 = c[..., :1]
    return np.divide(c, c0, out=np.zeros_like(c), where=c0 > 0)

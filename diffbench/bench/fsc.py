"""Shell correlations of 3-D volumes and the ½-bit resolution criterion (methods.md §2.3).

Paper 000 judges its PR772 reconstruction by the Fourier shell correlation of two independent
half-data reconstructions against the ½-bit threshold of van Heel & Schatz (2005):

    FSC(shell) = Re Σ F₁ F₂* / √(Σ|F₁|² Σ|F₂|²),  T½bit(n) = (0.2071 + 1.9102/√n) / (1.2071 + 0.9102/√n),

n the number of voxels in the shell; the resolution is where the FSC first falls below T.

diffbench also knows the true volume, so a reconstruction can be compared with the truth itself.
:func:`shell_correlation` correlates two volumes shell by shell as they are (two intensity volumes
on the same reciprocal grid: the EMC result against the true intensity); :func:`fourier_shell_correlation`
Fourier-transforms two real-space volumes (densities) first. Shells are one voxel thick, centred on
the array's centre voxel (index n // 2 along each axis, as ``np.fft.fftshift`` puts q = 0).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class ShellCorrelation(NamedTuple):
    radius_vox: np.ndarray  # shell centre, voxels from the centre
    correlation: np.ndarray  # per shell (NaN where a volume is zero on the shell)
    n_voxels: np.ndarray  # voxels per shell
    threshold: np.ndarray  # ½-bit threshold per shell


def half_bit_threshold(n_voxels) -> np.ndarray:
    """van Heel & Schatz (2005) ½-bit threshold for shells of ``n_voxels`` voxels: 1 at n = 1,
    falling to 0.2071 / 1.2071 = 0.1716 for large shells."""
    rn = np.sqrt(np.asarray(n_voxels, dtype=np.float64))
    return (0.2071 + 1.9102 / rn) / (1.2071 + 0.9102 / rn)


def _radii(shape: tuple[int, ...]) -> np.ndarray:
    """Each voxel's distance from the centre voxel, in voxels."""
    grids = np.meshgrid(*[np.arange(n) - n // 2 for n in shape], indexing="ij")
    return np.sqrt(sum(g.astype(np.float64) ** 2 for g in grids))


def _shell_voxels(shape: tuple[int, ...], mask=None):
    """(the voxels scored: inside the largest sphere in the array and the mask; their shell, their
    radius in voxels)."""
    rho = _radii(shape)
    r = np.rint(rho).astype(np.int64)
    use = r <= min(shape) // 2 - (1 - min(shape) % 2)
    if mask is not None:
        use &= np.asarray(mask, bool)
    return use, r[use], rho[use]


#: Radial bins per voxel of the isotropic profile that :func:`shell_correlation` removes.
PROFILE_BINS_PER_VOXEL = 4


def radial_profile_at(rho: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The isotropic part of ``values`` at radii ``rho`` (voxels): the mean in bins of 1/4 voxel,
    placed at the mean radius of the bin's voxels and interpolated linearly between them (near the
    centre a bin holds one radius of the cubic grid, 1, √2, √3, 2, ..., and its mean is exact)."""
    k = np.floor(rho * PROFILE_BINS_PER_VOXEL).astype(np.int64)
    n = np.bincount(k)
    full = n > 0
    centre = np.bincount(k, rho)[full] / n[full]
    mean = np.bincount(k, values)[full] / n[full]
    return np.interp(rho, centre, mean)


def shell_correlation(a, b, mask=None, subtract_isotropic: bool = False) -> ShellCorrelation:
    """Correlation of two volumes of one shape, per one-voxel shell about the centre voxel:
    Re Σ a b* / √(Σ|a|² Σ|b|²) (no mean subtracted, as in an FSC). ``mask``: voxels to use (e.g.
    where a reconstruction has data); shells up to the largest sphere inside the array.

    subtract_isotropic : correlate what each volume holds beyond its isotropic part, its radial
    profile (:func:`radial_profile_at`, resolved to a quarter voxel, so that within a one-voxel
    shell the intensity's fall with |q| is removed too, not only the shell's mean). Two intensity
    volumes, both positive and falling steeply with |q|, correlate near 1 shell by shell whatever
    their orientation detail; with the shell mean alone removed, a shell where the particle is
    nearly isotropic still correlates ±1 by the slope of its radial fall. Without the isotropic
    part, a model that is only the spherical average scores 0 and the score measures the
    anisotropic structure that orientation recovery must find."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.ndim < 2:
        raise ValueError(f"shell_correlation needs two volumes of one shape, got {a.shape} and {b.shape}")
    use, r, rho = _shell_voxels(a.shape, mask)
    av, bv = a[use], b[use]
    n_shells = int(r.max()) + 1 if r.size else 0
    if subtract_isotropic and r.size:
        av = av - radial_profile_at(rho, av.real)
        bv = bv - radial_profile_at(rho, bv.real)
    cross = np.bincount(r, (av * np.conj(bv)).real, n_shells)
    pa = np.bincount(r, np.abs(av) ** 2, n_shells)
    pb = np.bincount(r, np.abs(bv) ** 2, n_shells)
    n = np.bincount(r, minlength=n_shells)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cross / np.sqrt(pa * pb)
    return ShellCorrelation(np.arange(n_shells, dtype=np.float64), corr, n, half_bit_threshold(np.maximum(n, 1)))


def fourier_shell_correlation(v1, v2, mask=None) -> ShellCorrelation:
    """FSC of two real-space volumes (densities): their centred Fourier transforms correlated shell by
    shell (:func:`shell_correlation`)."""
    f1 = np.fft.fftshift(np.fft.fftn(np.asarray(v1, dtype=np.float64)))
    f2 = np.fft.fftshift(np.fft.fftn(np.asarray(v2, dtype=np.float64)))
    return shell_correlation(f1, f2, mask)


def shell_anisotropy(volume, mask=None) -> np.ndarray:
    """Per one-voxel shell: the angular variation of ``volume`` relative to its isotropic part, the
    rms of the volume less its radial profile (:func:`radial_profile_at`) over the profile's mean
    on the shell (0 for a function of |q| alone; nan on shells without voxels)."""
    v = np.asarray(volume, dtype=np.float64)
    use, r, rho = _shell_voxels(v.shape, mask)
    vals = v[use]
    prof = radial_profile_at(rho, vals)
    n = np.bincount(r)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sqrt(np.bincount(r, (vals - prof) ** 2) / n) / (np.bincount(r, prof) / n)


def crossing_radius(sc: ShellCorrelation, threshold=None, start: int = 1, consecutive: int = 1) -> float:
    """The first shell radius (voxels; linear between shells) from ``start`` outwards where the
    correlation falls below ``threshold`` (default: the ½-bit curve) and stays below for
    ``consecutive`` shells; the last shell's radius if it never does. Resolution in length units is
    (array side × voxel size) / radius.

    ``consecutive=2`` passes over a lone dip: against a true intensity, a shell where the particle's
    intensity is nearly isotropic (the mean removed, little signal left) dips whatever the
    reconstruction, and the first crossing would report that shell for every method."""
    t = sc.threshold if threshold is None else np.broadcast_to(np.asarray(threshold, float), sc.correlation.shape)
    c = sc.correlation
    below = np.isfinite(c) & (c < t)
    for k in range(max(start, 1), len(c)):
        if below[k] and below[k:k + consecutive].all() and k + consecutive <= len(c):
            prev = c[k - 1] - t[k - 1]
            now = c[k] - t[k]
            if not np.isfinite(prev) or prev <= 0:
                return float(sc.radius_vox[k])
            return float(sc.radius_vox[k - 1] + prev / (prev - now))
    return float(sc.radius_vox[-1])

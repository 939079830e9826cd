"""What crosses the boundary into the render kernel, as named tuples of arrays (plain numpy;
importing this does not import numba): the detector's pixels, a batch's particles, the species
table, and the per-block sums the kernel writes back."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

KIND_VOLUME = 0  # trilinear interpolation of sampled amplitudes
KIND_SPHERE = 1
KIND_CUBE = 2
KIND_VOLUME_BSPLINE = 3  # cubic B-spline interpolation of deconvolved coefficients (whole or octant)


class PixelArrays(NamedTuple):
    """The detector: its pixels in row order, each integrated over ``sub`` sub-pixels (the k² of
    :meth:`~diffbench.geometry.detector.Detector.subdivided`, contiguous per pixel; ``sub`` = 1:
    the pixel centres)."""

    qvec: np.ndarray  # (npix · sub, 3) lab q (1/m) of every sub-pixel
    factor: np.ndarray  # (npix · sub,) r_e² P dΩ of every sub-pixel (m², 0 where the pixel is invalid)
    valid: np.ndarray  # (npix · sub,) bool
    templates: np.ndarray  # (n_comp, npix) additive expected-photon images (background, rings)
    valid_pixels: np.ndarray  # (npix,) bool
    sub: int  # sub-pixels per pixel


class ParticleArrays(NamedTuple):
    """A batch of planned patterns and their particles (particles of a pattern contiguous, coherent
    groups sorted)."""

    part_start: np.ndarray  # (n_pat + 1,) int64: particles of pattern t are part_start[t]:part_start[t+1]
    weights: np.ndarray  # (n_pat, n_comp) multipliers of the templates
    keys: np.ndarray  # (n_pat,) uint64 photon-noise keys
    mat: np.ndarray  # (n_part, 3, 3) s Rᵀ: the particle frame sees q' = s Rᵀ q
    amp: np.ndarray  # (n_part, 2) complex multiplier √J · density · s³ (re, im)
    pos: np.ndarray  # (n_part, 3) position (m)
    cluster: np.ndarray  # (n_part,) int64 coherent-group id
    species: np.ndarray  # (n_part,) int64 row of the species table


class SpeciesArrays(NamedTuple):
    """Every amplitude source: one row per table entry, volumes in one float32 buffer."""

    kind: np.ndarray  # int64: KIND_*
    offset: np.ndarray  # int64: first float of the entry's volume in ``vol``
    n: np.ndarray  # int64: grid points per axis
    nc: np.ndarray  # int64: floats per grid point (1 real, 2 complex)
    dq: np.ndarray  # float64: grid step (1/m)
    fold: np.ndarray  # bool: octant storage (centrosymmetric |F|)
    size: np.ndarray  # float64: reference size (m) of analytic kinds
    vol: np.ndarray  # float32: every volume, concatenated


class BlockSums(NamedTuple):
    """Per-(pattern, pixel block) sums the kernel writes, added in block order by the caller."""

    photons: np.ndarray  # (n_pat, n_blocks) int64
    expected: np.ndarray  # (n_pat, n_blocks) float64
    saturated: np.ndarray  # (n_pat, n_blocks) int64


class SpeciesTable:
    """Flat description of every amplitude source: analytic kinds or volumes in one float32 buffer."""

    def __init__(self):
        self.kind, self.offset, self.n, self.nc, self.dq, self.fold, self.size = ([] for _ in range(7))
        self.volumes = []
        self._offset = 0

    def add_analytic(self, kind: int, reference_size_m: float) -> int:
        self.kind.append(kind)
        self.offset.append(0)
        self.n.append(0)
        self.nc.append(1)
        self.dq.append(1.0)
        self.fold.append(True)
        self.size.append(reference_size_m)
        self.volumes.append(None)
        return len(self.kind) - 1

    def add_volume(self, vol) -> int:
        n = vol.data.shape[0]
        if vol.data.shape[:3] != (n, n, n):
            raise ValueError("volumes must be cubic")
        bspline = vol.interpolation == "bspline3"
        if bspline and vol.data.shape[3] != 2:
            raise ValueError("B-spline volumes store interleaved (real, imaginary) coefficients")
        if bspline and n**3 >= 2**31:  # the kernel's stencil point index is int32 (vectorised pass)
            raise ValueError(f"B-spline volume of {n}^3 points is too large (the kernel indexes < 2^31 points)")
        self.kind.append(KIND_VOLUME_BSPLINE if bspline else KIND_VOLUME)
        self.offset.append(self._offset)
        self.n.append(n)
        self.nc.append(vol.data.shape[3])
        self.dq.append(vol.dq_m)
        self.fold.append(bool(vol.fold))
        self.size.append(vol.reference_size_m)
        self.volumes.append(vol)
        self._offset += vol.data.size
        return len(self.kind) - 1

    def arrays(self) -> SpeciesArrays:
        """Arrays for kernels.render (the volumes concatenated into one float32 buffer)."""
        vols = [v for v in self.volumes if v is not None]
        if len(vols) == 1 and vols[0].data.dtype == np.float32 and vols[0].data.flags.c_contiguous:
            buf = vols[0].data.reshape(-1)  # a view: a large atomic volume is not held twice
        else:
            buf = np.empty(max(self._offset, 1), dtype=np.float32)
            for off, vol in zip(self.offset, self.volumes):
                if vol is not None:
                    buf[off:off + vol.data.size] = np.asarray(vol.data, dtype=np.float32).ravel()
        return SpeciesArrays(
            kind=np.array(self.kind, dtype=np.int64), offset=np.array(self.offset, dtype=np.int64),
            n=np.array(self.n, dtype=np.int64), nc=np.array(self.nc, dtype=np.int64),
            dq=np.array(self.dq, dtype=np.float64), fold=np.array(self.fold, dtype=np.bool_),
            size=np.array(self.size, dtype=np.float64), vol=buf,
        )

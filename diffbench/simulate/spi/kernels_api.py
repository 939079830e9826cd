"""The species table handed to the kernels (plain numpy; importing this does not import numba)."""

from __future__ import annotations

import numpy as np

KIND_VOLUME = 0  # trilinear interpolation of sampled amplitudes
KIND_SPHERE = 1
KIND_CUBE = 2
KIND_VOLUME_BSPLINE = 3  # cubic B-spline interpolation of deconvolved coefficients (whole or octant)


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

    def arrays(self) -> dict:
        """Arrays for kernels.render (the volumes concatenated into one float32 buffer)."""
        vols = [v for v in self.volumes if v is not None]
        if len(vols) == 1 and vols[0].data.dtype == np.float32 and vols[0].data.flags.c_contiguous:
            buf = vols[0].data.reshape(-1)  # a view: a large atomic volume is not held twice
        else:
            buf = np.empty(max(self._offset, 1), dtype=np.float32)
            for off, vol in zip(self.offset, self.volumes):
                if vol is not None:
                    buf[off:off + vol.data.size] = np.asarray(vol.data, dtype=np.float32).ravel()
        return dict(
            sp_kind=np.array(self.kind, dtype=np.int64), sp_offset=np.array(self.offset, dtype=np.int64),
            sp_n=np.array(self.n, dtype=np.int64), sp_nc=np.array(self.nc, dtype=np.int64),
            sp_dq=np.array(self.dq, dtype=np.float64), sp_fold=np.array(self.fold, dtype=np.bool_),
            sp_size=np.array(self.size, dtype=np.float64), vol=buf,
        )

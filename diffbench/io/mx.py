"""Reader of merged MX data (``kind: mx-merged``): one reflection list per data set.

An ``mx-merged`` run (``diffbench simulate mx-ice-rings-v2``) is an HDF5 index with the truth
tables ``/datasets`` and ``/ranges`` and a folder of MTZ files beside it. :class:`MXCollection`
reads the MTZ files lazily (gemmi), one :class:`MergedData` at a time; methods also accept a plain
list of :class:`MergedData`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from diffbench.units import ANGSTROM  # noqa: E402


@dataclass
class MergedData:
    """Merged reflections of one data set. d_m: resolution (m); i, sig_i: intensities; f, sig_f:
    amplitudes (NaN where absent); cell (Å, degrees) and space group (Hermann–Mauguin) when known."""

    hkl: np.ndarray
    d_m: np.ndarray
    i: np.ndarray
    sig_i: np.ndarray
    f: np.ndarray | None = None
    sig_f: np.ndarray | None = None
    cell: tuple | None = None
    space_group: str | None = None

    @property
    def inv_d2_a2(self) -> np.ndarray:
        """1/d² in Å⁻² (the unit of the published ice-ring ranges)."""
        return (ANGSTROM / self.d_m) ** 2

    def expected_inv_d2_a2(self) -> np.ndarray | None:
        """1/d² (Å⁻²) of every unique reflection the cell and space group allow to this data's
        d_min (for completeness), or None when the cell or space group is unknown."""
        if self.cell is None or self.space_group is None:
            return None
        import gemmi

        cell, sg = gemmi.UnitCell(*self.cell), gemmi.SpaceGroup(self.space_group)
        d_min = float(self.d_m.min() / ANGSTROM) * (1 - 1e-6)
        hkl = gemmi.make_miller_array(cell, sg, d_min, 1e9)
        return 1.0 / cell.calculate_d_array(hkl) ** 2


def read_mtz(path, intensity: str = "I", sigma: str = "SIGI") -> MergedData:
    """One MTZ file → :class:`MergedData` (columns I, SIGI and, when present, F, SIGF)."""
    import gemmi

    mtz = gemmi.read_mtz_file(str(path))
    labels = [c.label for c in mtz.columns]
    for need in (intensity, sigma):
        if need not in labels:
            raise ValueError(f"{path}: no column {need!r} (has {', '.join(labels)})")
    col = lambda name: np.array(mtz.column_with_label(name), dtype=np.float64)  # noqa: E731
    f = col("F") if "F" in labels else None
    sf = col("SIGF") if "SIGF" in labels else None
    c = mtz.cell
    return MergedData(np.array(mtz.make_miller_array()), np.array(mtz.make_d_array(), dtype=np.float64) * ANGSTROM,
                      col(intensity), col(sigma), f, sf, (c.a, c.b, c.c, c.alpha, c.beta, c.gamma),
                      mtz.spacegroup.hm if mtz.spacegroup else None)


class MXCollection:
    """The data sets of an ``mx-merged`` index, read one MTZ at a time; ``truth``, ``ranges`` and
    ``ice_reflections`` are the per-data-set, per-(data set, ice range) and per-reflection ice truth
    tables (dicts of arrays; ``ice_reflections`` rows: the data set, the reflection's row in its MTZ
    file or −1 where blanking removed it, hkl, 1/d² in 1/m², the change to I)."""

    def __init__(self, path):
        import h5py

        from diffbench.io.cxi import read_table

        self.path = Path(path)
        with h5py.File(self.path, "r") as f:
            if "datasets" not in f or "ranges" not in f or "mtz_dir" not in f.attrs:
                raise ValueError(f"{self.path} is not a merged-MX index (kind {f.attrs.get('kind')!r})")
            self.truth = read_table(f["datasets"])
            self.ranges = read_table(f["ranges"])
            # every reflection an ice line changed or removed (absent in files before mx-ice-rings-v2)
            self.ice_reflections = read_table(f["ice_reflections"]) if "ice_reflections" in f else {}
            mdir = f.attrs["mtz_dir"]
            self.attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        self.mtz_dir = self.path.parent / (mdir.decode() if isinstance(mdir, bytes) else mdir)
        self.files = [self.mtz_dir / (m.decode() if isinstance(m, bytes) else str(m)) for m in self.truth["mtz_file"]]

    def __len__(self) -> int:
        return len(self.files)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def close(self) -> None:
        """Nothing to close: each MTZ file is opened and closed when read."""

    @property
    def side_files(self) -> list[Path]:
        """The files beside the index that hold the data (the MTZ files), for content digests."""
        return list(self.files)

    def __getitem__(self, k: int) -> MergedData:
        return read_mtz(self.files[k])

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def take(self, indices) -> list[MergedData]:
        return LazyMTZList([self.files[k] for k in np.asarray(indices, dtype=int)])


class LazyMTZList(list):
    """A list of MTZ paths that reads each one when indexed or iterated."""

    def __getitem__(self, k):
        return read_mtz(super().__getitem__(k))

    def __iter__(self):
        return (read_mtz(p) for p in list.__iter__(self))


def as_mx(X):
    """An MX index path, an :class:`MXCollection` or a sequence of :class:`MergedData`."""
    if isinstance(X, (str, Path)):
        return MXCollection(X)
    if isinstance(X, MergedData):
        return [X]
    return X

"""Deprecated location of :mod:`diffbench.io.mx` (kept for one release)."""

from diffbench.io.mx import ANGSTROM, MergedData, MXCollection, as_mx, read_mtz  # noqa: F401

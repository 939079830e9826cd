"""Deprecated location of :mod:`diffbench.units` (kept for one release)."""

from diffbench.units import *  # noqa: F401,F403

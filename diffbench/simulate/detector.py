"""Deprecated location of :mod:`diffbench.geometry.detector` (kept for one release)."""

from diffbench.geometry.detector import *  # noqa: F401,F403

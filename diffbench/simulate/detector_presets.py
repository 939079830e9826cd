"""Deprecated location of :mod:`diffbench.geometry.presets` (kept for one release)."""

from diffbench.geometry.presets import *  # noqa: F401,F403

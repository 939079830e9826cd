"""Deprecated location of :mod:`diffbench.geometry.beam` (kept for one release)."""

from diffbench.geometry.beam import *  # noqa: F401,F403

"""Deprecated location of :mod:`diffbench.geometry.orientation` (kept for one release)."""

from diffbench.geometry.orientation import *  # noqa: F401,F403

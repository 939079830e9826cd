"""Deprecated location of :mod:`diffbench.utils.atomic` (kept for one release)."""

from diffbench.utils.atomic import atomic_path, atomic_write, atomic_write_text, publish  # noqa: F401

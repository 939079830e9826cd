"""The diffbench version (single source; read by hatchling and written into every file)."""

__version__ = "0.2.0.dev0"

"""Narrow-beam electron-diffraction scans (``kind: ed-scan``, paper 002): the schema
(:mod:`.schema`), the grid, scan and frame model (:mod:`.scan`) and the writer (:mod:`.run`)."""

"""Small helpers shared by every package: progress bars, atomic file writes, optional imports."""

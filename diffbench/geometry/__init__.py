"""Experimental geometry, shared by simulation, files, methods and the viewer: the detector
(:mod:`~diffbench.geometry.detector`: pixels, q, solid angle, polarisation, CXI mask bits), its
named presets (:mod:`~diffbench.geometry.presets`), the beam (:mod:`~diffbench.geometry.beam`)
and orientations as quaternions (:mod:`~diffbench.geometry.orientation`). Conventions:
docs/conventions.md."""

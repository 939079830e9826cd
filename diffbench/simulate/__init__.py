"""Simulation: recipes in, files with full ground truth out.

- :mod:`~diffbench.simulate.driver` — the one entry point for every data kind
  (:func:`~diffbench.simulate.driver.simulate_to_file`: checks, provenance, the kind's writer);
  the kinds themselves are registered in :mod:`diffbench.kinds`;
- one package per kind, each with its ``schema``, its simulator and its writer (``run``):
  :mod:`~diffbench.simulate.spi` (single-particle imaging), :mod:`~diffbench.simulate.ed`
  (electron-diffraction scans), :mod:`~diffbench.simulate.mx` (merged MX data),
  :mod:`~diffbench.simulate.droplet` (X-ray droplet frames);
- shared by the kinds: :mod:`~diffbench.simulate.truth` (truth tables),
  :mod:`~diffbench.simulate.noise_kernels` (deterministic photon counting noise),
  :mod:`~diffbench.simulate.ring_kernels` (radial tables onto frames, for ED and droplets),
  :mod:`~diffbench.simulate.shards` and :mod:`~diffbench.simulate.executors` (sharded and parallel
  runs, for the kinds that declare themselves shardable).

Geometry, physics and recipes live in :mod:`diffbench.geometry`, :mod:`diffbench.physics` and
:mod:`diffbench.recipes`.
"""

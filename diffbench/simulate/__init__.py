"""Simulation: recipes in, files with full ground truth out.

- :mod:`~diffbench.simulate.driver` — the one entry point for every data kind
  (:func:`~diffbench.simulate.driver.simulate_to_file`); the kinds themselves are in
  :mod:`diffbench.kinds`;
- :mod:`~diffbench.simulate.catalogue` — datasets.yaml, user files and ``--set`` overrides;
- SPI (``kind: spi``): ``config`` (schema), ``engine`` (planning and rendering), ``run`` (the
  writer: render threads, worker processes), ``shards`` and ``executors`` (sharded runs), ``species``,
  ``shapes``, ``volume``, ``atomic`` (particles), ``spi_rings`` (ice and amorphous rings on SPI
  frames), ``kernels``, ``vector_kernels``, ``kernels_api`` (numba), ``reference`` (their numpy twin);
- ED scans (``kind: ed-scan``): ``ed_config``, ``ed_scan``, ``ed_run``;
- merged MX data (``kind: mx-merged``): ``mx_config``, ``mx``;
- droplets (``kind: xray-droplet``): ``droplet_config``, ``droplet``;
- shared geometry and physics: ``detector``, ``detector_presets``, ``beam``, ``orientation``,
  ``materials``, ``form_factors``, ``electron``, ``ice``, ``rings``, ``radial``, ``ring_kernels``,
  ``seeding``, ``truth``.
"""

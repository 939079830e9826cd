"""Benchmark: every method scored on named tasks against the simulated truth.

Data flow one way through these modules:

- :mod:`~diffbench.bench.tasks` — the task schema (the ``benchmarks`` section of datasets.yaml);
- :mod:`~diffbench.bench.datasets` — each task's data sets: simulated or reused, digests, truth targets;
- :mod:`~diffbench.bench.splits` — train/test splits (random fraction, or whole held-out groups);
- :mod:`~diffbench.bench.scoring` — scorers by metric name, over one method's predictions;
- :mod:`~diffbench.bench.ranges` — per-(data set, range) scoring of MX ice detectors;
- :mod:`~diffbench.bench.runner` — fit and score every method of a task, seed by seed;
- :mod:`~diffbench.bench.metrics` — the metric formulas and their intervals;
- :mod:`~diffbench.bench.aggregate` — mean ± std over seeds, pooled intervals, regression checks;
- :mod:`~diffbench.bench.scorecard` and :mod:`~diffbench.bench.report` — JSON, Markdown and a
  self-contained HTML page.
"""

"""Benchmark: every method scored on named tasks against the simulated truth.

- :mod:`~diffbench.bench.tasks` — the task schema (the ``benchmarks`` section of datasets.yaml);
- :mod:`~diffbench.bench.runner` — simulate or reuse each task's data sets, split, fit, score;
- :mod:`~diffbench.bench.metrics` — scores and their intervals;
- :mod:`~diffbench.bench.scorecard` and :mod:`~diffbench.bench.report` — results as JSON,
  Markdown and a self-contained HTML page.
"""

"""Training data straight from the simulator: a torch ``IterableDataset`` of labelled patterns
drawn from a recipe on the fly, so a network can train on an unlimited stream instead of a file.

Pattern ``i`` of the stream is pattern ``i`` of ``diffbench simulate RECIPE --seed SEED``: the same
frame, the same truth (the simulator's patterns depend only on recipe, seed and index). Each
DataLoader worker takes every k-th block of indices, so workers never repeat one another and the
union is the same whatever the number of workers. Start workers with ``spawn``: the render kernel's
OpenMP threads do not survive ``fork``.

Example::

    from torch.utils.data import DataLoader
    stream = SimulatedStream("pr772-spi-v6", overrides=["detector.nx=192", "detector.ny=96",
                             "detector.beam_center_xy_px=[95.5, 6.0]"], seed=3)
    loader = DataLoader(stream, batch_size=64, num_workers=2, multiprocessing_context="spawn")
    for frames, labels in loader:
        ...   # frames (64, ny, nx) float32 photon counts, labels (64,) is_single_hit
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info


class SimulatedStream(IterableDataset):
    """Labelled patterns of ``recipe`` (with ``overrides``) from index ``start`` on: ``stop=None``
    streams forever. ``label`` is a per-pattern truth field (default ``is_single_hit``); ``block``
    patterns are rendered per simulator call."""

    def __init__(self, recipe: str, overrides=None, seed: int = 0, label: str = "is_single_hit", start: int = 0,
                 stop: int | None = None, block: int = 64, config=None):
        super().__init__()
        self.recipe, self.overrides, self.seed, self.label = recipe, list(overrides or []), int(seed), label
        self.start, self.stop, self.block, self.config = int(start), stop, int(block), config

    def _simulator(self):
        from diffbench.recipes.catalogue import resolve
        from diffbench.simulate.spi.engine import Simulator

        model, _ = resolve(self.recipe, self.config, self.overrides)
        return Simulator(model, self.seed)

    def __iter__(self):
        info = get_worker_info()
        worker, n_workers = (info.id, info.num_workers) if info is not None else (0, 1)
        sim = self._simulator()
        b = self.start + worker * self.block
        while self.stop is None or b < self.stop:
            e = b + self.block if self.stop is None else min(self.stop, b + self.block)
            frames, truth, _ = sim.simulate(range(b, e))
            labels = np.asarray(truth[self.label])
            for f, y in zip(frames, labels):
                yield torch.from_numpy(np.asarray(f, dtype=np.float32)), torch.tensor(y.item())
            b += n_workers * self.block

"""The HTML report's plots read only the scorecard runs; check what they sum."""

import numpy as np
import pytest

pytest.importorskip("bokeh")


def test_size_histograms_sum_every_seed_despite_different_bins():
    # each seed bins its own data range; the report must re-bin them all, not drop the mismatched ones
    from diffbench.bench.report import _size_figures

    def run(seed, lo, hi, pred, truth):
        return {"method": "sphere-size", "seed": seed, "curves": {"size_hist": {
            "edges_nm": np.linspace(lo, hi, 5).tolist(), "predicted": pred, "truth": truth}}}

    runs = [run(1, 50, 70, [1, 2, 3, 4], [2, 2, 3, 3]), run(2, 55, 90, [5, 0, 0, 1], [4, 1, 0, 1])]
    (fig,) = _size_figures(runs)
    quad = next(r for r in fig.renderers if r.glyph.__class__.__name__ == "Quad")
    step = next(r for r in fig.renderers if r.glyph.__class__.__name__ == "Step")
    assert np.sum(quad.data_source.data["top"]) == 10 + 6
    assert np.sum(step.data_source.data["y"][:-1]) == 10 + 6
    assert "2 seeds" in fig.title.text

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


def test_leakage_table_averages_seeds_and_shell_curves_are_drawn_per_row():
    from diffbench.bench.report import _leakage_table, _shell_figures

    runs = [{"method": "clpca", "role": "method", "seed": s, "leakage": {"photons_total": v, "pulse_energy_j": -0.1}}
            for s, v in ((1, 0.5), (2, 0.7))]
    table = _leakage_table(runs)
    assert "photons_total" in table and "0.600" in table and "-0.100" in table
    assert _leakage_table([{"method": "m", "seed": 1}]) == ""
    curve = {"q_per_nm": [0, 0.1, 0.2], "correlation": [None, 0.9, 0.4], "half_bit": [1, 0.5, 0.3]}
    runs = [{"method": m, "seed": 1, "curves": {"shell_correlation": curve}} for m in ("emc3d", "random")]
    (fig,) = _shell_figures(runs)
    lines = [r for r in fig.renderers if r.glyph.__class__.__name__ == "Line"]
    assert len(lines) == 3  # one per row and the half-bit threshold
    assert _shell_figures([{"method": "m", "seed": 1}]) == []

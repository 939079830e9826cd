"""One common test over every registered shape family: it builds from a recipe species, draws
particles whose truth is consistent, and gives the viewer a real-space picture of the same size."""

import typing
from pathlib import Path

import numpy as np
import pytest

from diffbench.simulate.spi.kernels_api import SpeciesTable
from diffbench.simulate.spi.schema import SpeciesConfig, VolumeConfig
from diffbench.simulate.spi.species import SHAPES, build_species, get_shape

CONFIGS = {
    "sphere": {"shape": "sphere", "size_m": {"distribution": "uniform", "low": 40e-9, "high": 60e-9}},
    "cube": {"shape": "cube", "material": "gold", "size_m": 30e-9},
    "melting-cube": {"shape": "melting-cube", "material": "gold", "size_m": 30e-9, "melt_levels": 3,
                     "melt": {"distribution": "uniform", "low": 0.0, "high": 1.0}},
    "icosahedral-virus": {"shape": "icosahedral-virus", "size_m": 60e-9, "shell_thickness_m": 5e-9,
                          "inner_material": "virus-core"},
    "atomic": {"shape": "atomic", "structure": str(Path(__file__).resolve().parents[3] / "tests" / "data" / "2cex.pdb.gz")},
}


def test_the_schema_offers_exactly_the_registered_shapes():
    names = typing.get_args(SpeciesConfig.model_fields["shape"].annotation)
    assert set(names) == set(SHAPES) == set(CONFIGS)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_every_shape_builds_draws_and_pictures(shape, tmp_path, monkeypatch):
    monkeypatch.setenv("DIFFBENCH_CACHE_DIR", str(tmp_path))
    cfg = SpeciesConfig.model_validate(CONFIGS[shape])
    table = SpeciesTable()
    q_max = 2 * np.pi / 8e-9  # coarse: a small volume
    sp = build_species("s", cfg, table, q_max, 1700.0, True, VolumeConfig())
    assert sp.shape == shape and isinstance(sp, get_shape(shape)) and sp.entries
    assert sp.point_group == get_shape(shape).point_group
    rng = np.random.default_rng(0)
    for _ in range(5):
        d = sp.draw(rng)
        assert d.table_index in sp.entries
        assert d.diameter_m > 0 and d.bounding_radius_m >= d.diameter_m / 2 * 0.999
        row = {"size_m": d.size_m, "shape_param": d.shape_param}
        picture = get_shape(shape).real_space(row, cfg)
        if picture is None:
            assert shape == "atomic"
            continue
        # the viewer frames the whole picture, generously for a superball between cube and sphere
        r_view = get_shape(shape).bounding_radius_m(row, cfg)
        assert r_view >= picture.extent_m
        assert r_view <= 1.5 * d.bounding_radius_m
    again = build_species("s", cfg, SpeciesTable(), q_max, 1700.0, True, VolumeConfig())
    a, b = sp.draw(np.random.default_rng(3)), again.draw(np.random.default_rng(3))
    assert repr(a) == repr(b)  # the same draws from the same stream (repr: NaN shape_param equals itself)


def test_unknown_shape_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown shape 'torus'; known: atomic, cube"):
        get_shape("torus")

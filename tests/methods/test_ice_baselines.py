"""Ice-ring baselines on merged MX data (paper 003): strong rings found, clean data left alone."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.io.mx import MXCollection
from diffbench.methods.ice_baselines import (
    RANGES,
    CtruncateIceRings,
    IcefinderScore,
    XtriageStyleIceRings,
    _row_quartiles,
)
from diffbench.simulate.driver import simulate_to_file

METHODS = [IcefinderScore, XtriageStyleIceRings, CtruncateIceRings]


def _mx(tmp_path, name, ice):
    path = tmp_path / f"{name}.h5"
    simulate_to_file("mx-ice-rings-v2", 6, path, seed=4, progress=False,
                     overrides=["reflections=[8000, 12000]", "d_min_m=[1.4e-10, 1.8e-10]", f"ice={ice}"])
    return MXCollection(path)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return _mx(tmp_path_factory.mktemp("mx"), "clean", "{probability: 0.0}")


@pytest.fixture(scope="module")
def spiked(tmp_path_factory):
    return _mx(tmp_path_factory.mktemp("mx"), "spiked",
               "{probability: 1.0, types: {Ih: 1.0}, amplitude: [20.0, 30.0], modes: {spike: 1.0}}")


def test_row_quartiles_match_numpy():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 11))
    a[rng.random(a.shape) < 0.4] = np.nan
    a[3] = np.nan
    q1, q3 = _row_quartiles(a)
    with warnings.catch_warnings():  # the all-NaN row warns; its quartiles are NaN on both sides
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = np.nanpercentile(a, [25, 75], axis=1)
    assert_allclose(q1, ref[0], atol=1e-12)
    assert_allclose(q3, ref[1], atol=1e-12)


@pytest.mark.parametrize("cls", METHODS)
def test_strong_hexagonal_ice_rings_are_found(cls, spiked):
    assert spiked.truth["label_ice"].all()
    m = cls().fit(spiked)
    assert m.predict(spiked).tolist() == [1] * 6
    flags = m.predict_ranges(spiked)
    assert flags.shape == (6, len(RANGES))
    # ranges past each data set's resolution say -1, never 0 or 1
    dmax = np.array([d.inv_d2_a2.max() for d in spiked])
    assert np.all((flags == -1) == (RANGES[None, :, 0] > dmax[:, None]))
    # the strongest Ih line (3.67 Å, 1/d² = 0.0743 Å⁻², range 2) is flagged in every data set
    assert np.all(flags[:, 1] == 1)


@pytest.mark.parametrize("cls", [IcefinderScore, XtriageStyleIceRings])
def test_clean_data_mostly_pass(cls, clean, spiked):
    assert not clean.truth["label_ice"].any()
    m = cls().fit(clean)
    assert m.predict(clean).sum() <= 1  # at most one false alarm in six ice-free data sets
    # and the continuous score ranks every spiked data set above every clean one
    assert m.score_samples(spiked).min() > m.score_samples(clean).max()


def test_xtriage_style_catches_blanked_ice_by_completeness(tmp_path):
    """Issue 22: the completeness rule divided by the spread of completeness over ice-free bins,
    which is exactly 0 for complete data, so blank-mode ice (reflections removed at the lines) was
    never caught. With xtriage's σ + 1e-6 guard it is."""
    blank = _mx(tmp_path, "blank", "{probability: 1.0, types: {Ih: 1.0}, amplitude: [20.0, 30.0], modes: {blank: 1.0}}")
    assert XtriageStyleIceRings().fit(blank).predict(blank).sum() >= 5
    # and only the 7 lines of relative intensity > 0.1 are checked (xtriage's table), not all 10
    assert XtriageStyleIceRings(intensity_level=0.1)._one(blank[0])[1].size <= 7

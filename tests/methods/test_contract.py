"""The shared contract, run over every registered method (style.md: estimator API).

Each method: constructor stores its parameters unchanged; fit returns self and sets attributes
ending in ``_``; predict gives one answer per frame; the same random_state gives the same answers;
it reads arrays, Frames and diffbench datasets alike.
"""

import inspect

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from diffbench.methods.registry import available, get_method, make_method
from diffbench.simulate.run import simulate_to_file

pytest.importorskip("sklearn")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """40 frames of 64×64: spheres of two sizes, singles and doubles."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.cxi"
    simulate_to_file("sphere-calibration-v1", 40, path, seed=3, progress=False, overrides=[
        "detector.preset=square-64", "species.sphere.size_m=70e-9",
        "hits.classes={single: 0.8, multiple: 0.2}", "injection.hit_diameter_m=0.3e-6"])
    return path


SMALL_PARAMS = {"ipca-envelope": {"downsample": (32, 32), "batch_size": 16}, "ria-svm": {"n_iter": 3},
                "em2d": {"n_classes": 3, "n_angles": 8, "n_iter": 4, "grid_radius": 8},
                "em-selection": {"n_classes": 3, "n_angles": 8, "n_iter": 4, "grid_radius": 8}}


def _fit(est, data):
    """Supervised methods (``supervised = True``) learn single vs non-single hits from the truth."""
    if getattr(est, "supervised", False):
        from diffbench.io.cxi import open_dataset

        with open_dataset(data) as d:
            return est.fit(data, np.asarray(d.truth["is_single_hit"]))
    return est.fit(data)


@pytest.fixture(scope="module")
def tiny_mx(tmp_path_factory):
    """8 merged MX data sets (some with ice rings)."""
    path = tmp_path_factory.mktemp("mx") / "mx.h5"
    simulate_to_file("mx-ice-rings-v1", 8, path, seed=2, progress=False, overrides=["reflections=[3000, 5000]"])
    return path


@pytest.mark.parametrize("name", available())
def test_method_contract(name, tiny, tiny_mx):
    cls = get_method(name)
    n = 40
    if getattr(cls, "input_kind", None) == "mx-merged":
        tiny, n = tiny_mx, 8
    params = SMALL_PARAMS.get(name, {})
    est = make_method(name, **params)
    # hyper-parameters stored unchanged under their own names
    for p in inspect.signature(cls.__init__).parameters.values():
        if p.name != "self":
            assert hasattr(est, p.name), f"{name}: parameter {p.name} not stored"
            expected = params.get(p.name, p.default)
            assert getattr(est, p.name) == expected
    assert not [k for k in vars(est) if k.endswith("_")], "no fitted state before fit"
    assert _fit(est, tiny) is est
    assert [k for k in vars(est) if k.endswith("_")], "fit sets attributes ending in _"
    pred = np.asarray(est.predict(tiny))
    assert pred.shape == (n,)
    again = _fit(make_method(name, **params), tiny).predict(tiny)
    assert_array_equal(pred, again)  # deterministic for fixed random_state
    if hasattr(est, "score_samples"):
        assert np.asarray(est.score_samples(tiny)).shape == (n,)


def test_unknown_method_and_import_paths():
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        get_method("nope")
    assert get_method("diffbench.methods.size_fit:SphereSizeFit").__name__ == "SphereSizeFit"
    with pytest.raises(ValueError, match="cannot import method"):
        get_method("diffbench.methods.size_fit:Nope")
    with pytest.raises(ValueError, match="bad parameters"):
        make_method("sphere-size", wrong=1)


def test_ipca_envelope_streams_a_sharded_index_like_a_file(tmp_path):
    """Same latent space and flags from a sharded index as from the single file."""
    from diffbench.simulate.shards import simulate_sharded

    ov = ["detector.preset=square-64", "hits.classes={single: 0.8, multiple: 0.2}"]
    simulate_to_file("sphere-calibration-v1", 60, tmp_path / "one.cxi", seed=2, overrides=ov, progress=False)
    simulate_sharded("sphere-calibration-v1", 60, tmp_path / "idx.cxi", 25, seed=2, overrides=ov, progress=False)
    a = make_method("ipca-envelope", downsample=None, batch_size=16).fit(tmp_path / "one.cxi")
    b = make_method("ipca-envelope", downsample=None, batch_size=16).fit(tmp_path / "idx.cxi")
    assert_array_equal(a.transform(tmp_path / "one.cxi"), b.transform(tmp_path / "idx.cxi"))
    assert_array_equal(a.predict(tmp_path / "one.cxi"), b.predict(tmp_path / "idx.cxi"))

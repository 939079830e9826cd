"""The shared contract, run over every registered method (style.md: estimator API).

Each method: is a scikit-learn estimator (``diffbench.methods.base.Method``) that passes the
scikit-learn checks that apply to it (chosen by its tags: methods that read frames or merged
reflection lists cannot take the checks' 2-D toy arrays, so those run only the API checks);
``clone`` works, fitted or not; constructor stores its parameters unchanged; fit returns self and
sets attributes ending in ``_``; predict gives one answer per frame; the same random_state gives
the same answers; it reads arrays, Frames and diffbench datasets alike; a fitted method pickles.
"""

import inspect
import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone

from diffbench.methods.base import Method, fit_method, method_tags
from diffbench.methods.registry import available, get_method, make_method
from diffbench.simulate.driver import simulate_to_file


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """40 frames of 64×64: spheres of two sizes, singles and doubles."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.cxi"
    simulate_to_file("sphere-calibration-v2", 40, path, seed=3, progress=False, overrides=[
        "detector.preset=square-64", "species.sphere.size_m=70e-9",
        "hits.classes={single: 0.8, multiple: 0.2}", "injection.hit_diameter_m=0.3e-6"])
    return path


SMALL_PARAMS = {"ipca-envelope": {"downsample": (32, 32), "batch_size": 16}, "ria-svm": {"n_iter": 3},
                "em2d": {"n_classes": 3, "n_angles": 8, "n_iter": 4, "grid_radius": 8},
                "em-selection": {"n_classes": 3, "n_angles": 8, "n_iter": 4, "grid_radius": 8},
                **{f"cnn-{v}": {"n_iter": 3, "batch_size": 8} for v in ("maxf1", "moresh", "vgg")},
                "few-shot-embedding": {"n_iter": 3, "batch_size": 4, "size": 16},
                "helcaraxe-f": {"n_iter": 3}, "helcaraxe-i": {"n_iter": 3},
                "ed-cnn": {"max_epochs": 2, "radius_px": 8},
                "emc3d": {"grid_radius": 6, "num_div": 1, "n_iter": 2, "r_max_px": 24},
                "clpca": {"n_angles": 8}, "absolute-embedding": {"clpca_params": {"n_angles": 8}, "max_iter": 20,
                                                                  "hidden": (16, 8)},
                "landscape-vae": {"n_epochs": 2, "num_div": 2}}


def _fit(est, data):
    """Methods whose tags require y learn single vs non-single hits from the truth (per-range MX
    learners: the visible rings of every scored range)."""
    from diffbench.bench.ranges import range_labels
    from diffbench.io.readers import open_any

    with open_any(data) as d:
        if method_tags(est).per_range and method_tags(est).requires_y:
            y = range_labels(d, "visible")
        else:
            y = np.asarray(d.truth["is_single_hit" if "is_single_hit" in d.truth else "label_ice"])
    return fit_method(est, data, y)


@pytest.fixture(scope="module")
def tiny_mx(tmp_path_factory):
    """8 merged MX data sets (some with ice rings)."""
    path = tmp_path_factory.mktemp("mx") / "mx.h5"
    simulate_to_file("mx-ice-rings-v2", 8, path, seed=2, progress=False, overrides=["reflections=[3000, 5000]"])
    return path


@pytest.mark.parametrize("name", available())
def test_method_contract(name, tiny, tiny_mx):
    cls = get_method(name)
    if getattr(cls, "unavailable", lambda: None)():
        pytest.skip(cls.unavailable())
    n = 40
    if method_tags(cls).input == "merged-reflections":
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
    latent = method_tags(est).output == "latent"  # answers transform (N, k), no predict
    answer = (lambda e: e.transform(tiny)) if latent else (lambda e: e.predict(tiny))
    pred = np.asarray(answer(est))
    orientation = method_tags(est).output == "orientation"  # one unit quaternion per frame
    assert pred.shape[0] == n and (pred.ndim == 2 if latent else pred.shape == ((n, 4) if orientation else (n,)))
    again = answer(_fit(make_method(name, **params), tiny))
    assert_array_equal(pred, again)  # deterministic for fixed random_state
    if hasattr(est, "score_samples"):
        assert np.asarray(est.score_samples(tiny)).shape == (n,)
    if method_tags(est).output in ("binary", "multiclass"):  # scikit-learn's classifier contract
        assert set(np.unique(pred)) <= set(np.asarray(est.classes_).tolist())
    # a clone of a fitted method is unfitted, with the same parameters; a fitted one pickles
    fresh = clone(est)
    assert fresh.get_params() == est.get_params() and not [k for k in vars(fresh) if k.endswith("_")]
    assert_array_equal(answer(pickle.loads(pickle.dumps(est))), pred)
    if method_tags(est).neural:  # networks train in the channels-last layout (1.4-2.2x faster on CPU)
        import torch

        nets = [v for v in vars(est).values() if isinstance(v, torch.nn.Module)]
        nets += [m for v in vars(est).values() if isinstance(v, list) for m in v if isinstance(m, torch.nn.Module)]
        convs = [p for net in nets for p in net.parameters() if p.dim() == 4 and p.shape[1] > 1]
        assert nets and convs and all(p.is_contiguous(memory_format=torch.channels_last) for p in convs)


# scikit-learn's checks that hold for any estimator, whatever it reads
API_CHECKS = ["check_estimator_cloneable", "check_estimator_repr", "check_no_attributes_set_in_init",
              "check_parameters_default_constructible", "check_get_params_invariance", "check_set_params",
              "check_do_not_raise_errors_in_init_or_set_params", "check_valid_tag_types",
              "check_estimator_tags_renamed", "check_mixin_order"]


@pytest.mark.parametrize("check", API_CHECKS)
@pytest.mark.parametrize("name", available())
def test_sklearn_api_checks(name, check):
    """Every registered method is a scikit-learn estimator: get_params/set_params/clone/repr work,
    ``Pipeline`` and ``GridSearchCV`` can hold it."""
    import sklearn.utils.estimator_checks as checks

    est = make_method(name)
    assert isinstance(est, Method)
    getattr(checks, check)(name, est)


@pytest.mark.parametrize("name", available())
def test_tags_state_the_roles(name):
    """The bench reads a method's roles from its tags, and scikit-learn sees the same ``requires_y``."""
    from sklearn.utils import get_tags

    est = make_method(name)
    tags = method_tags(est)
    assert get_tags(est).target_tags.required == tags.requires_y
    assert tags.per_range == hasattr(est, "predict_ranges")
    if tags.output == "latent":  # a latent space: a transformer to scikit-learn
        assert get_tags(est).estimator_type is None and get_tags(est).transformer_tags is not None
        assert hasattr(est, "transform") and not hasattr(est, "predict")
    else:
        assert get_tags(est).estimator_type in ("classifier", "regressor", "clusterer")


def test_oracle_selection_requires_the_truth_and_says_so():
    assert method_tags(make_method("em-selection", select="oracle")).requires_y
    assert not method_tags(make_method("em-selection")).requires_y
    assert method_tags(make_method("ria-svm")).requires_y and not method_tags(make_method("size-filter")).requires_y


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
    simulate_to_file("sphere-calibration-v2", 60, tmp_path / "one.cxi", seed=2, overrides=ov, progress=False)
    simulate_sharded("sphere-calibration-v2", 60, tmp_path / "idx.cxi", 25, seed=2, overrides=ov, progress=False)
    a = make_method("ipca-envelope", downsample=None, batch_size=16).fit(tmp_path / "one.cxi")
    b = make_method("ipca-envelope", downsample=None, batch_size=16).fit(tmp_path / "idx.cxi")
    assert_array_equal(a.transform(tmp_path / "one.cxi"), b.transform(tmp_path / "idx.cxi"))
    assert_array_equal(a.predict(tmp_path / "one.cxi"), b.predict(tmp_path / "idx.cxi"))


def test_methods_work_inside_scikit_learn_model_selection(tiny):
    """A Method is a plain scikit-learn estimator: GridSearchCV clones it, sets its parameters,
    fits it on folds of frames and scores its predictions against the truth."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    from diffbench.io.readers import open_any

    with open_any(tiny) as d:
        frames = np.asarray(d.patterns[:], dtype=np.float32)
        y = np.asarray(d.truth["is_single_hit"]).astype(int)
    est = make_method("ipca-envelope", downsample=(16, 16), batch_size=16, progress=False)
    search = GridSearchCV(est, {"n_components": [2, 3], "contamination": [0.1, 0.2]}, scoring="accuracy",
                          cv=StratifiedKFold(2, shuffle=True, random_state=0)).fit(frames, y)
    assert search.best_params_["n_components"] in (2, 3)
    assert search.best_estimator_.predict(frames).shape == (len(y),)
    assert 0.0 <= search.best_score_ <= 1.0

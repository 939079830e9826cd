"""Methods by the names users type: built-ins, ``module:Class`` import paths, and the
``diffbench.methods`` entry-point group of installed packages.

A method is a scikit-learn estimator (:class:`diffbench.methods.base.Method`): hyper-parameters
only in ``__init__`` (including ``random_state``), ``fit(X, y=None)`` returns self, fitted
attributes end in ``_``; classifiers answer ``predict`` (1 = target class, e.g. single hit) and
``predict_proba`` or ``score_samples``, latent methods ``transform``; its roles (does it need the
truth, what does it read) are its tags (:func:`diffbench.methods.base.method_tags`). ``X`` is
anything :func:`diffbench.methods.frames.as_frames` accepts, or merged MX data for the methods
whose tags say so.
"""

from __future__ import annotations

import importlib

# name → "module:Class" (imported only when used: methods may need torch or scikit-learn)
_BUILTIN = {
    "ipca-envelope": "diffbench.methods.ipca_envelope:IPCAEllipticEnvelope",
    "shape-pca": "diffbench.methods.shape_pca:ShapePCA",
    "cnn-maxf1": "diffbench.methods.cnn.single_hit:MaxF1CNN",
    "cnn-moresh": "diffbench.methods.cnn.single_hit:MoreSHCNN",
    "cnn-vgg": "diffbench.methods.cnn.single_hit:VGGCNN",
    "few-shot-embedding": "diffbench.methods.cnn.few_shot:FewShotEmbedding",
    "sphere-size": "diffbench.methods.size_fit:SphereSizeFit",
    "em2d": "diffbench.methods.em2d:EM2DClassification",
    "em-selection": "diffbench.methods.em2d:EMSelection",
    "emc3d": "diffbench.methods.emc3d:EMC3D",
    "clpca": "diffbench.methods.clpca:CommonLinePCA",
    "absolute-embedding": "diffbench.methods.absolute_embedding:AbsoluteEmbedding",
    "landscape-vae": "diffbench.methods.landscape_vae:LandscapeVAE",
    "true-selection": "diffbench.methods.truth_selection:TruthSelection",
    "size-filter": "diffbench.methods.size_fit:SizeFilter",
    "ria-svm": "diffbench.methods.ed_ria:RIASVM",
    "ria-fcnn": "diffbench.methods.ed_ria:RIANet",
    "ed-cnn": "diffbench.methods.ed_cnn:EDCNN",
    "pcc-clustering": "diffbench.methods.pcc_clustering:PCCClustering",
    "radial-profile-classifier": "diffbench.methods.profile_classifier:RadialProfileClassifier",
    "post-filter": "diffbench.methods.profile_classifier:PostFilter",
    "icefinder": "diffbench.methods.ice_baselines:IcefinderScore",
    "xtriage-style": "diffbench.methods.ice_baselines:XtriageStyleIceRings",
    "xtriage": "diffbench.methods.xtriage:XtriageIceRings",
    "ctruncate-ice": "diffbench.methods.ice_baselines:CtruncateIceRings",
    "helcaraxe-f": "diffbench.methods.helcaraxe.estimator:HelcaraxeF",
    "helcaraxe-i": "diffbench.methods.helcaraxe.estimator:HelcaraxeI",
}
def _entry_points() -> dict:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group="diffbench.methods")}


def available() -> list[str]:
    """Every method name: built-ins and the entry points of installed packages."""
    return sorted(set(_BUILTIN) | set(_entry_points()))


def _import(path: str):
    mod, _, attr = path.partition(":")
    if not attr:
        raise ValueError(f"a method import path looks like 'package.module:Class', got {path!r}")
    try:
        return getattr(importlib.import_module(mod), attr)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot import method {path!r}: {exc}") from exc


def get_method(name: str) -> type:
    """The estimator class for a registered name or a ``module:Class`` path."""
    if name in _BUILTIN:
        return _import(_BUILTIN[name])
    eps = _entry_points()
    if name in eps:
        return eps[name].load()
    if ":" in name:
        return _import(name)
    raise ValueError(f"unknown method {name!r}; known: {', '.join(available())} (or pass package.module:Class)")


def make_method(name: str, **params):
    """An unfitted instance; unknown parameters are an error naming them. A class that is not a
    diffbench method (scikit-learn's ``PCA``, a user's classifier) comes wrapped in
    :class:`~diffbench.methods.plain.PlainArrays`, so it receives plain numpy arrays (N, ny·nx)."""
    from diffbench.methods.plain import for_diffbench

    cls = get_method(name)
    try:
        return for_diffbench(cls(**params))
    except TypeError as exc:
        raise ValueError(f"method {name!r}: bad parameters {params}: {exc}") from exc

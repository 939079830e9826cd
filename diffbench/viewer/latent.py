"""Latent coordinates for the viewer: computed by a registered latent method on first use and
cached beside the data file (``FILE.latent-METHOD.npz``, or in the diffbench cache directory when
that folder is read-only), or read from a precomputed array.

The cache is keyed on the data file's size and modification time and the method's parameters, so
a regenerated file is never shown with a stale latent space.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from diffbench.utils.atomic import atomic_path


def _key(path: Path, method: str, params: dict) -> str:
    st = path.stat()
    return json.dumps({"size": st.st_size, "mtime_ns": st.st_mtime_ns, "method": method, "params": params},
                      sort_keys=True)


def _cache_paths(path: Path, method: str) -> list[Path]:
    from diffbench.simulate.spi.volume import cache_dir

    name = f"{path.name}.latent-{method.replace(':', '_').replace('/', '_')}.npz"
    return [path.with_name(name), Path(cache_dir()) / "latent" / name]


def load_latent_file(path, n: int) -> np.ndarray:
    """A precomputed latent array: ``.npy`` of shape (N, k), or ``.npz`` with a ``latent`` array."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"--latent-file: no such file {p}")
    arr = np.load(p)
    if isinstance(arr, np.lib.npyio.NpzFile):
        if "latent" not in arr:
            raise ValueError(f"--latent-file {p}: an .npz needs an array named 'latent', has {sorted(arr.files)}")
        arr = arr["latent"]
    arr = np.asarray(arr, dtype=float)
    if arr.ndim != 2 or arr.shape[0] != n or arr.shape[1] < 2:
        raise ValueError(f"--latent-file {p}: expected shape ({n}, k >= 2), got {arr.shape}")
    return arr


def axis_labels(est, name: str, k: int) -> list[str]:
    """Axis titles of a latent space: "PC 1 (23.4 % var.)": the share of the data's variance where the method says how
    much of the data's variance each component holds, else "NAME 1"."""
    inner = getattr(est, "ipca_", None) or getattr(est, "estimator_", None) or est
    ratio = getattr(inner, "explained_variance_ratio_", None)
    if ratio is not None and len(ratio) >= k:
        return [f"{name} {i + 1} ({100 * float(r):.1f} % var.)" for i, r in enumerate(ratio[:k])]
    return [f"{name} {i + 1}" for i in range(k)]


def latent_space(path, method: str = "ipca-envelope", params: dict | None = None, use_cache: bool = True,
                 log=None, name: str | None = None) -> tuple[np.ndarray, dict, list[str]]:
    """(coordinates (N, k), predictions {name: (N,)}, axis titles) of a latent method on a dataset.

    ``method`` is a registered name or ``package.module:Class``; a class that is not a diffbench
    method receives the frames as a plain array (:mod:`diffbench.methods.plain`). It must answer
    ``transform`` or ``fit_transform`` (used when it has one, saving a pass over the file);
    classifiers also give their ``predict`` as a prediction column, an envelope's as
    "inlier"/"outlier".
    """
    from diffbench.methods.registry import make_method

    path = Path(path)
    params = dict(params or {})
    if method == "ipca-envelope" and "downsample" not in params:
        from diffbench.io.cxi import open_dataset

        with open_dataset(path) as d:
            ny, nx = d.shape[1:]
        if ny <= 128 or nx <= 128:  # paper 004's 128×128 Fourier crop needs larger frames
            params["downsample"] = None
    key = _key(path, method, params)
    candidates = _cache_paths(path, method)
    if use_cache:
        for c in candidates:
            if c.is_file():
                with np.load(c, allow_pickle=False) as z:
                    if str(z["key"]) == key and "axes" in z.files:
                        preds = {k[5:]: z[k] for k in z.files if k.startswith("pred_")}
                        return z["latent"], preds, [str(a) for a in z["axes"]]
    est = make_method(method, **params)
    if not (hasattr(est, "transform") or hasattr(est, "fit_transform")):
        raise ValueError(f"--latent {method}: answers neither transform() nor fit_transform(); not a latent method")
    if log:
        log(f"computing the {method} latent space of {path.name} (cached for next time)")
    from diffbench.io.cxi import open_dataset

    with open_dataset(path) as d:
        latent = est.fit_transform(d) if hasattr(est, "fit_transform") else est.fit(d).transform(d)
        preds = {}
        if hasattr(est, "envelope_"):
            preds[method] = np.where(est.envelope_.predict(latent) == 1, "inlier", "outlier")
        elif hasattr(est, "predict"):
            preds[method] = np.asarray(est.predict(d))
    latent = np.asarray(latent, dtype=float)
    if latent.ndim != 2 or latent.shape[0] != len(d) or latent.shape[1] < 2:
        raise ValueError(f"--latent {method}: expected coordinates of shape ({len(d)}, k >= 2), got {latent.shape}")
    axes = axis_labels(est, name or method, latent.shape[1])
    if use_cache:
        for c in candidates:
            try:
                c.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(c, suffix=".npz") as tmp:
                    np.savez(tmp, latent=latent, key=np.array(key), axes=np.array(axes),
                             **{f"pred_{k}": v for k, v in preds.items()})
                break
            except OSError:
                continue
    return latent, preds, axes

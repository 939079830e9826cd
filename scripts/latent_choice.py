"""Which latent space should `diffbench view` open with? Measured, not assumed.

For each candidate latent (raw-pixel IPCA, the viewer's former default; PCA of brightness-normalised,
square-rooted frames)
on generated data with known truth: the 5-nearest-neighbour accuracy of the hit class in the
first two components (5-fold CV; what a user sees as separated clusters on the page), and
|Spearman ρ| of the first component with the log photon count (how much of the page's main axis
is brightness, a nuisance). Several seeds per recipe; mean and range printed.

  python scripts/latent_choice.py            # PR772 mix (paper crop) and chaperonin-xfel (bin8)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

import diffbench
from diffbench.methods.registry import make_method

CASES = {
    "pr772-spi-v6": ["detector.nx=192", "detector.ny=96", "detector.beam_center_xy_px=[95.5, 47.5]",
                     "hits.classes={single: 0.3, multiple: 0.2, aggregate: 0.2, contaminant: 0.2, mixed: 0.1}"],
    "chaperonin-xfel-v3": ["detector.preset=pnccd-amo86615-bin8"],
}
LATENTS = {"raw-pixel IPCA": ("ipca-envelope", {"downsample": None}), "shape PCA": ("shape-pca", {})}


def measure(path, name, params):
    est = make_method(name, **params)
    z = est.fit_transform(path) if hasattr(est, "fit_transform") else est.fit(path).transform(path)
    with diffbench.open_dataset(path) as d:
        cls = np.asarray(d.truth["hit_class"]).astype(str)
        photons = np.log1p(np.asarray(d.truth["photons_total"], float))
    knn = cross_val_score(KNeighborsClassifier(5), z[:, :2], cls, cv=5).mean()
    rho = abs(spearmanr(z[:, 0], photons)[0])
    return knn, rho


def main(n=400, seeds=(1, 2, 3)):
    with tempfile.TemporaryDirectory() as tmp:
        for recipe, ov in CASES.items():
            res = {k: [] for k in LATENTS}
            for seed in seeds:
                path = Path(tmp) / f"{recipe}-{seed}.cxi"
                diffbench.simulate_to_file(recipe, n, path, seed=seed, overrides=ov, progress=False)
                for label, (name, params) in LATENTS.items():
                    res[label].append(measure(path, name, params))
            for label, rows in res.items():
                a = np.array(rows)
                print(f"{recipe:20s} {label:15s} kNN hit-class accuracy {a[:, 0].mean():.3f} "
                      f"({a[:, 0].min():.3f}-{a[:, 0].max():.3f}); |rho(PC1, log photons)| {a[:, 1].mean():.3f} "
                      f"({a[:, 1].min():.3f}-{a[:, 1].max():.3f}); {len(rows)} seeds x {n} frames")


if __name__ == "__main__":
    main()

"""Few-shot hit classification on species the embedding never saw (issue 25, item 3).

A triplet-loss embedding (diffbench.methods.cnn.few_shot) is trained on single vs non-single hits
(coherent doubles and touching aggregates) of three species — protein spheres, GroEL (1SS8) and PR772 — and then classifies hits of three species
it never saw — apoferritin (2W0O), the TMV coat-protein ring (1EI7) and hemocyanin (4BED) — from k
labelled frames per class (k = 1, 5, 20; 10 random support draws each), by nearest class prototype.
Controls on the same frames and supports: the same prototypes in an untrained network's embedding
(what the training adds), the photon count (nearest prototype in log photons: a double has twice a
single's photons at equal fluence) and chance (0.5, balanced classes).

Geometry: chaperonin-xfel-v3 on the 8x8-binned pnCCD (4.6 keV, Gaussian focus, particles spread over
it, 30 % pulse jitter: the photon count overlaps between classes); singles 50 %, doubles 25 %,
aggregates 25 %.

  python scripts/few_shot.py [--n 400] [--pdb ../shared/data/pdb]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

import diffbench

BASE = ["detector.preset=pnccd-amo86615-bin8", "hits.classes={single: 0.5, multiple: 0.25, aggregate: 0.25}"]
TRAIN = {
    "protein spheres": "{shape: sphere, material: protein, size_m: {distribution: uniform, low: 10e-9, high: 40e-9}}",
    "GroEL 1SS8": "{shape: atomic, structure: 'package:1SS8.pdb.gz', assembly: first}",
    "PR772": "{shape: icosahedral-virus, size_m: {distribution: uniform, low: 55e-9, high: 80e-9}, "
             "shell_thickness_m: 5e-9, material: protein, inner_material: virus-core}",
}
UNSEEN = {"apoferritin 2W0O": "2W0O.pdb", "TMV ring 1EI7": "1EI7.pdb", "hemocyanin 4BED": "4BED.pdb.gz"}


def simulate(folder: Path, label: str, species: str, n: int, seed: int):
    path = folder / f"{label.replace(' ', '-')}.cxi"
    diffbench.simulate_to_file("chaperonin-xfel-v3", n, path, seed=seed, overrides=BASE + [
        f"species.chaperonin={species}"], progress=False)
    with diffbench.open_dataset(path) as d:
        y = np.where(np.asarray(d.truth["is_single_hit"]), "single", "double")  # double: 2 particles
        frames = d.patterns[()]
    return frames, y


def k_shot(est, frames, y, k: int, draws: int, seed: int) -> tuple[float, float]:
    """Accuracy (mean, std over ``draws`` random supports of k per class) on the other frames;
    ``est`` None: the photon-count control (nearest class mean of log photons)."""
    rng = np.random.default_rng(seed)  # the same supports for every method
    acc = []
    photons = np.log1p(frames.reshape(len(frames), -1).sum(axis=1).astype(float))
    for _ in range(draws):
        support = np.concatenate([rng.choice(np.flatnonzero(y == c), k, replace=False) for c in ("single", "double")])
        query = np.setdiff1d(np.arange(len(y)), support)
        if est is None:
            means = {c: photons[support][y[support] == c].mean() for c in ("single", "double")}
            pred = np.where(np.abs(photons[query] - means["single"]) <= np.abs(photons[query] - means["double"]),
                            "single", "double")
        else:
            est.set_support(frames[support], y[support])
            pred = est.predict(frames[query])
        acc.append(float((pred == y[query]).mean()))
    return float(np.mean(acc)), float(np.std(acc))


def main(argv=None):
    from diffbench.methods.cnn.few_shot import FewShotEmbedding

    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=400, help="frames per species")
    ap.add_argument("--n-iter", type=int, default=400)
    ap.add_argument("--pdb", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "pdb"))
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        xs, ys = [], []
        for i, (label, spec) in enumerate(TRAIN.items()):
            f, y = simulate(tmp, label, spec, args.n, seed=10 + i)
            xs.append(f)
            ys.append(y)
        est = FewShotEmbedding(n_iter=args.n_iter, random_state=0).fit(np.concatenate(xs), np.concatenate(ys))
        untrained = FewShotEmbedding(n_iter=0, random_state=0).fit(xs[0][:8], ys[0][:8])
        print(f"trained on {', '.join(TRAIN)} ({3 * args.n} frames, {args.n_iter} steps); loss "
              f"{est.loss_curve_[0]:.3f} -> {est.loss_curve_[-1]:.3f}")
        print("| unseen species | k | trained embedding | untrained net | photon count | chance |")
        print("|---|---|---|---|---|---|")
        for j, (label, pdb) in enumerate(UNSEEN.items()):
            spec = f"{{shape: atomic, structure: '{Path(args.pdb) / pdb}', assembly: first}}"
            f, y = simulate(tmp, label, spec, args.n, seed=20 + j)
            for k in (1, 5, 20):
                a, sa = k_shot(est, f, y, k, 10, seed=k)
                b, sb = k_shot(untrained, f, y, k, 10, seed=k)
                c, sc = k_shot(None, f, y, k, 10, seed=k)
                print(f"| {label} | {k} | {a:.3f} ± {sa:.3f} | {b:.3f} ± {sb:.3f} | {c:.3f} ± {sc:.3f} | 0.5 |")


if __name__ == "__main__":
    main()

"""Does the landscape VAE's decoded 3-D intensity follow the melting, not just its latent z?

For each seed of gold-melt-landscape's quick setting: the bootstrapped class averages of 2,000
simulated gold-melt frames, the VAE (z_dim 1) fitted on them; then at the z of the averages that are
mostly cubes (melt 0) and of those that are mostly spheres (melt 1) — the median μ of each group —
the decoded intensity on a 3-D q-grid is compared with the true intensity of the simulator's
melting cube at melt 0 and at melt 1 (the same reference volumes the frames were rendered from),
shell by shell with each volume's radial profile removed (diffbench.bench.fsc.shell_correlation). A decoder
that follows the melting correlates better with the matching end than with the other.

A sphere's intensity has no anisotropy, so the correlation with the melt-1 end says nothing by
itself: each decoded volume is also placed on the melting path by its anisotropy (the mean over
shells of the rms angular variation over the radial profile, diffbench.bench.fsc.shell_anisotropy), matched to the nearest of the recipe's 33
melt levels m*, whose volume is (1 + 0.10 m*) times the cube's (the recipe's volume_growth; paper
001 reports ≈ +10 % from cube to sphere). The volume change along z is the ratio at the two ends.

  python scripts/landscape_vae_volumes.py [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np


def true_melt_intensity(ds, melt: float, q_grid: np.ndarray) -> np.ndarray:
    """|A(q)|² of the recipe's gold cube at the melt level nearest ``melt``, 42 nm edge."""
    from diffbench.bench.reconstruction import recipe_simulator
    from diffbench.simulate.spi.reference import amplitude

    sim = recipe_simulator(ds)
    sp = sim.species["gold-cube"]
    li = int(round(melt * (len(sp.levels) - 1)))
    entry = sp.entries[li]
    scale = 42e-9 / sp.reference_m
    q = q_grid.reshape(-1, 3)
    a = amplitude(q * scale, sim.table.kind[entry], sim.table.size[entry], sim.table.volumes[entry])
    return (np.abs(a) ** 2).reshape(q_grid.shape[:-1])


def main(argv=None) -> None:
    from diffbench.bench.averaged import averaged_items
    from diffbench.bench.datasets import condition_values
    from diffbench.bench.fsc import shell_anisotropy, shell_correlation
    from diffbench.io.cxi import open_dataset
    from diffbench.methods.frames import as_frames
    from diffbench.methods.landscape_vae import LandscapeVAE
    from diffbench.simulate.driver import simulate_to_file

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = ap.parse_args(argv)
    spec = {"n_runs": 5, "fraction": 0.8,
            "em2d_params": {"n_classes": 40, "n_angles": 24, "n_iter": 20, "grid_radius": 16, "beta": 1.0}}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            path = Path(tmp) / f"gm-{seed}.cxi"
            simulate_to_file("gold-melt-v5", 2000, path, seed=seed, progress=False)
            with open_dataset(path) as ds:
                fields = {"shape_stage": condition_values(ds, "shape_stage"),
                          "melt": np.asarray(condition_values(ds, "target_shape_param"), float)}
                items, truth, _ = averaged_items(as_frames(ds), fields, spec, seed)
                vae = LandscapeVAE(z_dim=1, random_state=seed).fit(items)
                z = vae.transform(items)[:, 0]
                q_max = float(np.linalg.norm(vae.q_, axis=1).max())
                n = 33
                ax = (np.arange(n) - n // 2) * q_max / (n // 2)
                qz, qy, qx = np.meshgrid(ax, ax, ax, indexing="ij")
                grid = np.stack([qx, qy, qz], axis=-1)
                inside = np.linalg.norm(grid, axis=-1) <= q_max
                ends = {0.0: truth["shape_stage"] == "start", 1.0: truth["shape_stage"] == "end"}
                levels = np.linspace(0, 1, 33)
                truths = {float(m): true_melt_intensity(ds, m, grid) for m in levels}

                def corr(a, b):
                    return float(np.nanmean(shell_correlation(a, b, mask=inside, subtract_isotropic=True)
                                            .correlation[1:n // 2]))

                def anisotropy(v):  # rms angular variation over the radial profile, mean of shells 2..15
                    return float(np.nanmean(shell_anisotropy(v, inside)[2:n // 2]))

                level_aniso = {t: anisotropy(v) for t, v in truths.items()}
                for m, sel in ends.items():
                    if sel.sum() < 3:
                        continue
                    decoded = vae.decode([np.median(z[sel])], grid)
                    a = anisotropy(decoded)
                    best = min(level_aniso, key=lambda t: abs(level_aniso[t] - a))
                    rows.append((seed, m, int(sel.sum()), corr(decoded, truths[0.0]), a, best))
                print(f"seed {seed}: anisotropy of the true levels: cube {level_aniso[0.0]:.3f}, "
                      f"melt 0.5 {level_aniso[0.5]:.3f}, sphere {level_aniso[1.0]:.3f}")
    print("seed | averages' end | n averages | decoded vs true cube (shell corr) | decoded anisotropy | melt level m*")
    for seed, m, k, cube, a, best in rows:
        print(f"{seed} | {'cube' if m == 0 else 'sphere'} | {k} | {cube:.3f} | {a:.3f} | {best:.3f}")
    for seed in args.seeds:
        ms = {m: best for s_, m, _, _, _, best in rows if s_ == seed}
        if len(ms) == 2:
            print(f"seed {seed}: volume change along z (cube-end z -> sphere-end z) "
                  f"{(1 + 0.10 * ms[1.0]) / (1 + 0.10 * ms[0.0]) - 1:+.1%} (truth +10.0 %)")


if __name__ == "__main__":
    main()

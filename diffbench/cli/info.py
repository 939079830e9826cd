"""Summarise a diffbench CXI file: shape, counts per hit class, photons per pattern, geometry.

Examples:
  diffbench info pr772.cxi
"""

from __future__ import annotations


def add_args(p):
    p.add_argument("file", help="a CXI file written by diffbench simulate")


def summary(path) -> str:
    import json

    import numpy as np

    from diffbench.io.cxi import open_dataset

    lines = []
    with open_dataset(path) as d:
        t, a, g = d.truth, d.attrs, d.geometry
        n, ny, nx = d.shape
        lines.append(f"{path}: {n} patterns of {ny}x{nx} ({d.patterns.dtype}), recipe {a.get('recipe')} "
                     f"seed {a.get('seed')}, diffbench {a.get('diffbench_version')}, "
                     f"compression {a.get('compression')}, noise {bool(a.get('noise'))}")
        det = g["detector"] or {}
        wl = g["wavelength_m"]
        lines.append(f"geometry: {det.get('name')} distance {g['distance_m']:.4g} m, pixel {g['pixel_size_m'] * 1e6:.4g} um, "
                     f"beam centre ({g['beam_center_xy_px'][0]:.2f}, {g['beam_center_xy_px'][1]:.2f}) px, "
                     f"photon energy {g['photon_energy_j'] / 1.602176634e-19:.6g} eV ({wl * 1e9:.4g} nm)")
        if d.mask is not None:
            lines.append(f"mask: {(d.mask != 0).mean() * 100:.1f} % of pixels flagged")
        lines.append(f"point groups: {json.loads(a.get('point_groups', '{}'))}")
        classes, counts = np.unique(t["hit_class"], return_counts=True)
        lines.append("hit classes: " + ", ".join(f"{c} {k}" for c, k in zip(classes, counts))
                     + f"; single hits {int(t['is_single_hit'].sum())}")
        ph = t["photons_total"].astype(float)
        lines.append(f"photons per pattern: mean {ph.mean():.4g}, median {np.median(ph):.4g}, "
                     f"min {ph.min():.4g}, max {ph.max():.4g}")
        for c in classes:
            sel = t["hit_class"] == c
            lines.append(f"  {c:<12} mean photons {ph[sel].mean():.4g}")
        p = d.particles
        if len(p.get("species", [])):
            sp, k = np.unique(p["species"], return_counts=True)
            lines.append("particles: " + ", ".join(f"{s} {c}" for s, c in zip(sp, k)))
            tgt = p["is_target"]
            if tgt.any():
                dm = p["diameter_m"][tgt] * 1e9
                lines.append(f"target volume-equivalent diameter: mean {dm.mean():.1f} nm, sd {dm.std():.1f} nm")
    return "\n".join(lines)


def main(args):
    print(summary(args.file))
    return 0

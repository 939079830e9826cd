"""Summarise a diffbench CXI file: shape, counts per hit class, photons per pattern, geometry.

Examples:
  diffbench info pr772.cxi
"""

from __future__ import annotations


def add_args(p):
    p.add_argument("file", help="a CXI file written by diffbench simulate")


def summary(path) -> str:
    import json

    import h5py
    import numpy as np

    from diffbench.io.cxi import open_dataset

    with h5py.File(path, "r") as f:
        if f.attrs.get("kind") == "mx-merged":
            return _mx_summary(path, f)
    lines = []
    with open_dataset(path) as d:
        if d.attrs.get("kind") in ("ed-scan", "xray-droplet"):
            return _frames_summary(path, d)
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
        if "ice_type" in t and (t["ice_thickness_m"].any() or t["amorphous_thickness_m"].any()):
            ice = t["ice_type"].astype(str) != ""
            lines.append(f"rings: ice on {int(ice.sum())} patterns ({_counts(t['ice_type'][ice]) or 'none'})"
                         + (f", mean {t['ice_expected_photons'][ice].mean():.4g} ice photons" if ice.any() else ""))
            amo = t["amorphous_thickness_m"] > 0
            if amo.any():
                lines.append(f"amorphous {t['amorphous_material'][amo].astype(str)[0]} on {int(amo.sum())} patterns, "
                             f"thickness {t['amorphous_thickness_m'][amo].mean() * 1e6:.3g} um mean, "
                             f"{t['amorphous_expected_photons'][amo].mean():.4g} halo photons mean")
    return "\n".join(lines)


def _counts(values) -> str:
    import numpy as np

    v, k = np.unique(values, return_counts=True)
    return ", ".join(f"{a} {b}" for a, b in zip(v, k))


def _frames_summary(path, d) -> str:
    t, a, g = d.truth, d.attrs, d.geometry
    n, ny, nx = d.shape
    lines = [f"{path}: {a.get('kind')} recipe {a.get('recipe')} seed {a.get('seed')}: {n} frames of {ny}x{nx} "
             f"({d.patterns.dtype}), diffbench {a.get('diffbench_version')}",
             f"geometry: distance {g['distance_m']:.4g} m, pixel {g['pixel_size_m'] * 1e6:.4g} um, "
             f"wavelength {g['wavelength_m'] * 1e10:.5g} A"]
    if a.get("kind") == "ed-scan":
        lines.append(f"scans: {a.get('n_scans')}; sessions: {_counts(t['session'])}")
        lines.append(f"labels: {_counts(t['label'])}")
        lines.append(f"label rule: {a.get('label_rule')}")
        lines.append(f"frames hitting crystals: {int((t['n_crystals_hit'] > 0).sum())}; "
                     f"mean counts per frame {t['counts_total'].mean():.4g}")
    else:
        lines.append(f"classes: {_counts(t['hit_class'])}; ring modes: {_counts(t['ring_mode'])}")
        lines.append(f"photons per frame: mean {t['photons_total'].mean():.4g}")
    return "\n".join(lines)


def _mx_summary(path, f) -> str:
    import numpy as np

    d = {k: v[()] for k, v in f["datasets"].items()}
    r = {k: v[()] for k, v in f["ranges"].items()}
    a = f.attrs
    dmin = d["d_min_m"] * 1e10
    lines = [f"{path}: mx-merged recipe {a['recipe']} seed {a['seed']}: {len(dmin)} data sets, MTZ files in "
             f"{a['mtz_dir']}/ (columns {a['columns']})",
             f"reflections per data set: median {np.median(d['n_reflections']):.0f} "
             f"[{d['n_reflections'].min()}, {d['n_reflections'].max()}]; d_min median {np.median(dmin):.2f} A",
             f"space groups: {_counts(d['space_group'].astype(str))}",
             f"ice injected: {int(d['has_ice'].sum())}; labelled icy (visible ring): {int(d['label_ice'].sum())}; "
             f"types {_counts(d['ice_type'][d['has_ice']].astype(str))}; modes {_counts(d['artefact_mode'][d['has_ice']].astype(str))}",
             f"ranges: {int(r['ring_injected'].sum())} injected, {int(r['visible'].sum())} visible, "
             f"{int(r['blank'].sum())} blank",
             f"visibility rule: {a['visibility_rule']}"]
    return "\n".join(lines)


def main(args):
    print(summary(args.file))
    return 0

"""Summarise a diffbench CXI file: shape, counts per hit class, photons per pattern, geometry.

Examples:
  diffbench info pr772.cxi
"""

from __future__ import annotations


def add_args(p):
    p.add_argument("file", help="a CXI file written by diffbench simulate")


def summary(path) -> str:
    """``diffbench info``'s text for any file diffbench wrote, by the kind it records."""
    from diffbench.io.readers import kind_of_file

    kind = kind_of_file(path)
    with kind.open(path) as d:
        text = kind.load("summary")(path, d)
        if getattr(d, "verified", None):
            text += (f"\nshards checked: {d.verified} (present, sizes, SHA-256 of those whose mtime changed); "
                     f"`diffbench verify {path}` checks every shard and frame")
        return text


def foreign_summary(path, d) -> str:
    """A CXI file diffbench did not write: its frames and whatever geometry it states."""
    import numpy as np

    from diffbench.units import EV_J

    n, ny, nx = d.shape
    g = d.geometry
    lines = [f"{path}: {n:,} frames of {ny}x{nx} ({d.patterns.dtype}); no diffbench truth (not written by "
             "diffbench): frames and geometry only"]
    parts = []
    if g["distance_m"] is not None:
        parts.append(f"distance {g['distance_m']:.4g} m")
    if g["pixel_size_m"] is not None:
        parts.append(f"pixel {g['pixel_size_m'] * 1e6:.4g} µm")
    if g["photon_energy_j"]:
        parts.append(f"photon energy {g['photon_energy_j'] / EV_J:.6g} eV")
    elif g["wavelength_m"]:
        parts.append(f"wavelength {g['wavelength_m'] * 1e9:.4g} nm")
    lines.append("geometry: " + (", ".join(parts) if parts else "none stated"))
    first = np.asarray(d.patterns[: min(n, 64)], dtype=float)
    lines.append(f"counts in the first {len(first)} frames: mean {first.sum(axis=(1, 2)).mean():.4g} per frame")
    return "\n".join(lines)


def spi_summary(path, d) -> str:
    """Summary of an SPI file: geometry, hit classes, photons, particles, rings."""
    import json

    import numpy as np

    from diffbench.units import EV_J

    lines = []
    t, a, g = d.truth, d.attrs, d.geometry
    n, ny, nx = d.shape
    if not getattr(d, "has_truth", True):
        return foreign_summary(path, d)
    lines.append(f"{path}: {n:,} patterns of {ny}x{nx} ({d.patterns.dtype}), recipe {a.get('recipe')} "
                 f"seed {a.get('seed')}, diffbench {a.get('diffbench_version')}, noise {bool(a.get('noise'))}")
    lines.append(f"compression: {a.get('compression')} ({how_to_read(a.get('compression'))})")
    det = g["detector"] or {}
    wl = g["wavelength_m"]
    lines.append(f"geometry: {det.get('name')} distance {g['distance_m']:.4g} m, pixel {g['pixel_size_m'] * 1e6:.4g} um, "
                 f"beam centre ({g['beam_center_xy_px'][0]:.2f}, {g['beam_center_xy_px'][1]:.2f}) px, "
                 f"photon energy {g['photon_energy_j'] / EV_J:.6g} eV ({wl * 1e9:.4g} nm)")
    if d.mask is not None:
        lines.append(f"mask: {(d.mask != 0).mean() * 100:.1f} % of pixels flagged")
    groups = json.loads(a.get("point_groups", "{}"))
    if groups:
        lines.append("point groups: " + ", ".join(f"{k} {v}" for k, v in groups.items()))
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
            size = p["size_m"][tgt] * 1e9
            dm = p["diameter_m"][tgt] * 1e9
            lo, hi = np.percentile(size, [5, 95])
            lines.append(f"target size (the recipe's size_m): mean {size.mean():.1f} nm, sd {size.std():.1f} nm, "
                         f"5-95 % {lo:.1f}-{hi:.1f} nm; volume-equivalent diameter: mean {dm.mean():.1f} nm")
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


def how_to_read(compression) -> str:
    """How a program other than diffbench reads frames written with ``compression`` (the text the
    frames carry in their ``how_to_read`` attribute)."""
    from diffbench.io.cxi import HOW_TO_READ

    return HOW_TO_READ.get(compression, "any HDF5 reader")


def _counts(values) -> str:
    import numpy as np

    v, k = np.unique(values, return_counts=True)
    return ", ".join(f"{a} ({b})" for a, b in zip(v, k)) or "none"


def _frames_header(path, d) -> list[str]:
    a, g = d.attrs, d.geometry
    n, ny, nx = d.shape
    return [f"{path}: {a.get('kind')} recipe {a.get('recipe')} seed {a.get('seed')}: {n} frames of {ny}x{nx} "
            f"({d.patterns.dtype}), diffbench {a.get('diffbench_version')}",
            f"geometry: distance {g['distance_m']:.4g} m, pixel {g['pixel_size_m'] * 1e6:.4g} um, "
            f"wavelength {g['wavelength_m'] * 1e9:.5g} nm"]


def ed_summary(path, d) -> str:
    """Summary of an ED scan file: scans, sessions, labels and the label rule."""
    t, a = d.truth, d.attrs
    lines = _frames_header(path, d)
    lines.append(f"scans: {a.get('n_scans')}; sessions: {_counts(t['session'])}")
    lines.append(f"labels: {_counts(t['label'])}")
    lines.append(f"label rule: {a.get('label_rule')}")
    lines.append(f"frames hitting crystals: {int((t['n_crystals_hit'] > 0).sum())}; "
                 f"mean counts per frame {t['counts_total'].mean():.4g}")
    return "\n".join(lines)


def droplet_summary(path, d) -> str:
    """Summary of a droplet file: classes, ring modes, photons."""
    t = d.truth
    lines = _frames_header(path, d)
    lines.append(f"classes: {_counts(t['hit_class'])}; ring modes: {_counts(t['ring_mode'])}")
    lines.append(f"photons per frame: mean {t['photons_total'].mean():.4g}")
    return "\n".join(lines)


def mx_summary(path, coll) -> str:
    """Summary of a merged-MX index: reflections, resolution, space groups, ice truth."""
    import numpy as np

    d, r, a = coll.truth, coll.ranges, coll.attrs
    dmin = d["d_min_m"] * 1e10
    lines = [f"{path}: mx-merged recipe {a['recipe']} seed {a['seed']}: {len(dmin)} data sets, MTZ files in "
             f"{a['mtz_dir']}/ (columns {a['columns']})",
             f"reflections per data set: median {np.median(d['n_reflections']):.0f} "
             f"[{d['n_reflections'].min()}, {d['n_reflections'].max()}]; d_min median {np.median(dmin):.2f} Å",
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

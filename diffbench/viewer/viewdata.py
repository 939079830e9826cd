"""Everything a latent-space page shows, gathered from a dataset file: latent coordinates, colour
fields, thumbnails, real-space projections, per-point truth text and (for ED scans) map positions.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from diffbench.viewer.fields import colour_fields


@dataclass
class ViewData:
    """Per-point columns of a page (all of length N) and what the page says about its source."""

    source: str
    source_sha256: str
    latent: np.ndarray  # (N, k)
    latent_name: str
    fields: dict  # name → (values, kind)
    info: list  # N short HTML strings (truth of each point)
    thumbs: list | None = None  # N data-URI PNGs (hover)
    pins: list | None = None  # N larger data-URI PNGs (tap), None: use thumbs
    realspace: list | None = None  # N data-URI PNGs of the particles, None: no real-space view
    scan_map: dict | None = None  # ED scans: {"x": (N,), "y": (N,), "nx": int, "ny": int}
    extra: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.latent.shape[0])

    def default_colour(self) -> str | None:
        """The field a page opens coloured by: the hit class (or label) where there is one."""
        for name in ("hit_class", "label", "is_single_hit"):
            if name in self.fields:
                return name
        return next(iter(self.fields), None)

    def check_colour(self, name: str | None) -> str | None:
        """``name`` if it is a field of this view (None: the default); else a one-line error listing them."""
        if name is None:
            return self.default_colour()
        if name not in self.fields:
            raise ValueError(f"--colour-by {name!r}: not a field of this file; fields: {', '.join(self.fields) or 'none'}")
        return name

    def rare_last(self, colour_by: str | None = None) -> "ViewData":
        """The same points reordered so that the rarest classes of the (categorical) colour field
        come last, and are drawn on top: 4 single hits among 300 points stay visible. Every
        per-point column moves together; selections and pins name file indices, not rows."""
        from diffbench.viewer.fields import CATEGORICAL

        name = self.check_colour(colour_by)
        if name is None or self.fields[name][1] != CATEGORICAL:
            return self
        values = np.asarray(self.fields[name][0])
        cats, inv, counts = np.unique(values, return_inverse=True, return_counts=True)
        perm = np.lexsort((np.arange(self.n), -counts[inv.ravel()]))  # most common first, stable
        take = lambda col: None if col is None else [col[i] for i in perm]  # noqa: E731
        fields = {k: (np.asarray(v)[perm], kind) for k, (v, kind) in self.fields.items()}
        scan_map = None if self.scan_map is None else {
            k: (np.asarray(v)[perm] if np.ndim(v) else v) for k, v in self.scan_map.items()}
        extra = dict(self.extra, points=np.asarray(self.extra["points"])[perm])
        if extra.get("pin_max") is not None:
            extra["pin_max"] = take(extra["pin_max"])
        return ViewData(self.source, self.source_sha256, self.latent[perm], self.latent_name, fields, take(self.info),
                        take(self.thumbs), take(self.pins), take(self.realspace), scan_map, extra)


def _fmt(v) -> str:
    if isinstance(v, (float, np.floating)):
        if not np.isfinite(v):
            return "–"
        a = abs(v)
        return f"{v:.4g}" if 1e-3 <= a < 1e5 or a == 0 else f"{v:.3e}"
    if isinstance(v, bytes):
        return v.decode()
    return str(v)


#: truth fields listed first on a pinned point (others follow in file order)
FIRST = ("hit_class", "label", "multiplicity", "is_single_hit", "photons_total", "counts_total", "ice_type",
         "ice_thickness_m", "ice_expected_photons", "amorphous_material", "amorphous_thickness_m", "scan_index",
         "scan_i", "scan_j", "frac_carbon", "frac_amorphous_ice", "frac_crystalline_ice", "frac_vacuum")


def truth_text(i: int, truth: dict, particles: dict | None, rows_of: dict | None, max_fields: int = 14,
               file_index: int | None = None) -> str:
    """Row i's truth (scalars only) and its particles as ``key: value`` lines (HTML-escaped; the
    page shows them as a table); ``file_index`` is the pattern's index in the file (default i)."""
    cells = [f"index: {i if file_index is None else file_index}"]
    shown = 0
    keys = [k for k in FIRST if k in truth] + [k for k in truth if k not in FIRST]
    for k in keys:
        v = truth[k]
        v = np.asarray(v)
        if v.ndim != 1 or shown >= max_fields:
            continue
        val = v[i]
        if k.startswith(("ice_", "amorphous_")) and (val == 0 or val in (b"", "")):
            continue
        if k.endswith("_m") and isinstance(val, (float, np.floating)) and np.isfinite(val):
            cells.append(f"{html.escape(k[:-2])}: {html.escape(_fmt(val * 1e9))} nm")  # lengths in nm
        else:
            cells.append(f"{html.escape(k)}: {html.escape(_fmt(val))}")
        shown += 1
    if rows_of is not None and particles:
        for r in rows_of.get(i, [])[:6]:
            sp = _fmt(particles["species"][r])
            d = particles["diameter_m"][r] * 1e9
            pos = particles["position_m"][r] * 1e9
            cells.append(f"particle: {html.escape(sp)} {d:.1f} nm at ({pos[0]:.0f}, {pos[1]:.0f}) nm")
    if rows_of is not None and not rows_of.get(i):
        cells.append("particles: none in the beam")
    return "\n".join(cells)


def _rows_by_pattern(particles: dict | None) -> dict | None:
    if not particles or len(particles.get("pattern_index", [])) == 0:
        return None
    out: dict[int, list] = {}
    for r, p in enumerate(np.asarray(particles["pattern_index"])):
        out.setdefault(int(p), []).append(r)
    return out


def _particles_for(d, pts: np.ndarray) -> dict | None:
    """The particle rows of patterns ``pts``, with pattern_index renumbered to positions in pts."""
    parts = d.particles if d.particles and len(d.particles.get("pattern_index", [])) else None
    if parts is None:
        return None
    pos_of = np.full(len(d), -1, dtype=np.int64)
    pos_of[pts] = np.arange(len(pts))
    where = pos_of[np.asarray(parts["pattern_index"], dtype=np.int64)]
    keep = where >= 0
    out = {k: np.asarray(v)[keep] for k, v in parts.items()}
    out["pattern_index"] = where[keep]
    return out


def pattern_geometry(d, pin_px: int | None):
    """What the pinned patterns need from the file's geometry: the block-averaged |q| map at the
    pinned size (1/m), the resolution rings drawn on them (d-spacings, m) and a caption stating the
    axes; (None, [], caption) when the file has no geometry."""
    from diffbench.viewer.images import block_sum, nice_resolution_rings

    try:
        det, beam = d.detector(), d.beam()
    except Exception:  # a file without diffbench geometry: patterns without rings
        return None, [], "y up (row 0 of the frame at the bottom); no detector geometry in the file"
    from diffbench.geometry.detector import q_vectors

    q = q_vectors(det, beam)
    qn = np.linalg.norm(q, axis=-1)
    valid = det.valid()
    ones = np.ones(qn.shape)
    q_block = block_sum(qn, pin_px or 128) / np.maximum(block_sum(ones, pin_px or 128), 1)
    inner = max(float(qn[valid].min()), 1e-12) if valid.any() else float(qn.min())
    # rings inside the largest circle the detector holds around the beam, so they close
    edge = float(min(np.abs(q[..., 0]).max(), np.abs(q[..., 1]).max()))
    rings = nice_resolution_rings(inner * 1.5, edge)
    qx, qy = q[..., 0] * 1e-9, q[..., 1] * 1e-9
    caption = (f"x right, y up, beam out of the page (seen from behind the detector, as docs/conventions.md); q_x {qx.min():.2f} … {qx.max():.2f} nm⁻¹ (left to right), "
               f"q_y {qy.min():.2f} … {qy.max():.2f} nm⁻¹ (bottom to top)")
    if rings:
        caption += "; cyan rings at d = " + ", ".join(f"{r * 1e9:g}" for r in rings) + " nm (q = " + \
            ", ".join(f"{2 * np.pi / r * 1e-9:.2f}" for r in rings) + " nm⁻¹)"
    return q_block, [2 * np.pi / r for r in rings], caption


def _images(path, pts: np.ndarray, thumb_px: int, pin_px: int | None, realspace_px: int):
    """Thumbnails, pinned images (with their brightest block's photons), real-space images and
    their captions for patterns ``pts`` (sorted). Opens the file itself, so chunks can run in
    worker processes. Every image is y up (:mod:`diffbench.viewer.images`)."""
    from diffbench.io.cxi import open_dataset
    from diffbench.viewer.images import RING, data_uri, frame_image, frame_thumbnail, nice_length, png_bytes
    from diffbench.viewer.realspace import projection

    with open_dataset(path) as d:
        valid = d.mask == 0 if d.mask is not None else None
        q_block, rings_q, _ = pattern_geometry(d, pin_px) if pin_px else (None, [], "")
        thumbs, pins, tops = [], ([] if pin_px else None), []
        for s in range(0, len(pts), 256):  # pts sorted: each compressed chunk is decoded once
            sel = pts[s:s + 256]
            for f in (d.patterns[sel] if len(sel) > 1 else [d.patterns[int(sel[0])]]):
                thumbs.append(frame_thumbnail(f, valid, thumb_px))
                if pins is not None:
                    uri, top = frame_image(f, valid, pin_px, q_block, rings_q)
                    pins.append(uri)
                    tops.append(top)
        parts, species = _particles_for(d, pts), _recipe_species(d.attrs)
    if parts is None or species is None:
        return thumbs, pins, tops, None, None
    rows_of = _rows_by_pattern(parts)
    real, notes = [], []
    keys = ("species", "size_m", "shape_param", "orientation_wxyz", "position_m")
    for j in range(len(pts)):
        rows = [{k: parts[k][r] for k in keys} for r in rows_of.get(j, [])]
        if not rows:
            real.append("")
            notes.append(None)
            continue
        img, fov = projection(rows, species, realspace_px)
        top = img.max()
        # 16 grey levels are plenty for a density picture and halve the PNG
        lv = (np.clip(np.rint(img / top * 15), 0, 15) * 4.2).astype(np.uint8) if top > 0 else np.zeros(img.shape, np.uint8)
        lv = lv[::-1].copy()  # projection row 0 is the most negative y: flipped, y is up
        bar = nice_length(fov / 3)
        n_bar = max(1, int(round(bar / fov * realspace_px)))
        lv[-3:-2, 2:2 + n_bar] = RING  # scale bar, bottom left
        real.append(data_uri(png_bytes(lv, "grey")))
        far = len(rows) > 1 and not _spans(rows, fov)
        notes.append(f"{fov * 1e9:.0f} nm wide, y up, cyan bar {bar * 1e9:g} nm"
                     + (", around the first particle (the others are far)" if far else ""))
    return thumbs, pins, tops, real, notes


def gather(path, latent: np.ndarray, latent_name: str, predictions: dict | None = None, points=None,
           thumb_px: int = 48, pin_px: int | None = 128, realspace_px: int = 40, images: bool = True,
           workers: int | None = None, text: bool = True) -> ViewData:
    """Read a dataset and build the page's columns for the points ``points`` (default: all).

    ``images`` / ``text`` False leave thumbnails / truth text out (the server app loads frames and
    truth on demand instead).
    Images of more than 1000 points are made in ``workers`` processes (default: the CPU count).
    """
    from diffbench.io.cxi import open_dataset
    from diffbench.io.index import file_sha256

    path = Path(path)
    with open_dataset(path) as d:
        n = len(d)
        pts = np.arange(n) if points is None else np.unique(np.asarray(points, dtype=np.int64))
        truth = {k: np.asarray(v)[pts] for k, v in d.truth.items()} if d.truth else {}
        parts = _particles_for(d, pts)
        preds = {k: np.asarray(v)[pts] for k, v in (predictions or {}).items()}
        fields = colour_fields(truth, parts, preds) if truth or preds else {}
        rows_of = _rows_by_pattern(parts)
        info = [(truth_text(j, truth, parts, rows_of, file_index=int(i)) if truth else f"index: {int(i)}")
                if text else "" for j, i in enumerate(pts)]
    thumbs = pins = real = tops = None
    if images:
        workers = workers or os.cpu_count() or 1
        if len(pts) > 1000 and workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            chunks = np.array_split(pts, workers)
            with ProcessPoolExecutor(workers) as pool:
                res = list(pool.map(_images, [path] * workers, chunks, [thumb_px] * workers, [pin_px] * workers,
                                    [realspace_px] * workers))
            thumbs = [t for r in res for t in r[0]]
            pins = [t for r in res for t in r[1]] if pin_px else None
            tops = [t for r in res for t in r[2]]
            real = [t for r in res for t in r[3]] if res[0][3] is not None else None
            notes = [t for r in res for t in r[4]] if res[0][4] is not None else None
        else:
            thumbs, pins, tops, real, notes = _images(path, pts, thumb_px, pin_px, realspace_px)
        for j, note in enumerate(notes or []):
            if note:
                info[j] += f"\nreal-space view: {note}"
    scan_map = None
    if "scan_i" in truth and "scan_j" in truth:
        si, sj, sc = truth["scan_i"], truth["scan_j"], truth.get("scan_index", np.zeros(len(pts), int))
        nx, ny = int(sj.max()) + 1, int(si.max()) + 1
        scans = np.unique(sc)
        cols = int(np.ceil(np.sqrt(len(scans))))
        tile = {s: k for k, s in enumerate(scans)}
        tx = np.array([tile[s] % cols for s in sc])
        ty = np.array([tile[s] // cols for s in sc])
        scan_map = {"x": sj + tx * (nx + 2), "y": -(si + ty * (ny + 2)), "nx": nx, "ny": ny}
    with open_dataset(path) as d:
        caption = pattern_geometry(d, pin_px)[2] if images and pin_px else ""
        shape = tuple(int(x) for x in d.shape[1:])
    extra = {"points": pts, "pin_max": tops, "pattern_caption": caption, "frame_shape": shape}
    return ViewData(str(path.resolve()), file_sha256(path), np.asarray(latent)[pts], latent_name, fields, info,
                    thumbs, pins, real, scan_map, extra)


def _spans(rows, fov_m) -> bool:
    """Whether a view of width fov_m centred on the particles' mean position holds them all."""
    pos = np.array([r["position_m"] for r in rows], dtype=float)[:, :2]
    return bool(np.abs(pos - pos.mean(axis=0)).max() < fov_m / 2)


def _recipe_species(attrs: dict) -> dict | None:
    """The species configs of the recipe stored in the file (None for kinds without species)."""
    from diffbench import kinds
    from diffbench.recipes.catalogue import safe_load_yaml

    text = attrs.get("recipe_yaml")
    if not text:
        return None
    try:
        raw = safe_load_yaml(text)
        return getattr(kinds.of_recipe(raw).recipe_model().model_validate(raw), "species", None)
    except Exception:  # an older or foreign recipe: no real-space view, the rest still works
        return None


def selection_record(view: ViewData, indices) -> dict:
    """What an exported selection holds (the page's JavaScript writes the same keys)."""
    idx = [int(view.extra["points"][i]) for i in indices]
    return {"source": view.source, "source_sha256": view.source_sha256, "indices": sorted(idx), "count": len(idx)}

"""The latent-space page: a Bokeh layout built from :class:`~diffbench.viewer.viewdata.ViewData`.

One ColumnDataSource holds every point: latent axes ``z0..``, the plotted ``x``/``y``, one colour
column ``c_<field>`` per colour field, categorical values ``f_<field>`` (for selection counts),
thumbnails, pinned images, real-space images and truth text. All interaction in the standalone page
is CustomJS on that source, so the HTML file works offline with no Python behind it:

- "colour by" and the axis selects swap columns; the legend (swatches or a colour bar) follows;
- hover previews the first point under the cursor beside the plot; a tap (one selected point) pins the larger pattern, the real-space
  projection and the truth table;
- a box or lasso selection is counted by class, and "Save selection" downloads a JSON file with
  the source file's SHA-256 and the selected pattern indices;
- ED scans also get a map of every scan's raster, sharing the selection with the scatter.
"""

from __future__ import annotations

import html

import numpy as np

from diffbench.utils.atomic import atomic_write_text
from diffbench.viewer.fields import CATEGORICAL
from diffbench.viewer.viewdata import ViewData

NAN_COLOUR = "#c8c8c8"


def _js(name: str) -> str:
    """The JavaScript of one CustomJS callback, from the package's ``viewer/js`` folder."""
    from importlib.resources import files

    return files("diffbench.viewer").joinpath("js", name).read_text(encoding="utf-8")


def _categorical_colours(values: np.ndarray) -> tuple[list, str]:
    from bokeh.palettes import Category10_10, Category20_20, Turbo256

    cats, inv, counts = np.unique(values, return_inverse=True, return_counts=True)
    if len(cats) <= 10:
        pal = list(Category10_10)
    elif len(cats) <= 20:
        pal = list(Category20_20)
    else:
        pal = [Turbo256[int(i)] for i in np.linspace(0, 255, len(cats))]
    col = [pal[i % len(pal)] for i in range(len(cats))]
    colours = [col[i] for i in inv.ravel()]
    legend = "".join(f"<span class='sw' style='background:{c}'></span>{html.escape(str(k) or '(none)')} "
                     f"<small>({n})</small><br>" for k, c, n in zip(cats, col, counts))
    return colours, legend


def _continuous_colours(values: np.ndarray, name: str) -> tuple[list, str]:
    from bokeh.palettes import Viridis256

    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v)
    if not ok.any():
        return [NAN_COLOUR] * v.size, "(no values)"
    lo, hi = np.nanmin(v), np.nanmax(v)
    log = lo > 0 and hi / lo > 100
    t = np.full(v.size, np.nan)
    if log:
        t[ok] = (np.log10(v[ok]) - np.log10(lo)) / max(np.log10(hi) - np.log10(lo), 1e-300)
    else:
        t[ok] = (v[ok] - lo) / (hi - lo) if hi > lo else 0.5
    colours = [Viridis256[int(round(x * 255))] if np.isfinite(x) else NAN_COLOUR for x in t]
    stops = ",".join(Viridis256[i] for i in range(0, 256, 32)) + "," + Viridis256[255]
    legend = (f"<div class='bar' style='background:linear-gradient(to right,{stops})'></div>"
              f"<span>{lo:.4g}</span><span style='float:right'>{hi:.4g}</span><br>"
              f"<small>{html.escape(name)}{' (log scale)' if log else ''}; grey: no value</small>")
    return colours, legend


CSS = """<style>
.sw{display:inline-block;width:11px;height:11px;margin-right:5px;border-radius:2px}
.bar{height:12px;width:220px;border-radius:2px}
table.truth{font:11px monospace;border-collapse:collapse} table.truth td{padding:0 6px 0 0;vertical-align:top}
</style>"""


def field_colours(view: ViewData, name: str) -> tuple[list, str]:
    """(colour per point, legend HTML) of one colour field."""
    values, kind = view.fields[name]
    return _categorical_colours(values) if kind == CATEGORICAL else _continuous_colours(values, name)


def point_labels(view: ViewData, name: str) -> list[str]:
    """Each point's value of field ``name`` as a person reads it (4 significant digits)."""
    if name not in view.fields:
        return [""] * view.n
    from diffbench.viewer.viewdata import _fmt

    return [_fmt(v) for v in view.fields[name][0]]


def info_table(text: str) -> str:
    """The HTML table of a point's ``key: value`` truth lines (as the page's JavaScript builds it)."""
    # the lines come from truth_text, which escaped every value already
    rows = "".join(f"<tr><td>{line.partition(': ')[0]}</td><td>{line.partition(': ')[2]}</td></tr>"
                   for line in text.split("\n"))
    return f"<table class='truth'>{rows}</table>"


def build_layout(view: ViewData, colour_by: str | None = None, axes=(0, 1), title: str | None = None,
                 webgl: bool | None = None, server: bool = False):
    """The page's layout and its main models: returns (layout, models dict).

    ``server``: the Bokeh server app recolours, pins and shows truth from Python callbacks, so the
    page carries only the current colour column and no truth text (100,000+ points stay light).
    """
    from bokeh.layouts import column, row
    from bokeh.models import (
        BoxSelectTool,
        Button,
        CDSView,
        CheckboxGroup,
        ColumnDataSource,
        CustomJS,
        Div,
        HoverTool,
        IndexFilter,
        LassoSelectTool,
        Select,
        TapTool,
    )
    from bokeh.palettes import Magma256
    from bokeh.plotting import figure

    n, k = view.latent.shape
    shape = view.extra.get("frame_shape") or (1, 1)  # (ny, nx): images keep the detector's aspect
    data = {f"z{i}": view.latent[:, i] for i in range(k)}
    data["x"], data["y"] = view.latent[:, axes[0]], view.latent[:, axes[1]]
    data["idx"] = [int(i) for i in view.extra["points"]]
    if not server:
        data["info"] = view.info
    legends, names = {}, list(view.fields)
    colour_by = view.check_colour(colour_by) or "none"
    for name, (values, kind) in view.fields.items():
        if kind == CATEGORICAL:
            data[f"f_{name}"] = [str(v) for v in values]
        if not server or name == colour_by:
            data[f"c_{name}"], legends[name] = field_colours(view, name)
    if not names:
        data["c_none"], legends["none"], names = ["#1f77b4"] * n, "", ["none"]
    data["color"] = list(data[f"c_{colour_by}"])
    data["label"] = point_labels(view, colour_by)
    if view.thumbs is not None:
        data["thumb"] = view.thumbs
    if view.pins is not None:
        data["pin"] = view.pins
        if view.extra.get("pin_max") is not None:
            data["pin_max"] = view.extra["pin_max"]
    data["real"] = view.realspace if view.realspace is not None else [""] * n
    if view.scan_map is not None:
        data["mx"], data["my"] = view.scan_map["x"], view.scan_map["y"]
    src = ColumnDataSource(data, name="points")

    webgl = n > 20000 if webgl is None else webgl
    tools = "pan,wheel_zoom,reset,save"
    p = figure(name="latent", width=620, height=560, tools=tools, output_backend="webgl" if webgl else "canvas",
               title=title or f"{view.latent_name} latent space of {view.source.split('/')[-1]} ({n} points)")
    opts = view.extra.get("axis_titles") or [f"{view.latent_name} {i + 1}" for i in range(k)]
    p.xaxis.axis_label, p.yaxis.axis_label = opts[axes[0]], opts[axes[1]]
    size = 7 if n <= 2000 else (4 if n <= 20000 else 2)
    view_filter = IndexFilter(list(range(n)), name="shown")
    # points are drawn in row order: rows come rarest class last (ViewData.rare_last), so on top
    glyph = p.scatter("x", "y", source=src, view=CDSView(filter=view_filter), color="color", size=size,
                      alpha=0.75 if n <= 20000 else 0.5, selection_alpha=1.0,
                      nonselection_alpha=0.25 if n <= 20000 else 0.08)
    # hover: the first point under the cursor, previewed beside the plot (a tooltip would stack
    # one image per overlapping point, dozens in a dense cloud)
    preview = Div(name="hover", width=240, height=150,
                  text="<i>hover over a point to see its pattern</i>" if view.thumbs is not None
                  else "<i>hover shows a point's index and class; tap it to load its frame from disk</i>")
    hover = HoverTool(renderers=[glyph], tooltips=None if view.thumbs is not None else "#@idx · @label")
    if view.thumbs is not None:
        hover.callback = CustomJS(args=dict(src=src, preview=preview, aspect=shape[0] / shape[1]),
                                  code=_js("hover_preview.js"))
    tap = TapTool(renderers=[glyph])
    p.add_tools(hover, tap,
                BoxSelectTool(renderers=[glyph]), LassoSelectTool(renderers=[glyph]))

    colour = Select(name="colour-by", title="colour by", value=colour_by, options=names, width=220)
    xsel = Select(name="x-axis", title="x axis", value=opts[axes[0]], options=opts, width=220)
    ysel = Select(name="y-axis", title="y axis", value=opts[axes[1]], options=opts, width=220)
    legend = Div(name="legend", text=CSS + legends[colour_by], width=240)
    pinned = Div(name="pinned", text="<i>tap a point to pin its pattern</i>", width=560)
    summary = Div(name="selection", text="<i>box or lasso select points to count and save them</i>", width=240)
    save = Button(name="export", label="Save selection", width=220, button_type="primary")

    cat_names = [nm for nm in names if nm in view.fields and view.fields[nm][1] == CATEGORICAL]
    labels = []
    if colour_by in cat_names:
        vals, counts = np.unique(data[f"f_{colour_by}"], return_counts=True)
        order = np.argsort(-counts, kind="stable")
        labels = [f"{vals[i] or '(none)'} ({counts[i]})" for i in order]
    filt = CheckboxGroup(name="show-classes", labels=labels, active=list(range(len(labels))), visible=bool(labels))
    common = dict(src=src, legends=legends, legend=legend, colour=colour, summary=summary, cats=cat_names, css=CSS,
                  pinned=pinned)
    filt.js_on_change("active", CustomJS(args=dict(src=src, colour=colour, filter=filt, view_filter=view_filter),
                                         code=_js("class_filter.js")))
    if not server:
        colour.js_on_change("value", CustomJS(args=dict(common, filter=filt, view_filter=view_filter),
                                              code=_js("colour_by.js")))
    for sel, col in ((xsel, "x"), (ysel, "y")):
        ax = p.xaxis[0] if col == "x" else p.yaxis[0]
        sel.js_on_change("value", CustomJS(args=dict(src=src, sel=sel, opts=opts, col=col, ax=ax),
                                           code=_js("axis_select.js")))
    # a tap pins the first point under the cursor; any selection (tap, box, lasso) is counted
    stops = ",".join(Magma256[i] for i in range(0, 256, 32)) + "," + Magma256[255]
    if not server:
        tap.callback = CustomJS(args=dict(common, aspect=shape[0] / shape[1], stops=stops,
                                          caption=html.escape(view.extra.get("pattern_caption", ""))),
                                code=_js("pin_point.js"))
    src.selected.js_on_change("indices", CustomJS(args=common, code=_js("count_selection.js")))
    # a box or lasso selection replaces the pinned point: the panel says so, never shows a stale one
    from bokeh.events import SelectionGeometry

    p.js_on_event(SelectionGeometry, CustomJS(args=dict(src=src, pinned=pinned), code=(
        "if (cb_obj.geometry.type !== 'point' && cb_obj.final) pinned.text = "
        "`<i>${src.selected.indices.length} points selected: tap one to pin its pattern</i>`;")))
    save.js_on_click(CustomJS(args=dict(src=src, source=view.source, sha=view.source_sha256, summary=summary),
                              code=_js("save_selection.js")))

    show_note = Div(text="<small>show classes (rarest drawn on top):</small>", visible=bool(labels))
    filt.js_on_change("visible", CustomJS(args=dict(note=show_note, filter=filt), code="note.visible = filter.visible;"))
    controls = column(colour, xsel, ysel, legend, show_note, filt, preview, summary, save)
    parts = [row(p, controls)]
    models = dict(source=src, plot=p, colour=colour, pinned=pinned, summary=summary, export=save, legend=legend,
                  hover=preview, filter=filt, shown=view_filter)
    if view.scan_map is not None:
        m = figure(name="scanmap", width=620, height=min(620, 80 + int(np.ptp(view.scan_map["y"])) * 5),
                   tools="tap,box_select,reset", match_aspect=True,
                   title="ED scans: raster map (each tile one scan, i down, j across)")
        m.rect("mx", "my", width=1, height=1, source=src, fill_color="color", line_color=None,
               nonselection_fill_alpha=0.35)
        m.axis.visible = False
        m.grid.visible = False
        parts.append(m)
        models["scanmap"] = m
    parts.append(pinned)
    return column(*parts), models


def save_html(view: ViewData, out, colour_by: str | None = None, axes=(0, 1)) -> int:
    """Write a standalone page with inline BokehJS (works offline); returns its size in bytes."""
    from pathlib import Path

    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    layout, _ = build_layout(view, colour_by, axes)
    text = file_html(layout, INLINE, title=f"diffbench view: {Path(view.source).name}")
    out = Path(out)
    atomic_write_text(out, text)
    return out.stat().st_size


__all__ = ["build_layout", "field_colours", "info_table", "save_html"]

"""The ``bokeh serve`` form of the page, for files too large to embed: the same scatter (WebGL
above 20,000 points) without thumbnails, and a Python callback that reads a tapped frame from the
HDF5 file at full resolution (log colour scale) and draws the particles' real-space projection.

Run through ``diffbench view FILE --serve``; it binds to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import time

import numpy as np

from diffbench.viewer.viewdata import ViewData


class FrameReader:
    """Opens the dataset once per server process and reads single frames on demand."""

    def __init__(self, path):
        from diffbench.io.cxi import open_dataset

        self.dataset = open_dataset(path)
        self.valid = self.dataset.mask == 0 if self.dataset.mask is not None else None

    def frame(self, i: int) -> np.ndarray:
        f = np.asarray(self.dataset.patterns[int(i)], dtype=np.float32)
        return np.where(self.valid, f, np.nan) if self.valid is not None else f


def make_document_factory(view: ViewData, colour_by=None, axes=(0, 1)):
    """A ``doc → None`` function for :class:`bokeh.server.server.Server`."""
    reader = FrameReader(view.source)
    ny, nx = reader.dataset.shape[1:]
    species = None
    rows_of = None
    parts = reader.dataset.particles
    if parts and len(parts.get("pattern_index", [])):
        from diffbench.viewer.viewdata import _recipe_species, _rows_by_pattern

        species = _recipe_species(reader.dataset.attrs)
        rows_of = _rows_by_pattern(parts)

    def make(doc):
        from bokeh.layouts import column, row
        from bokeh.models import ColumnDataSource, Div, LogColorMapper
        from bokeh.palettes import Greys256, Magma256
        from bokeh.plotting import figure

        from diffbench.viewer.page import CSS, build_layout, field_colours, info_table, point_labels
        from diffbench.viewer.realspace import projection
        from diffbench.viewer.viewdata import truth_text

        layout, m = build_layout(view, colour_by, axes, server=True)
        src = m["source"]

        def on_colour(attr, old, new):
            if new not in view.fields:
                return
            colours, legend = field_colours(view, new)
            src.data.update(color=colours, label=point_labels(view, new))
            m["legend"].text = CSS + legend

        m["colour"].on_change("value", on_colour)
        img_src = ColumnDataSource({"image": [np.zeros((ny, nx), np.float32)]})
        fig = figure(name="frame", width=420, height=int(420 * ny / nx) + 30, title="tap a point: its frame from disk",
                     x_range=(0, nx), y_range=(0, ny), tools="pan,wheel_zoom,reset")
        fig.xaxis.axis_label, fig.yaxis.axis_label = "detector x (pixels)", "detector y (pixels, up)"
        fig.image("image", x=0, y=0, dw=nx, dh=ny, source=img_src,
                  color_mapper=LogColorMapper(Magma256, low=0.5, high=100, nan_color="#404040"))
        real_src = ColumnDataSource({"image": [np.zeros((8, 8))]})
        rfig = figure(name="real", width=300, height=300, title="particles along the beam", tools="",
                      match_aspect=True, toolbar_location=None)
        rfig.image("image", x=0, y=0, dw=1, dh=1, source=real_src, palette=Greys256[::-1])
        rfig.xaxis.axis_label, rfig.yaxis.axis_label = "x (nm)", "y (nm, up)"
        timing = Div(name="timing", text="")

        def on_select(attr, old, new):
            if not new:  # a tap selects the points under the cursor: show the first
                return
            t0 = time.perf_counter()
            i = int(src.data["idx"][new[0]])
            truth = reader.dataset.truth
            text = truth_text(i, truth, parts, rows_of) if truth else f"index: {i}"
            m["pinned"].text = CSS + f"<b>pattern #{i}</b>" + info_table(text)
            f = reader.frame(i)
            top = np.nanmax(f) if np.isfinite(f).any() else 1.0
            fig.renderers[0].glyph.color_mapper.high = max(float(top), 1.0)
            img_src.data = {"image": [f]}
            fig.title.text = f"frame {i}"
            if rows_of is not None and species is not None:
                rows = [{k: parts[k][r] for k in ("species", "size_m", "shape_param", "orientation_wxyz", "position_m")}
                        for r in rows_of.get(i, [])]
                im, fov = projection(rows, species, 96)
                dw = fov * 1e9
                real_src.data = {"image": [im]}
                rfig.renderers[0].glyph.dw = dw
                rfig.renderers[0].glyph.dh = dw
                rfig.x_range.start, rfig.x_range.end = 0, dw
                rfig.y_range.start, rfig.y_range.end = 0, dw
                rfig.title.text = f"particles along the beam ({dw:.0f} nm)"
            timing.text = f"frame {i} loaded in {1e3 * (time.perf_counter() - t0):.0f} ms"

        src.selected.on_change("indices", on_select)
        doc.add_root(column(layout, row(fig, rfig, timing)))
        doc.title = f"diffbench view: {view.source}"

    return make


def serve(view: ViewData, port: int = 5006, address: str = "127.0.0.1", colour_by=None, axes=(0, 1),
          show: bool = False, ready=None):
    """Run the Bokeh server until interrupted (``ready(url)`` is called once it listens)."""
    from bokeh.server.server import Server

    server = Server({"/": make_document_factory(view, colour_by, axes)}, port=port, address=address,
                    allow_websocket_origin=[f"{address}:{port}", f"localhost:{port}"], num_procs=1)
    server.start()
    url = f"http://{address}:{port}/"
    if ready:
        ready(url)
    if show:
        server.io_loop.add_callback(server.show, "/")
    server.io_loop.start()

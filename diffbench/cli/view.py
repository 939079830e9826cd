"""Explore a dataset's latent space in the browser (Bokeh).

A scatter of two latent components (IPCA by default, computed on first use and cached beside the
file), coloured by any truth or prediction field; hover shows the pattern, a tap pins it with the
particles' real-space projection and truth, box/lasso selections are counted and saved as JSON
(indices + the file's SHA-256). ED scans also get the raster map.

  diffbench view demo/pr772-spi-v6.cxi --html demo/pr772-view.html
  diffbench view big.cxi --serve --port 5006          # lazy frames, 100,000+ points
  diffbench view data.cxi --latent-file z.npy --colour-by hit_class
"""

from __future__ import annotations

import sys


def add_args(p):
    p.add_argument("file", help="a diffbench CXI file or sharded index")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--latent", default=None, metavar="METHOD",
                   help="registered latent method or package.module:Class (default: the data kind's, shape-pca for "
                        "SPI frames: PCA of brightness-normalised frames; ipca-envelope: paper 004's raw-pixel IPCA)")
    g.add_argument("--latent-file", metavar="F", help="precomputed latent array (.npy (N, k) or .npz with 'latent')")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--html", metavar="OUT", help="write a standalone page (inline resources, works offline)")
    out.add_argument("--serve", action="store_true", help="run a Bokeh server app (frames read lazily)")
    p.add_argument("--port", type=int, default=5006)
    p.add_argument("--address", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    p.add_argument("--colour-by", "--color-by", dest="colour_by", help="initial colour field")
    p.add_argument("--axes", default="1,2", help="latent components on x,y (1-based, default 1,2)")
    p.add_argument("--max-points", type=int, default=None,
                   help="show at most this many points, an even subsample (default 5000 in a page, 200000 served)")
    p.add_argument("--no-cache", action="store_true", help="recompute the latent space")
    p.add_argument("--quiet", action="store_true")


def _axes(text: str, k: int) -> tuple[int, int]:
    try:
        a, b = (int(v) - 1 for v in text.split(","))
    except ValueError:
        raise ValueError(f"--axes: expected two 1-based components like 1,2, got {text!r}") from None
    for v in (a, b):
        if not 0 <= v < k:
            raise ValueError(f"--axes: component {v + 1} out of range 1..{k}")
    return a, b


def main(args):
    import time
    from pathlib import Path

    import numpy as np

    from diffbench.io.cxi import open_dataset
    from diffbench.utils.optional import require
    from diffbench.viewer.latent import latent_space, load_latent_file
    from diffbench.viewer.viewdata import gather

    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be 0-65535, got {args.port}")
    require("bokeh", "diffbench view")
    path = Path(args.file)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if not args.html and not args.serve:
        raise ValueError("say where the page goes: --html OUT or --serve")
    if args.html and not Path(args.html).resolve().parent.is_dir():
        raise FileNotFoundError(f"--html: folder {Path(args.html).parent} does not exist")
    log = (lambda s: None) if args.quiet else (lambda s: print(s, file=sys.stderr))
    t0 = time.perf_counter()
    with open_dataset(path) as d:
        n = len(d)
    if args.latent_file:
        latent, preds, name = load_latent_file(args.latent_file, n), {}, Path(args.latent_file).stem
        titles = [f"{name} {i + 1}" for i in range(latent.shape[1])]
    else:
        if args.latent is None:
            from diffbench.io.readers import kind_of_file

            args.latent = kind_of_file(path).default_latent
            log(f"latent: {args.latent} (this kind's default; --latent chooses another)")
        name = {"ipca-envelope": "PC", "shape-pca": "shape PC"}.get(args.latent, args.latent.rpartition(":")[2])
        latent, preds, titles = latent_space(path, args.latent, use_cache=not args.no_cache, log=log, name=name)
    axes = _axes(args.axes, latent.shape[1])
    limit = args.max_points or (5000 if args.html else 200000)
    if limit < 2:
        raise ValueError(f"--max-points must be at least 2, got {limit}")
    pts = None if n <= limit else np.unique(np.linspace(0, n - 1, limit).round().astype(np.int64))
    if pts is not None:
        log(f"{n} patterns: showing an even subsample of {len(pts)} (--max-points)")
    if args.html:
        from diffbench.viewer.page import save_html

        view = gather(path, latent, name, preds, points=pts, pin_px=128 if (pts is None and n <= 1000) else None)
        view.extra["axis_titles"] = titles
        view = view.rare_last(args.colour_by)
        size = save_html(view, args.html, args.colour_by, axes)
        if not args.quiet:
            print(f"wrote {args.html}: {view.n} points, {size / 1e6:.1f} MB, in {time.perf_counter() - t0:.1f} s")
        return 0
    from diffbench.viewer.app import serve

    view = gather(path, latent, name, preds, points=pts, images=False, text=False)
    view.extra["axis_titles"] = titles
    view = view.rare_last(args.colour_by)
    serve(view, args.port, args.address, args.colour_by, axes,
          ready=lambda url: print(f"serving {view.n} points at {url} (Ctrl-C stops)", flush=True))
    return 0

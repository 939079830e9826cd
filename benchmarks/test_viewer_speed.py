"""Speed of the latent-space viewer (issue "Latent-space viewer in the browser"). Target on 2 cores:
a standalone page of 5,000 points with thumbnails in under 20 s and under 15 MB (128×128 chaperonin
frames, latent space already cached). Untimed runs (make test) use 200 points."""

import numpy as np

from diffbench.simulate.driver import simulate_to_file
from diffbench.viewer.page import save_html
from diffbench.viewer.viewdata import gather


def _page(path, latent, out):
    view = gather(path, latent, "PC", pin_px=None)
    return save_html(view, out)


def test_standalone_page_5000_points(benchmark, tmp_path, timed):
    n = 5000 if timed else 200
    data = tmp_path / "c90.cxi"
    simulate_to_file("chaperonin-90-v7", n, data, seed=2, overrides=["detector.preset=pnccd-amo86615-bin8"],
                     workers=2, progress=False)
    latent = np.random.default_rng(0).normal(size=(n, 3))  # the page's cost, not the latent method's
    size = benchmark.pedantic(_page, args=(data, latent, tmp_path / "v.html"), rounds=1)
    benchmark.extra_info["html_mb"] = size / 1e6
    assert size < 15e6 * n / 5000 + 2e6  # inline BokehJS is ~1.3 MB

"""The viewer in a real headless browser: Debian's Chromium driven by Playwright (never
``playwright install``). Skipped when either is missing; ``.ci/run`` installs Chromium.

Screenshots go to ``test-artifacts/viewer/`` (or $DIFFBENCH_ARTIFACTS/viewer).
"""

import json
import shutil
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from diffbench.cli.main import main

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (apt-get install -y chromium)")

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]

# the pixel position of point i of the scatter named 'latent' (Bokeh 3: walk the views)
POINT_XY = """(i) => {
    const doc = Bokeh.documents[0];
    const plot = doc.get_model_by_name('latent'); let view = null;
    const walk = v => { if (v.model === plot) view = v; for (const c of v.child_views ?? []) walk(c); };
    for (const r of Bokeh.index.roots) walk(r);
    const src = doc.get_model_by_name('points');
    const r = view.el.getBoundingClientRect();
    return [r.x + view.frame.x_scale.compute(src.data.x[i]), r.y + view.frame.y_scale.compute(src.data.y[i])];
}"""


@pytest.fixture(scope="module")
def browser():
    sync = pytest.importorskip("playwright.sync_api")
    with sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page_file(spi_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("html") / "view.html"
    assert main(["view", str(spi_file), "--html", str(out), "--colour-by", "hit_class", "--quiet"]) == 0
    return out


def _open(browser, url):
    page = browser.new_page(viewport={"width": 1150, "height": 1250}, accept_downloads=True)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_function("() => window.Bokeh && Bokeh.index.roots.length > 0 && Bokeh.documents.length > 0")
    page.wait_for_timeout(300)
    return page, errors


def _data(page, column):
    return page.evaluate(f"() => Array.from(Bokeh.documents[0].get_model_by_name('points').data['{column}'])")


def _first_single(page):
    labels = _data(page, "f_hit_class")
    return next(i for i, v in enumerate(labels) if v in ("single", "mixed", "multiple"))


def test_page_loads_hover_and_tap_show_pattern_and_particles(browser, page_file, artefacts):
    page, errors = _open(browser, page_file.as_uri())
    i = _first_single(page)
    x, y = page.evaluate(POINT_XY, i)
    page.mouse.move(x, y)
    page.wait_for_selector("#hover-img", timeout=5000)
    src = page.locator("#hover-img").first.get_attribute("src")
    assert src == _data(page, "thumb")[i] and src.startswith("data:image/png;base64,")
    page.screenshot(path=str(artefacts / "hover.png"))
    page.mouse.click(x, y)
    page.wait_for_selector("#pinned-img", timeout=5000)
    assert page.locator("#pinned-real").count() == 1  # the particles' real-space projection
    idx = _data(page, "idx")[i]
    assert f"<b>pattern #{idx}</b>" in page.evaluate("() => Bokeh.documents[0].get_model_by_name('pinned').text")
    page.screenshot(path=str(artefacts / "tap.png"), full_page=True)
    assert errors == []
    page.close()


def test_colour_by_switch_recolours_the_points(browser, page_file, artefacts):
    page, errors = _open(browser, page_file.as_uri())
    before = _data(page, "color")
    page.evaluate("() => { const s = Bokeh.documents[0].get_model_by_name('colour-by'); s.value = 'target_diameter_nm'; }")
    page.wait_for_timeout(300)
    after = _data(page, "color")
    assert after != before
    assert after == _data(page, "c_target_diameter_nm")
    assert "target_diameter_nm" in page.evaluate("() => Bokeh.documents[0].get_model_by_name('legend').text")
    # the real <select> element drives the same change
    page.locator("select").first.select_option("photons_total")
    page.wait_for_timeout(300)
    assert _data(page, "color") == _data(page, "c_photons_total")
    page.screenshot(path=str(artefacts / "colour-by.png"))
    assert errors == []
    page.close()


def test_box_selection_exports_the_points_inside(browser, page_file, artefacts, tmp_path):
    page, errors = _open(browser, page_file.as_uri())
    # activate the box-select tool and drag over the middle of the plot frame
    page.evaluate("""() => { const p = Bokeh.documents[0].get_model_by_name('latent');
        p.toolbar.active_drag = p.toolbar.tools.find(t => t.type == 'BoxSelectTool'); }""")
    box = page.evaluate("""() => {
        const plot = Bokeh.documents[0].get_model_by_name('latent'); let view = null;
        const walk = v => { if (v.model === plot) view = v; for (const c of v.child_views ?? []) walk(c); };
        for (const r of Bokeh.index.roots) walk(r);
        const r = view.el.getBoundingClientRect(); const f = view.frame.bbox;
        const px = [r.x + f.left + 0.2 * f.width, r.y + f.top + 0.2 * f.height, r.x + f.left + 0.8 * f.width, r.y + f.top + 0.8 * f.height];
        const xs = view.frame.x_scale, ys = view.frame.y_scale;
        return {px, data: [xs.invert(px[0] - r.x), ys.invert(px[1] - r.y), xs.invert(px[2] - r.x), ys.invert(px[3] - r.y)]};
    }""")
    x0, y0, x1, y1 = box["px"]
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
    page.mouse.move(x1, y1, steps=5)
    page.mouse.up()
    page.wait_for_timeout(300)
    xs, ys, idx = np.array(_data(page, "x")), np.array(_data(page, "y")), np.array(_data(page, "idx"))
    dx0, dy0, dx1, dy1 = box["data"]
    inside = (xs >= min(dx0, dx1)) & (xs <= max(dx0, dx1)) & (ys >= min(dy0, dy1)) & (ys <= max(dy0, dy1))
    assert inside.sum() > 0
    with page.expect_download() as dl:
        page.get_by_role("button", name="Save selection").click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    rec = json.loads(path.read_text())
    assert rec["indices"] == sorted(idx[inside].tolist())
    from pathlib import Path

    from diffbench.io.index import file_sha256

    assert rec["source_sha256"] == file_sha256(Path(rec["source"]))
    assert f"{inside.sum()} selected" in page.evaluate("() => Bokeh.documents[0].get_model_by_name('selection').text")
    page.screenshot(path=str(artefacts / "box-select.png"))
    assert errors == []
    page.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_app_loads_a_tapped_frame_from_disk(browser, spi_file, artefacts):
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "diffbench.cli.main", "view", str(spi_file), "--serve",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        t0 = time.time()
        line = ""
        while "serving" not in line:
            line = proc.stdout.readline()
            assert line or proc.poll() is None, "server exited"
            assert time.time() - t0 < 120, "server did not start"
        page, errors = _open(browser, f"http://127.0.0.1:{port}/")
        i = 4
        x, y = page.evaluate(POINT_XY, i)
        page.mouse.click(x, y)
        page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('timing').text.includes('loaded')",
                               timeout=15000)
        title = page.evaluate("() => Bokeh.documents[0].get_model_by_name('frame').title.text")
        assert title == f"frame {_data(page, 'idx')[i]}"
        assert f"pattern #{_data(page, 'idx')[i]}" in page.evaluate("() => Bokeh.documents[0].get_model_by_name('pinned').text")
        # colour-by is answered by the server: the colour column is replaced
        before = _data(page, "color")
        page.locator("select").first.select_option("photons_total")
        page.wait_for_function("(b) => Array.from(Bokeh.documents[0].get_model_by_name('points').data.color)"
                               ".some((v, k) => v != b[k])", arg=before, timeout=10000)
        assert "photons_total" in page.evaluate("() => Bokeh.documents[0].get_model_by_name('legend').text")
        page.screenshot(path=str(artefacts / "server-tap.png"), full_page=True)
        assert errors == []
        page.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


XSS = "<img src=x onerror=\"window.xssFired=1\">"


@pytest.fixture(scope="module")
def hostile_page(spi_file, tmp_path_factory):
    """A file whose categorical truth carries markup (a foreign CXI, or a --config recipe's names)."""
    import h5py

    folder = tmp_path_factory.mktemp("xss")
    hostile = folder / "hostile.cxi"
    shutil.copy(spi_file, hostile)
    with h5py.File(hostile, "r+") as f:
        t = f["/entry_1/sample_1/truth"]
        old = t["hit_class"][()]
        del t["hit_class"]
        t.create_dataset("hit_class", data=np.array([XSS.encode() if i % 2 else v for i, v in enumerate(old)]))
    out = folder / "view.html"
    assert main(["view", str(hostile), "--html", str(out), "--colour-by", "hit_class", "--quiet"]) == 0
    return out


def test_markup_from_a_file_is_shown_as_text_never_run(browser, hostile_page, artefacts):
    """Hover preview, pinned truth table and selection counts all show the hostile value as text."""
    page, errors = _open(browser, hostile_page.as_uri())
    labels = _data(page, "f_hit_class")
    i = labels.index(XSS)
    x, y = page.evaluate(POINT_XY, i)
    page.mouse.move(x, y)
    page.wait_for_selector("#hover-img", timeout=5000)
    page.mouse.click(x, y)
    page.wait_for_selector("#pinned-img", timeout=5000)
    # select every point: the count box lists the hostile class
    page.evaluate("() => { const s = Bokeh.documents[0].get_model_by_name('points'); "
                  "s.selected.indices = [...Array(s.data.x.length).keys()]; }")
    page.wait_for_timeout(500)
    summary = page.evaluate("() => Bokeh.documents[0].get_model_by_name('selection').text")
    assert "&lt;img" in summary and "<img src=x" not in summary
    # escaped exactly once: the truth table shows the value as the file holds it
    pinned = page.evaluate("() => Bokeh.documents[0].get_model_by_name('pinned').text")
    assert "&lt;img src=x" in pinned and "&amp;lt;" not in pinned
    page.screenshot(path=str(artefacts / "xss.png"), full_page=True)
    assert page.evaluate("() => window.xssFired") is None
    assert errors == []
    page.close()


# Two 30 nm spheres 120 nm apart on a 2:1 detector: their fringes run across the pair axis, so the
# fringes' wave vector is parallel to the pair's projected axis, on the page as in the physics.
DIMER = """recipes:
  dimer-v1:
    description: "two 30 nm gold spheres 120 nm apart (viewer orientation test)"
    detector: {preset: square-64, nx: 96, ny: 48, beam_center_xy_px: [47.5, 23.5], distance_m: 0.5,
               beamstop_radius_m: 0.0}
    beam: {photon_energy_ev: 2000, pulse_energy_j: 1.0e-4, focus_diameter_m: 1.0e-6, profile: top-hat}
    species:
      gold: {shape: sphere, material: gold, size_m: 30.0e-9}
    target: gold
    hits: {classes: {multiple: 0.9, single: 0.1}, multiple: {min: 2, max: 2}, separation_m: [120.0e-9, 120.0e-9]}
    injection: {hit_diameter_m: 0.0, depth_m: 0.0}
"""


@pytest.fixture(scope="module")
def dimer_page(tmp_path_factory):
    from diffbench.simulate.driver import simulate_to_file

    d = tmp_path_factory.mktemp("dimer")
    (d / "dimer.yaml").write_text(DIMER)
    simulate_to_file("dimer-v1", 40, d / "dimer.cxi", seed=4, config=str(d / "dimer.yaml"), noise=False,
                     progress=False)
    out = d / "dimer.html"
    assert main(["view", str(d / "dimer.cxi"), "--html", str(out), "--quiet"]) == 0
    return out, d / "dimer.cxi"


def _pin(page, row):
    """Pin the point in source row ``row`` as a tap on it would (the tap tool's own callback)."""
    page.evaluate("""(row) => { const doc = Bokeh.documents[0];
        doc.get_model_by_name('points').selected.indices = [row];
        const tap = [...doc.all_models].find(m => m.type == 'TapTool');
        return tap.callback.execute(tap); }""", row)
    page.wait_for_selector("#pinned-img", timeout=5000)


def _rgb(png_bytes):
    from io import BytesIO

    from PIL import Image

    return np.asarray(Image.open(BytesIO(png_bytes)).convert("RGB"), dtype=float)


def _axis_angle(weights, y_down=True):
    """Angle (degrees, mod 180, counter-clockwise from +x with y up) of the principal axis of a
    2-D weight map given in screen rows (row 0 at the top)."""
    ny, nx = weights.shape
    yy, xx = np.mgrid[0:ny, 0:nx].astype(float)
    y = -yy if y_down else yy
    w = weights / weights.sum()
    mx, my = (w * xx).sum(), (w * y).sum()
    cxx, cyy, cxy = (w * (xx - mx) ** 2).sum(), (w * (y - my) ** 2).sum(), (w * (xx - mx) * (y - my)).sum()
    return np.degrees(0.5 * np.arctan2(2 * cxy, cxx - cyy)) % 180


def _fringe_angle(rgb):
    """Direction (degrees mod 180, y up) of the fringes' wave vector in a screenshot of a pattern:
    the principal axis of its Fourier power (cyan ring pixels replaced by the median)."""
    lum = rgb.mean(axis=-1)
    ring = (rgb[..., 0] < 80) & (rgb[..., 1] > 150) & (rgb[..., 2] > 150)
    lum[ring] = np.median(lum[~ring])
    p = np.abs(np.fft.fftshift(np.fft.fft2(lum - lum.mean()))) ** 2
    ny, nx = p.shape
    ky, kx = np.mgrid[-(ny // 2):ny - ny // 2, -(nx // 2):nx - nx // 2].astype(float)
    kx, ky = kx / nx, -ky / ny  # cycles per pixel; screen rows go down, so ky flips
    r = np.hypot(kx, ky)
    p[(r < 0.02) | (r > 0.25)] = 0  # the DC term and pixel-level noise
    cxx, cyy, cxy = (p * kx * kx).sum(), (p * ky * ky).sum(), (p * kx * ky).sum()
    return np.degrees(0.5 * np.arctan2(2 * cxy, cxx - cyy)) % 180


def test_pattern_and_particles_are_drawn_in_one_frame_and_aspect(browser, dimer_page, artefacts):
    """The dimer's fringes have their wave vector along the pair axis as the page draws both images
    (with the pattern mirrored top to bottom — the old y-down pattern beside a y-up projection — it
    would be the pair axis mirrored); the 96 × 48 detector is drawn 2:1, not square."""
    from diffbench.io.cxi import open_dataset

    html, cxi = dimer_page
    with open_dataset(cxi) as d:
        pi, pos = np.asarray(d.particles["pattern_index"]), np.asarray(d.particles["position_m"])
    page, errors = _open(browser, html.as_uri())
    idx = _data(page, "idx")
    # the pair whose projected axis is nearest a diagonal: a mirror would turn it by ~90°
    best, angle = None, None
    for i in np.unique(pi):
        p = pos[pi == i]
        if len(p) == 2:
            phi = np.degrees(np.arctan2(p[1, 1] - p[0, 1], p[1, 0] - p[0, 0])) % 180
            if best is None or abs(np.sin(np.radians(2 * phi))) > abs(np.sin(np.radians(2 * angle))):
                best, angle = int(i), phi
    assert abs(np.sin(np.radians(2 * angle))) > 0.7
    _pin(page, idx.index(best))
    img, real = page.locator("#pinned-img"), page.locator("#pinned-real")
    box = img.bounding_box()
    assert box["width"] / box["height"] == pytest.approx(2.0, rel=0.03)
    fringe = _fringe_angle(_rgb(img.screenshot()))
    rgb = _rgb(real.screenshot())
    dens = 255 - rgb.mean(axis=-1)  # dark = dense
    dens[(rgb[..., 0] < 80) & (rgb[..., 1] > 150)] = 0  # the cyan scale bar
    pair = _axis_angle(dens)
    diff = lambda a, b: min(abs(a - b) % 180, 180 - abs(a - b) % 180)  # noqa: E731
    page.screenshot(path=str(artefacts / "dimer.png"), full_page=True)
    assert diff(pair, angle) < 10, (pair, angle)  # the projection shows the truth's pair axis
    assert diff(fringe, pair) < 15, (fringe, pair)  # and the pattern's fringes run across it
    assert errors == []
    page.close()


def test_rare_class_is_drawn_on_top_and_the_legend_hides_classes(browser, page_file, artefacts):
    page, errors = _open(browser, page_file.as_uri())
    labels = _data(page, "f_hit_class")
    counts = {v: labels.count(v) for v in set(labels)}
    # rows (drawing order) go from the commonest class to the rarest: the rarest is drawn last
    order = [counts[v] for v in labels]
    assert order == sorted(order, reverse=True)
    rare = min(counts, key=counts.get)
    checks = page.locator(".bk-input-group input[type=checkbox]")
    names = page.evaluate("() => Bokeh.documents[0].get_model_by_name('show-classes').labels")
    assert [n.rsplit(" (", 1)[0] for n in names][-1] == rare
    # untick every class but the rarest: only its points stay drawn
    for k in range(len(names) - 1):
        checks.nth(k).click()
    page.wait_for_timeout(300)
    shown = page.evaluate("() => Array.from(Bokeh.documents[0].get_model_by_name('shown').indices)")
    assert sorted(shown) == [i for i, v in enumerate(labels) if v == rare]
    page.screenshot(path=str(artefacts / "rare-class-only.png"))
    assert errors == []
    page.close()

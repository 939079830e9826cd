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
    page.evaluate("() => { const s = Bokeh.documents[0].get_model_by_name('colour-by'); s.value = 'target_diameter_m'; }")
    page.wait_for_timeout(300)
    after = _data(page, "color")
    assert after != before
    assert after == _data(page, "c_target_diameter_m")
    assert "target_diameter_m" in page.evaluate("() => Bokeh.documents[0].get_model_by_name('legend').text")
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

"""The viewer's pieces without a browser: colour fields, thumbnails, real-space projections, the
latent cache and the command line."""

import io
import json
import math
import os

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.cli.main import main
from diffbench.recipes.catalogue import resolve
from diffbench.viewer.fields import colour_fields, orientation_angles
from diffbench.viewer.images import block_sum, frame_thumbnail, log_levels
from diffbench.viewer.realspace import projection


def test_orientation_angles_of_known_rotations():
    """Identity: x̂ stays (az 0, el 0, angle 0). 90° about z: x̂ → ŷ (az 90). 90° about y:
    x̂ → −ẑ (el −90). Rotation angle 2 arccos|w|. Exact up to rounding (1e-9 degrees)."""
    c = math.cos(math.pi / 4)
    q = np.array([[1, 0, 0, 0], [c, 0, 0, c], [c, 0, c, 0], [-c, 0, 0, -c]], dtype=float)
    a = orientation_angles(q)
    assert_allclose(a["orientation_azimuth_deg"][:2], [0, 90], atol=1e-9)
    assert_allclose(a["orientation_elevation_deg"][[0, 2]], [0, -90], atol=1e-9)
    assert_allclose(a["rotation_angle_deg"], [0, 90, 90, 90], atol=1e-9)  # q and −q: the same rotation


def test_block_sum_keeps_photons_and_drops_masked_pixels():
    rng = np.random.default_rng(0)
    f = rng.poisson(3.0, (64, 64))
    valid = np.ones((64, 64), bool)
    valid[:8] = False
    b = block_sum(f, 16, valid)
    assert b.shape == (16, 16)
    assert b.sum() == f[8:].sum()
    lv = log_levels(b)
    assert lv.max() == 63 and lv.dtype == np.uint8


def test_thumbnail_is_a_small_png_of_the_right_size():
    import base64

    from PIL import Image

    f = np.random.default_rng(1).poisson(1.0, (100, 120)).astype(np.uint16)
    uri = frame_thumbnail(f, None, 48)
    png = base64.b64decode(uri.split(",", 1)[1])
    im = Image.open(io.BytesIO(png))
    assert im.size == (40, 33) or max(im.size) <= 48  # 120/3 × 100/3 blocks
    assert len(png) < 4000


def test_sphere_projection_holds_the_sphere_volume():
    """∑ image × pixel² = ∫ρ dV = 4/3 π R³ for ρ = 1. Tolerance 3 %: 64 pixels across 2.4 R and
    32 samples along z resolve the sphere's edge to a few per cent of its volume."""
    recipe, _ = resolve("sphere-calibration-v2")
    rows = [{"species": "sphere", "size_m": 70e-9, "shape_param": np.nan, "orientation_wxyz": [1, 0, 0, 0],
             "position_m": [0.0, 0.0, 0.0]}]
    img, fov = projection(rows, recipe.species, 64)
    px = fov / 64
    assert_allclose(img.sum() * px * px, 4 / 3 * math.pi * 35e-9**3, rtol=0.03)
    # the column through the centre is the diameter
    assert_allclose(img.max(), 70e-9, rtol=0.05)


def test_projection_puts_particles_at_their_positions():
    """Two spheres 200 nm apart along x: the image's two blobs are 200 nm apart (±1 pixel). Far
    apart (more than 8 radii), the view centres on the first particle instead."""
    recipe, _ = resolve("sphere-calibration-v2")
    far = [{"species": "sphere", "size_m": 20e-9, "shape_param": np.nan, "orientation_wxyz": [1, 0, 0, 0],
            "position_m": [x, 0.0, 0.0]} for x in (-1e-6, 1e-6)]
    img, fov = projection(far, recipe.species, 32)
    assert fov < 30e-9 and img.sum() > 0
    rows = [{"species": "sphere", "size_m": 60e-9, "shape_param": np.nan, "orientation_wxyz": [1, 0, 0, 0],
             "position_m": [x, 50e-9, 0.0]} for x in (-100e-9, 100e-9)]
    img, fov = projection(rows, recipe.species, 96)
    px = fov / 96
    cols = img.sum(axis=0)
    left, right = cols[:48], cols[48:]
    cl = (np.arange(48) * left).sum() / left.sum()
    cr = 48 + (np.arange(48) * right).sum() / right.sum()
    assert abs((cr - cl) * px - 200e-9) < px


def test_atomic_model_projection_is_centred_on_its_position():
    recipe, _ = resolve("chaperonin-80-v7")
    rows = [{"species": "chaperonin", "size_m": 0.0, "shape_param": np.nan, "orientation_wxyz": [1, 0, 0, 0],
             "position_m": [0.0, 0.0, 0.0]}]
    img, fov = projection(rows, recipe.species, 64)
    yy, xx = np.indices(img.shape)
    cy, cx = (yy * img).sum() / img.sum(), (xx * img).sum() / img.sum()
    assert abs(cx - 31.5) < 1 and abs(cy - 31.5) < 1  # centre of mass (Z-weighted) at the position
    assert 14e-9 < fov < 40e-9  # GroEL is ~14 nm across, ~15 nm tall


def test_colour_fields_from_truth_and_predictions(spi_file):
    from diffbench.io.cxi import open_dataset

    with open_dataset(spi_file) as d:
        f = colour_fields(d.truth, d.particles, {"flag": np.zeros(len(d), np.int8)})
        n = len(d)
    assert f["hit_class"][1] == "categorical" and len(f["hit_class"][0]) == n
    for k in ("target_diameter_nm", "orientation_azimuth_deg", "rotation_angle_deg", "photons_total"):
        assert f[k][1] == "continuous" and f[k][0].shape == (n,)
    assert f["pred:flag"][1] == "categorical"
    # a file without truth still has predictions
    only = colour_fields({}, None, {"ipca": np.ones(5)})
    assert list(only) == ["pred:ipca"]


def test_latent_space_is_cached_and_invalidated_by_a_new_file(spi_file, monkeypatch, tmp_path):
    import shutil

    from diffbench.viewer import latent as L

    f = tmp_path / spi_file.name
    shutil.copy(spi_file, f)
    z, preds, axes = L.latent_space(f, "ipca-envelope", {"downsample": None, "batch_size": 40}, name="PC")
    assert z.shape == (120, 3) and set(preds) == {"ipca-envelope"}
    assert set(preds["ipca-envelope"]) <= {"inlier", "outlier"}  # predictions by name, not 0/1
    # the axes say how much of the variance each component holds, in decreasing order
    shares = [float(a.split("(")[1].split(" %")[0]) for a in axes]
    assert axes[0].startswith("PC 1 (") and shares == sorted(shares, reverse=True) and 0 < sum(shares) <= 100

    def boom(*a, **k):
        raise AssertionError("recomputed although cached")

    monkeypatch.setattr("diffbench.methods.registry.make_method", boom)
    z2, _, axes2 = L.latent_space(f, "ipca-envelope", {"downsample": None, "batch_size": 40}, name="PC")
    assert axes2 == axes
    assert_allclose(z2, z, rtol=0, atol=0)
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))  # a "new" file
    with pytest.raises(AssertionError, match="recomputed"):
        L.latent_space(f, "ipca-envelope", {"downsample": None, "batch_size": 40})


def test_view_html_writes_a_standalone_page(spi_file, tmp_path, capsys):
    out = tmp_path / "v.html"
    assert main(["view", str(spi_file), "--html", str(out), "--colour-by", "hit_class", "--quiet"]) == 0
    text = out.read_text()
    assert "cdn.bokeh.org" not in text  # inline resources: works offline
    assert "data:image/png;base64" in text and "hit_class" in text
    assert out.stat().st_size < 5e6


@pytest.mark.parametrize("extra, needle", [
    (["--axes", "1,9"], "--axes: component 9"),
    (["--latent-file", "nope.npy"], "no such file"),
    ([], "--html OUT or --serve"),
])
def test_view_bad_input_exits_2(spi_file, tmp_path, capsys, extra, needle):
    args = ["view", str(spi_file), *extra]
    if extra and extra[0] != "--html":
        args += ["--html", str(tmp_path / "x.html")]
    assert main(args) == 2
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()


def test_latent_file_of_the_wrong_length_is_named(spi_file, tmp_path, capsys):
    z = tmp_path / "z.npy"
    np.save(z, np.zeros((7, 2)))
    assert main(["view", str(spi_file), "--latent-file", str(z), "--html", str(tmp_path / "x.html")]) == 2
    assert "expected shape (120, k >= 2), got (7, 2)" in capsys.readouterr().err


def test_selection_record_names_file_indices(spi_file):
    from diffbench.viewer.viewdata import gather, selection_record

    z = np.random.default_rng(0).normal(size=(120, 2))
    view = gather(spi_file, z, "z", points=[3, 50, 7, 99], images=False)
    rec = selection_record(view, [0, 2])  # rows of the sorted subsample: indices 3 and 50
    assert rec["indices"] == [3, 50] and len(rec["source_sha256"]) == 64
    json.dumps(rec)


def test_ed_scan_page_has_the_raster_map(tmp_path):
    """An ED-scan file gets the scan map: one rect per frame at (j, −i) of its scan's tile, sharing
    the scatter's source (so selections link), coloured by the ED label."""
    from diffbench.simulate.driver import simulate_to_file
    from diffbench.viewer.page import build_layout
    from diffbench.viewer.viewdata import gather

    f = simulate_to_file("ed-holey-carbon-v1", 1, tmp_path / "ed.cxi", seed=1,
                         overrides=["scan.nx=4", "scan.ny=3"], progress=False)
    view = gather(f, np.random.default_rng(0).normal(size=(12, 2)), "z", images=False)
    assert view.scan_map["nx"] == 4 and view.scan_map["ny"] == 3
    with __import__("diffbench").open_dataset(f) as d:
        assert_allclose(view.scan_map["x"], d.truth["scan_j"])
        assert_allclose(view.scan_map["y"], -d.truth["scan_i"])
    layout, models = build_layout(view, colour_by="label")
    assert models["scanmap"].renderers[0].data_source is models["source"]
    assert "label" in view.fields


def _foreign_cxi(path):
    """A CXI file written by something else: frames and standard geometry, no diffbench truth."""
    import h5py

    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        f.create_dataset("/entry_1/data_1/data", data=rng.poisson(2.0, size=(30, 40, 48)).astype(np.uint16))
        d = f.create_group("/entry_1/instrument_1/detector_1")
        d["distance"], d["x_pixel_size"], d["y_pixel_size"] = 0.3, 200e-6, 200e-6
        f["/entry_1/instrument_1/source_1/energy"] = 2000 * 1.602176634e-19
    return path


def test_info_and_view_work_on_a_cxi_diffbench_did_not_write(tmp_path, capsys):
    f = _foreign_cxi(tmp_path / "real.cxi")
    assert main(["info", str(f)]) == 0
    out = capsys.readouterr().out
    assert "30 frames of 40x48" in out and "no diffbench truth" in out and "photon energy 2000 eV" in out
    np.save(tmp_path / "z.npy", np.random.default_rng(1).normal(size=(30, 2)))
    assert main(["view", str(f), "--latent-file", str(tmp_path / "z.npy"), "--html", str(tmp_path / "a.html"),
                 "--quiet"]) == 0
    assert main(["view", str(f), "--html", str(tmp_path / "b.html"), "--quiet"]) == 0
    text = (tmp_path / "b.html").read_text()
    assert "q_x" in text  # the pinned patterns state their q axes from the file's own geometry


def test_view_takes_a_scikit_learn_transformer_by_import_path(spi_file, tmp_path):
    out = tmp_path / "pca.html"
    assert main(["view", str(spi_file), "--latent", "sklearn.decomposition:PCA", "--html", str(out), "--quiet",
                 "--no-cache"]) == 0
    assert "PCA 1 (" in out.read_text()  # its explained variance on the axis titles


def test_a_mistyped_colour_field_is_one_line_listing_the_fields(spi_file, tmp_path, capsys):
    assert main(["view", str(spi_file), "--html", str(tmp_path / "x.html"), "--colour-by", "hitclass",
                 "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'hitclass'" in err and "hit_class" in err
    assert not (tmp_path / "x.html").exists()

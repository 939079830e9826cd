"""The command line: list, simulate, info, export-emc; bad input → exit 2 and no file."""

import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import diffbench
from diffbench.cli.main import main

SMALL = ["--set", "detector.preset=square-64", "--quiet"]


def test_list_shows_every_shipped_recipe(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("pr772-spi-v6", "gold-melt-v5", "chaperonin-80-v7", "chaperonin-99-v7", "sphere-calibration-v2"):
        assert name in out


def test_simulate_then_info(tmp_path, capsys):
    out = tmp_path / "s.cxi"
    assert main(["simulate", "sphere-calibration-v2", "-n", "3", "-o", str(out), *SMALL]) == 0
    assert out.is_file()
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    assert "3 patterns of 64x64" in text and "single 3" in text


@pytest.mark.parametrize("args,needle", [
    (["simulate", "no-such-recipe-v1", "-n", "2"], "unknown recipe"),
    (["simulate", "sphere-calibration-v2", "-n", "0"], "-n must be a positive integer"),
    (["simulate", "sphere-calibration-v2", "-n", "2", "--set", "beam.pulse_energy_jj=1"], "beam.pulse_energy_jj"),
    (["simulate", "sphere-calibration-v2", "-n", "2", "--set", "species.sphere.size_m=-5e-9"], "size_m"),
    (["simulate", "sphere-calibration-v2", "-n", "2", "--set", "beam.photon_energy_ev=-3"], "photon_energy_ev"),
    (["simulate", "chaperonin-80-v7", "-n", "2", "--set", "species.chaperonin.structure=/nope/3IYF.pdb"], "file not found"),
])
def test_bad_input_exits_2_with_one_line_and_no_file(tmp_path, capsys, args, needle):
    out = tmp_path / "bad.cxi"
    code = main(args + ["-o", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_exits_2(tmp_path, capsys):
    code = main(["simulate", "sphere-calibration-v2", "-n", "2", "-o", str(tmp_path / "no" / "dir" / "x.cxi"), "--quiet"])
    assert code == 2 and "does not exist" in capsys.readouterr().err


def test_console_script_runs_as_a_process(tmp_path):
    r = subprocess.run([sys.executable, "-m", "diffbench.cli.main", "simulate", "sphere-calibration-v2",
                        "-n", "0", "-o", str(tmp_path / "x.cxi")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.startswith("diffbench: error:")


def test_workers_1_and_2_are_bit_identical(tmp_path):
    a, b = tmp_path / "a.cxi", tmp_path / "b.cxi"
    common = ["pr772-spi-v6", "-n", "9", "--seed", "5", "--set", "detector.preset=square-64", "--quiet"]
    assert main(["simulate", *common, "-o", str(a), "--workers", "1"]) == 0
    assert main(["simulate", *common, "-o", str(b), "--workers", "2"]) == 0
    with diffbench.open_dataset(a) as da, diffbench.open_dataset(b) as db:
        assert_array_equal(da.patterns[:], db.patterns[:])
        for k in da.truth:
            assert_array_equal(da.truth[k], db.truth[k], err_msg=k)
        for k in da.particles:
            assert_array_equal(da.particles[k], db.particles[k], err_msg=k)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no parts or temporaries left


def test_truth_written_in_blocks_is_the_truth_written_at_once(tmp_path, monkeypatch):
    """The truth goes from temporary tables on disk to the file in blocks (memory flat in N), also
    when worker parts are merged: with blocks of 4 rows every column of 9 patterns and their
    particles is the one-process file's."""
    import diffbench.io.cxi as cxi

    a, b = tmp_path / "a.cxi", tmp_path / "b.cxi"
    common = ["pr772-spi-v6", "-n", "9", "--seed", "5", "--set", "detector.preset=square-64", "--quiet"]
    assert main(["simulate", *common, "-o", str(a)]) == 0
    monkeypatch.setattr(cxi, "TABLE_BLOCK_ROWS", 4)
    assert main(["simulate", *common, "-o", str(b), "--workers", "2"]) == 0
    with diffbench.open_dataset(a) as da, diffbench.open_dataset(b) as db:
        for k in da.truth:
            assert_array_equal(da.truth[k], db.truth[k], err_msg=k)
        for k in da.particles:
            assert_array_equal(da.particles[k], db.particles[k], err_msg=k)


def test_export_emc_round_trip(tmp_path):
    from diffbench.io.emc import read_emc

    f = tmp_path / "s.cxi"
    assert main(["simulate", "pr772-spi-v6", "-n", "4", "-o", str(f), *SMALL]) == 0
    assert main(["export-emc", str(f), str(tmp_path / "emc")]) == 0
    back = read_emc(tmp_path / "emc" / "photons.emc")
    with diffbench.open_dataset(f) as d:
        assert_array_equal(back, d.patterns[:].reshape(4, -1).astype(np.int32))
    import h5py

    with h5py.File(tmp_path / "emc" / "det.h5") as det:
        assert det["qx"].shape == (64 * 64,) and set(np.unique(det["mask"][()])) <= {0, 2}
    assert "lambda" in (tmp_path / "emc" / "config.ini").read_text()
    # the export reads back as frames with the file's geometry: a diffbench method runs on it as on the file
    from diffbench.methods.frames import as_frames, from_emc_export

    frames = from_emc_export(tmp_path / "emc")
    with diffbench.open_dataset(f) as d:
        ref = as_frames(d)
        assert_array_equal(frames.data, d.patterns[:].astype(np.int32))
        assert frames.geometry[0] == ref.geometry[0] and frames.geometry[1] == ref.geometry[1]
        assert_array_equal(frames.valid, ref.valid)
        np.testing.assert_allclose(frames.q_m, ref.q_m, rtol=1e-12)


def test_import_is_light():
    code = ("import sys, diffbench; bad = [m for m in ('torch', 'numba', 'bokeh', 'dask') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout


@pytest.mark.parametrize("recipe, n, over, needles", [
    ("gold-jet-ice-v4", 6, ["rings.ice.probability=1.0"], ["rings: ice on 6 patterns", "amorphous liquid-water on 6"]),
    ("xfel-droplet-ice-v2", 3, [], ["classes:"]),
    ("mx-ice-rings-v2", 3, [], ["3 data sets"]),
    ("ed-holey-carbon-v1", 1, ["scan.nx=3", "scan.ny=2"], ["labels:"]),
])
def test_info_summarises_every_recipe_kind(tmp_path, capsys, recipe, n, over, needles):
    out = tmp_path / "x.h5"
    sets = [a for o in over for a in ("--set", o)]
    assert main(["simulate", recipe, "-n", str(n), "-o", str(out), "--quiet", *sets]) == 0
    capsys.readouterr()
    assert main(["info", str(out)]) == 0
    text = capsys.readouterr().out
    for needle in needles:
        assert needle in text, text

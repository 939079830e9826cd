"""Hostile and absurd input: refused quickly with one line naming what is wrong, exit 2, no file."""

import time

import numpy as np
import pytest

from diffbench.cli.main import main

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi")) + "recipes: {x-v1: *i}\n"


@pytest.mark.parametrize("argv", [["list"], ["simulate", "x-v1", "-n", "1", "-o", "OUT"], ["bench", "--list"]])
def test_billion_laughs_is_refused_at_once(argv, tmp_path, capsys):
    p = tmp_path / "laughs.yaml"
    p.write_text(LAUGHS)
    argv = [a.replace("OUT", str(tmp_path / "o.cxi")) for a in argv] + ["--config", str(p)]
    t0 = time.perf_counter()
    assert main(argv) == 2
    assert time.perf_counter() - t0 < 5  # was minutes and a 5 GB MemoryError
    err = capsys.readouterr().err.strip()
    assert "nodes through its aliases; refused" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o.cxi").exists()


def test_validation_errors_never_print_huge_values(capsys, tmp_path):
    big = "[" + ",".join(["1"] * 50_000) + "]"
    assert main(["simulate", "sphere-calibration-v2", "-n", "1", "-o", str(tmp_path / "o.cxi"),
                 "--set", f"beam.photon_energy_ev={big}"]) == 2
    err = capsys.readouterr().err
    assert "beam.photon_energy_ev" in err and len(err) < 400 and not (tmp_path / "o.cxi").exists()


@pytest.mark.parametrize("override, needle", [
    ("beam.pulse_energy_j=1e300", "beam.pulse_energy_j: Input should be less than or equal to 1"),
    ("species.sphere.size_m=1.0", "species.sphere.size_m: Value error, must be at most 2e-6 m"),
    ("beam.pulse_energy_j=.nan", "beam.pulse_energy_j"),
])
def test_absurd_values_are_refused_not_simulated_into_wrong_truth(override, needle, tmp_path, capsys):
    out = tmp_path / "o.cxi"
    assert main(["simulate", "sphere-calibration-v2", "-n", "2", "-o", str(out), "--set", override]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and not out.exists()


def test_a_pattern_too_bright_to_count_is_an_error_not_an_overflow(tmp_path, capsys):
    """Within the schema's bounds a recipe can still ask for more photons than counts hold."""
    out = tmp_path / "o.cxi"
    argv = ["simulate", "sphere-calibration-v2", "-n", "2", "-o", str(out), "--set", "beam.pulse_energy_j=1.0",
            "--set", "species.sphere.size_m=2e-6", "--set", "beam.focus_diameter_m=1e-8"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "expected photons in a pattern" in err and not out.exists() and not list(tmp_path.iterdir())


def test_species_names_longer_than_the_truth_field_are_refused(tmp_path, capsys):
    long = "a" * 40
    out = tmp_path / "o.cxi"
    assert main(["simulate", "sphere-calibration-v2", "-n", "1", "-o", str(out), "--set",
                 f"species={{{long}: {{shape: sphere, size_m: 5.0e-8}}}}", "--set", f"target={long}"]) == 2
    assert "longer than 32 bytes" in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize("argv, needle", [
    (["simulate", "sphere-calibration-v2", "-n", "1000000000000", "-o", "OUT"], "-n must be at most"),
    (["simulate", "sphere-calibration-v2", "-n", "1", "--seed", str(10**26), "-o", "OUT"], "--seed must be below 2^63"),
    (["simulate", "sphere-calibration-v2", "-n", "1", "-o", "OUT", "--set", "detector.nx=1000000"],
     "detector.nx: Input should be less than or equal to 16384"),
    (["view", "IN", "--serve", "--port", "99999"], "--port must be 0-65535"),
])
def test_huge_values_are_refused_before_any_work(argv, needle, tmp_path, capsys):
    src = tmp_path / "in.cxi"
    src.write_bytes(b"")
    argv = [a.replace("OUT", str(tmp_path / "o.cxi")).replace("IN", str(src)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1 and not (tmp_path / "o.cxi").exists()


def test_a_foreign_manifest_is_named_not_a_traceback(tmp_path, capsys):
    out = tmp_path / "idx.cxi"
    (tmp_path / "idx.cxi.shards").mkdir()
    (tmp_path / "idx.cxi.shards" / "manifest.json").write_text('{"identity": {}, "shards": 5}')
    assert main(["simulate", "sphere-calibration-v2", "-n", "4", "-o", str(out), "--shard-size", "2",
                 "--set", "detector.preset=square-64"]) == 2
    assert "not a diffbench manifest" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"", b"just text\n", b"\x89HDF\r\n\x1a\n" + b"\0" * 40])
def test_foreign_files_are_named_in_one_line(content, tmp_path, capsys):
    p = tmp_path / "foreign.cxi"
    p.write_bytes(content)
    assert main(["info", str(p)]) == 2
    err = capsys.readouterr().err.strip()
    assert str(p) in err and "not a file diffbench can read" in err and len(err.splitlines()) == 1


def test_an_hdf5_file_without_frames_or_truth_is_named(tmp_path, capsys):
    import h5py

    p = tmp_path / "other.h5"
    with h5py.File(p, "w") as f:
        f["x"] = np.arange(3)
    assert main(["info", str(p)]) == 2
    assert "neither frames (/entry_1/data_1/data) nor diffbench's truth" in capsys.readouterr().err


def test_verify_checks_every_shard_and_frame(tmp_path, capsys):
    import os

    import h5py

    from diffbench.simulate.shards import simulate_sharded

    idx = tmp_path / "idx.cxi"
    simulate_sharded("sphere-calibration-v2", 6, idx, 3, overrides=["detector.preset=square-64"], progress=False)
    assert main(["verify", str(idx)]) == 0
    assert "ok (6 frames against their truth, 2 shards by SHA-256)" in capsys.readouterr().out
    assert main(["info", str(idx)]) == 0
    assert "shards checked: quick" in capsys.readouterr().out
    # bit rot inside a shard, its mtime restored: quick opening misses it, verify does not
    shard = sorted((tmp_path / "idx.cxi.shards").glob("shard-*.cxi"))[0]
    st = shard.stat()
    with h5py.File(shard, "r+") as f:
        f["/entry_1/sample_1/truth/photons_total"][0] += 1
    os.utime(shard, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert main(["verify", str(idx)]) == 2
    assert "shard" in capsys.readouterr().err


def test_an_index_without_its_manifest_is_refused(tmp_path, capsys):
    import h5py

    from diffbench.simulate.shards import simulate_sharded

    idx = tmp_path / "idx.cxi"
    simulate_sharded("sphere-calibration-v2", 6, idx, 3, overrides=["detector.preset=square-64"], progress=False)
    with h5py.File(idx, "r+") as f:
        for k in list(f.attrs):
            if "manifest" in k:
                del f.attrs[k]
    assert main(["info", str(idx)]) == 2
    assert "a sharded index without its manifest" in capsys.readouterr().err


def test_a_recursive_yaml_value_is_refused(tmp_path, capsys):
    assert main(["simulate", "sphere-calibration-v2", "-n", "1", "-o", str(tmp_path / "o.cxi"),
                 "--set", "beam.pulse_energy_j=&a [*a]"]) == 2
    assert "recursive document" in capsys.readouterr().err

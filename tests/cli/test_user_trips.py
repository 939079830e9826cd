"""The small things a new user trips on (issue 24, item 6), each fixed and held here."""

import subprocess
import sys

import pytest

from diffbench.cli.main import main

SMALL = ["--set", "detector.preset=square-64", "--seed", "2"]


def test_methods_that_match_nothing_are_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "bench"
    assert main(["bench", "chaperonin-80-outliers", "--methods", "em2d", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "none of the tasks chaperonin-80-outliers runs it" in err and "ipca-envelope" in err
    assert not out.exists()  # nothing simulated


def test_class_fractions_must_sum_to_one(tmp_path, capsys):
    assert main(["simulate", "pr772-spi-v6", "-n", "2", "-o", str(tmp_path / "a.cxi"),
                 "--set", "hits.classes={single: 0.5}"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "sum to 0.5, not 1" in err


def test_a_one_off_volume_build_is_announced_and_quiet_says_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DIFFBENCH_CACHE_DIR", str(tmp_path / "cache"))
    args = ["simulate", "pr772-spi-v6", "-n", "2", *SMALL, "--set", "species.pr772.size_m=70e-9"]
    assert main([*args, "-o", str(tmp_path / "a.cxi")]) == 0
    err = capsys.readouterr().err
    assert "building the pr772 size level 1/1" in err and " s\n" in err
    monkeypatch.setenv("DIFFBENCH_CACHE_DIR", str(tmp_path / "cache2"))
    assert main([*args, "-o", str(tmp_path / "b.cxi"), "--quiet"]) == 0
    assert "building" not in capsys.readouterr().err


def test_replacing_an_output_is_announced(tmp_path, capsys):
    out = tmp_path / "a.cxi"
    for _ in range(2):
        assert main(["simulate", "pr772-spi-v6", "-n", "2", "-o", str(out), *SMALL]) == 0
    assert f"replacing {out}" in capsys.readouterr().err


def test_a_closed_pipe_ends_quietly(tmp_path):
    f = tmp_path / "a.cxi"
    assert main(["simulate", "pr772-spi-v6", "-n", "2", "-o", str(f), *SMALL, "--quiet"]) == 0
    p = subprocess.Popen([sys.executable, "-m", "diffbench.cli.main", "info", str(f)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()  # `diffbench info f | head -0`
    err = p.stderr.read()
    assert p.wait() == 141 and err == b""


@pytest.mark.parametrize("argv, absent", [(["bench", "--list"], "{'quick'"), (["list"], "{")])
def test_listings_are_formatted_for_people(argv, absent, capsys):
    assert main(argv) == 0
    assert absent not in capsys.readouterr().out


def test_info_formats_point_groups_and_sizes(tmp_path, capsys):
    f = tmp_path / "a.cxi"
    assert main(["simulate", "pr772-spi-v6", "-n", "40", "-o", str(f), *SMALL, "--quiet"]) == 0
    capsys.readouterr()
    assert main(["info", str(f)]) == 0
    out = capsys.readouterr().out
    assert "point groups: pr772 I," in out and "{" not in out
    assert "target size (the recipe's size_m): mean" in out and "how" not in out.split("compression:")[0]

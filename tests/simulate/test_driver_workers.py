"""``--workers``: 'auto' chooses by the kind's items_per_worker, cores_per_process and the usable cores
and says so; an explicit count is honoured, with a note where it will not pay."""

import pytest

from diffbench import kinds
from diffbench.cli.main import main
from diffbench.recipes.catalogue import RecipeError
from diffbench.simulate.driver import choose_workers, prepare_run, workers_advice

SPI = kinds.get("spi")
SMALL = ["--set", "detector.preset=square-64", "--seed", "3"]


@pytest.mark.parametrize("n, cores, expected", [(1, 4, 1), (9_999, 4, 1), (19_999, 4, 1), (20_000, 4, 2),
                                                (10**6, 4, 4), (10**6, 16, 16), (50_000, 16, 5)])
def test_auto_gives_each_worker_enough_patterns_and_no_more_workers_than_cores(n, cores, expected):
    assert choose_workers(SPI, n, cores) == expected


@pytest.mark.parametrize("cores", [1, 2])
def test_auto_runs_one_process_where_one_keeps_every_core_busy(cores):
    assert SPI.cores_per_process == 2
    assert choose_workers(SPI, 10**7, cores) == 1


def test_kinds_without_worker_processes_get_one():
    assert choose_workers(kinds.get("ed-scan"), 10**6, 8) == 1


def test_advice_says_why_more_workers_will_not_pay():
    assert workers_advice(SPI, 1, 100, 2) is None
    assert workers_advice(SPI, 2, 10**5, 4) is None
    assert "one process already keeps 2 cores busy" in workers_advice(SPI, 2, 10**5, 2)
    assert "2 usable cores" in workers_advice(SPI, 3, 10**6, 2)
    assert "10,000 patterns each" in workers_advice(SPI, 2, 1_000, 2)


def test_auto_is_resolved_before_the_run_and_said(tmp_path, capsys):
    run = prepare_run("pr772-spi-v6", 5, tmp_path / "a.cxi", workers="auto", progress=None)
    assert run.workers == 1
    assert "--workers auto: 1 process for 5 patterns" in capsys.readouterr().err


def test_cli_accepts_auto_and_notes_an_unprofitable_count(tmp_path, capsys):
    assert main(["simulate", "pr772-spi-v6", "-n", "4", "-o", str(tmp_path / "a.cxi"), "--workers", "auto", *SMALL]) == 0
    assert "--workers auto: 1 process" in capsys.readouterr().err
    assert main(["simulate", "pr772-spi-v6", "-n", "4", "-o", str(tmp_path / "b.cxi"), "--workers", "2", *SMALL]) == 0
    assert "note: --workers 2 for 4 patterns" in capsys.readouterr().err
    assert (tmp_path / "a.cxi").read_bytes() != b""


@pytest.mark.parametrize("bad", ["0", "many", "-1"])
def test_bad_worker_counts_are_one_line_errors(tmp_path, capsys, bad):
    assert main(["simulate", "pr772-spi-v6", "-n", "4", "-o", str(tmp_path / "a.cxi"), "--workers", bad, *SMALL]) == 2
    err = capsys.readouterr().err.strip()
    assert "--workers" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "a.cxi").exists()


def test_the_python_api_refuses_a_bool():
    with pytest.raises(RecipeError, match="--workers must be 'auto' or an integer"):
        prepare_run("pr772-spi-v6", 5, "x.cxi", workers=True)

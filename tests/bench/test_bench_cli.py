"""`diffbench bench` end to end on a tiny task: scorecard files, --compare pass and fail."""

import json

import numpy as np
import pytest

from diffbench.bench.runner import compare
from diffbench.cli.main import main

pytest.importorskip("sklearn")

CONFIG = """
version: 1
recipes:
  tiny-spheres-v1:
    description: "test"
    detector: {preset: square-64}
    beam: {photon_energy_ev: 1700, pulse_energy_j: 2.0e-4, focus_diameter_m: 1.5e-6}
    species:
      s: {shape: sphere, material: protein, size_m: {distribution: normal, mean: 70.0e-9, sd: 5.0e-9}}
    target: s
    hits: {classes: {single: 0.8, multiple: 0.2}}
    injection: {hit_diameter_m: 0.3e-6, depth_m: 0.0}
benchmarks:
  tiny-outliers:
    description: "test task"
    recipe: tiny-spheres-v1
    n: {quick: 60, paper: 100}
    seeds: {quick: [1, 2], paper: [1]}
    target: is_single_hit
    positive: false  # the doubles
    methods:
      ipca-envelope: {downsample: null, batch_size: 20}
    oracles:
      ipca-envelope@true-fraction: {method: ipca-envelope, downsample: null, batch_size: 20, contamination: true-fraction}
    metrics: [precision, recall, f1, specificity, roc_auc, iou]
    conditions: [photons_total]
  tiny-size:
    description: "test task"
    recipe: tiny-spheres-v1
    n: {quick: 20, paper: 100}
    seeds: {quick: [1], paper: [1]}
    target: diameter_m
    select: is_single_hit
    methods:
      sphere-size: {}
    metrics: [size_error_nm]
"""


@pytest.fixture
def config(tmp_path):
    p = tmp_path / "bench.yaml"
    p.write_text(CONFIG)
    return p


def test_bench_writes_scorecards_and_compares(tmp_path, config, capsys):
    out = tmp_path / "out"
    assert main(["bench", "--config", str(config), "-o", str(out)]) == 0
    card = json.loads((out / "scorecard.json").read_text())
    got = {(r["task"], r["method"], r["metric"]): r for r in card["results"]}
    assert ("tiny-outliers", "ipca-envelope@true-fraction", "roc_auc") in got
    r = got[("tiny-outliers", "ipca-envelope", "recall")]
    assert r["seeds"] == [1, 2] and len(r["values"]) == 2 and len(r["ci95"]) == 2
    roles = {(r["method"], r["role"]) for r in card["results"] if r["task"] == "tiny-outliers"}
    assert roles == {("prevalence", "control"), ("random", "control"), ("photon-count", "control"),
                     ("ipca-envelope@true-fraction", "oracle"), ("ipca-envelope", "method")}
    # the primary metric (the first) has its margin over the best control and its worst photon bin
    p = got[("tiny-outliers", "ipca-envelope", "precision")]
    assert p["primary"] and "margin" in p and "beats_controls" in p and "photons_total" in p["by_condition"]
    assert "margin" not in got[("tiny-outliers", "photon-count", "precision")]
    # noise-free-ish spheres of 70 ± 5 nm: the sphere fit is good to a nanometre or two
    assert got[("tiny-size", "sphere-size", "size_error_nm")]["value"] < 2.0
    md = (out / "scorecard.md").read_text()
    assert "| tiny-outliers | method | ipca-envelope | all | recall |" in md
    assert md.index("| tiny-outliers | control | prevalence |") < md.index("| tiny-outliers | method | ipca-envelope |")
    # the HTML report: self-contained (BokehJS inline, no CDN script), one section per task with its plots
    page = (out / "report.html").read_text()
    assert "<script src=" not in page and "Bokeh" in page
    for text in ("tiny-outliers", "tiny-size", "ROC (score_samples", "sizes: sphere-size", "confusion: ipca-envelope"):
        assert text in page
    runs = {(r["task"], r["method"], r["seed"]): r for r in card["runs"]}
    roc = runs[("tiny-outliers", "ipca-envelope", 1)]["curves"]["roc"]
    assert roc["fpr"][0] == 0 and roc["tpr"][-1] == 1 and np.all(np.diff(roc["fpr"]) >= 0)
    # IoU of each selection with the truth, and between the two methods' selections (symmetric)
    a, b = runs[("tiny-outliers", "ipca-envelope", 1)], runs[("tiny-outliers", "ipca-envelope@true-fraction", 1)]
    assert 0 <= a["iou"] <= 1 and a["iou_with"]["ipca-envelope@true-fraction"] == b["iou_with"]["ipca-envelope"]
    assert "_selection" not in a and "IoU of selections" in page
    hist = runs[("tiny-size", "sphere-size", 1)]["curves"]["size_hist"]
    assert sum(hist["truth"]) == sum(hist["predicted"]) > 0  # the same sized frames in both histograms
    # same datasets again (reused, not re-simulated) → identical scores → no regression
    assert main(["bench", "--config", str(config), "-o", str(out), "--compare", str(out / "scorecard.json")]) == 0
    # a doctored baseline that was better by 0.2 → exit 1 naming the metric
    for res in card["results"]:
        if res["metric"] == "recall":
            res["value"] += 0.2
    (tmp_path / "better.json").write_text(json.dumps(card))
    capsys.readouterr()
    assert main(["bench", "--config", str(config), "-o", str(out), "--compare", str(tmp_path / "better.json"),
                 "--tolerance", "0.05"]) == 1
    assert "tiny-outliers/ipca-envelope/recall" in capsys.readouterr().err


def test_compare_directions():
    # tolerance: three standard errors of the baseline's mean over its 4 seeds (0.02 / 2 * 3 = 0.03)
    base = [{"task": "t", "method": "m", "metric": "f1", "value": 0.8, "std": 0.02, "seeds": [1, 2, 3, 4]},
            {"task": "t", "method": "m", "metric": "size_error_nm", "value": 1.0, "std": 0.0, "seeds": [1, 2, 3, 4]}]
    assert compare([dict(base[0], value=0.775), dict(base[1], value=1.9)], base) == []
    probs = compare([dict(base[0], value=0.765), dict(base[1], value=2.1)], base)
    assert len(probs) == 2 and "t/m/f1" in probs[0] and "t/m/size_error_nm" in probs[1]
    assert "tolerance 0.0300" in probs[0] and "tolerance 1.0000" in probs[1]


def test_bad_task_config_names_the_field(tmp_path, capsys):
    p = tmp_path / "bad.yaml"
    p.write_text(CONFIG.replace("metrics: [size_error_nm]", "metrics: [size_eror]"))
    assert main(["bench", "--config", str(p), "--list"]) == 2
    assert "benchmarks.tiny-size.metrics" in capsys.readouterr().err


def test_a_users_method_by_import_path_runs_on_a_shipped_task(tmp_path, config, capsys):
    # a method the task does not list, given as package.module:Class, is scored under its path;
    # registered names the task does not list are skipped, and a bad path is a one-line error
    path = "diffbench.methods.size_fit:SphereSizeFit"
    out = tmp_path / "user"
    assert main(["bench", "tiny-size", "--config", str(config), "-o", str(out), "--methods", path, "ipca-envelope"]) == 0
    rows = json.loads((out / "scorecard.json").read_text())["results"]
    assert {r["method"] for r in rows if r["role"] == "method"} == {path}
    mine = [r for r in rows if r["method"] == path]
    assert mine[0]["metric"] == "size_error_nm" and np.isfinite(mine[0]["value"])
    capsys.readouterr()
    assert main(["bench", "tiny-size", "--config", str(config), "-o", str(out), "--methods", "nope.mod:Cls"]) == 2
    assert "cannot import method 'nope.mod:Cls'" in capsys.readouterr().err


def test_a_config_cannot_run_code_without_allow_imports(tmp_path, capsys):
    """An import path in a --config file is code: refused unless --allow-imports says so."""
    p = tmp_path / "evil.yaml"
    marker = tmp_path / "ran"
    p.write_text(CONFIG.replace("sphere-size: {}", f"x: {{method: 'os:system', command: 'touch {marker}'}}"))
    assert main(["bench", "--config", str(p), "-o", str(tmp_path / "o"), "tiny-size"]) == 2
    err = capsys.readouterr().err
    assert "import path 'os:system'" in err and "--allow-imports" in err and not marker.exists()


@pytest.mark.parametrize("argv, needle", [
    (["--tolerance", "nan"], "--tolerance must be a finite number >= 0"),
    (["--tolerance", "inf"], "--tolerance must be a finite number >= 0"),
    (["--shard-size", "0"], "--shard-size must be >= 1"),
    (["--methods", "nope"], "--methods nope: no task"),
    (["--methods", "sphere-size", "typo"], "--methods typo: no task"),
])
def test_bench_options_that_would_silently_do_nothing_are_refused(argv, needle, config, tmp_path, capsys):
    assert main(["bench", "tiny-size", "--config", str(config), "-o", str(tmp_path / "o")] + argv) == 2
    assert needle in capsys.readouterr().err


def test_split_files_are_written_beside_the_scorecard(tmp_path, config):
    import yaml

    cfg = yaml.safe_load(config.read_text())
    cfg["benchmarks"]["tiny-outliers"]["split"] = {"test_fraction": 0.5}
    p = tmp_path / "split.yaml"
    p.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "o"
    assert main(["bench", "tiny-outliers", "--config", str(p), "-o", str(out), "--seeds", "1"]) == 0
    split = json.loads((out / "splits" / "tiny-outliers-s1.json").read_text())
    card = json.loads((out / "scorecard.json").read_text())
    assert split["content_sha256"] == card["runs"][0]["content_sha256"]
    assert sorted(split["train"] + split["tests"]["test"]) == list(range(60))


def test_cells_on_worker_processes_give_the_local_scores(tmp_path, config):
    """Issue 22 item 13: the (task, seed) cells on a process pool (the engine of sharded generation;
    --scheduler takes Dask) give exactly the scores of a local run."""
    local, pool = tmp_path / "local", tmp_path / "pool"
    assert main(["bench", "tiny-outliers", "--config", str(config), "-o", str(local)]) == 0
    assert main(["bench", "tiny-outliers", "--config", str(config), "-o", str(pool), "--workers", "2"]) == 0
    a = json.loads((local / "scorecard.json").read_text())["results"]
    b = json.loads((pool / "scorecard.json").read_text())["results"]
    key = lambda r: (r["method"], r["test"], r["metric"])  # noqa: E731
    assert [(key(r), r["values"], r["content_sha256"]) for r in a] == [(key(r), r["values"], r["content_sha256"]) for r in b]


def test_a_saturated_task_says_so_on_the_scorecard(tmp_path, config):
    import yaml

    cfg = yaml.safe_load(config.read_text())
    cfg["benchmarks"]["tiny-size"]["saturated"] = "a control wins here, on purpose"
    p = tmp_path / "sat.yaml"
    p.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "o"
    assert main(["bench", "tiny-size", "--config", str(p), "-o", str(out), "--seeds", "1"]) == 0
    assert "- **tiny-size**: a control wins here, on purpose" in (out / "scorecard.md").read_text()
    assert json.loads((out / "scorecard.json").read_text())["tasks"]["tiny-size"]["saturated"]
    assert "saturated: a control wins here" in (out / "report.html").read_text()


def test_a_pooled_task_trains_on_some_pools_and_tests_on_another(tmp_path, config):
    """``pools:``: the recipe simulated once per pool (each with its own seed), read as one data set
    with a ``pool`` truth column; the group split names its test pool; ``support`` scores few-shot."""
    import yaml

    from diffbench.bench.pools import PooledDataset, pool_seed
    from diffbench.io.cxi import open_dataset

    cfg = yaml.safe_load(config.read_text())
    cfg["benchmarks"]["tiny-transfer"] = {
        "description": "test", "recipe": "tiny-spheres-v1", "n": {"quick": 30, "paper": 30},
        "seeds": {"quick": [4], "paper": [4]}, "target": "is_single_hit",
        "pools": {"small": ["species.s.size_m=40.0e-9"], "same": ["species.s.size_m=40.0e-9"],
                  "big": ["species.s.size_m=90.0e-9"]},
        "split": {"group": "pool", "test": {"big": ["big"]}, "support": [2]},
        "methods": {"radial-profile-classifier": {}}, "metrics": ["accuracy", "f1"]}
    p = tmp_path / "pools.yaml"
    p.write_text(yaml.safe_dump(cfg, sort_keys=False))  # the pools' order is the task's
    out = tmp_path / "o"
    assert main(["bench", "tiny-transfer", "--config", str(p), "-o", str(out)]) == 0
    card = json.loads((out / "scorecard.json").read_text())
    rows = [r for r in card["runs"] if r["method"] == "photon-count"]
    assert [r["test"] for r in rows] == ["big k=2"] and len(rows[0]["dataset"].split("+")) == 3
    split = json.loads((out / "splits" / "tiny-transfer-s4.json").read_text())
    assert split["train"] == list(range(60)) and split["tests"]["big"] == list(range(60, 90))
    files = sorted((out / "datasets").glob("*.cxi"))
    assert len(files) == 3
    seeds = set()
    parts = {}
    for f in files:
        with open_dataset(f) as d:
            seeds.add(int(d.attrs["seed"]))
            parts[f.name] = (np.asarray(d.patterns[()]), np.asarray(d.truth["multiplicity"]))
    assert seeds == {pool_seed(4, i) for i in range(3)}  # pools never share a random stream
    # the pooled data set reads the pools in the task's order
    names = rows[0]["dataset"].split("+")
    from contextlib import ExitStack

    with ExitStack() as stack:
        pooled = PooledDataset({k: stack.enter_context(open_dataset(out / "datasets" / n))
                                for k, n in zip(("small", "same", "big"), names)})
        assert len(pooled) == 90 and list(np.unique(pooled.truth["pool"])) == ["big", "same", "small"]
        np.testing.assert_array_equal(pooled.patterns[25:65], np.concatenate(
            [parts[names[0]][0][25:], parts[names[1]][0], parts[names[2]][0][:5]]))
        assert pooled.particles["pattern_index"].max() < 90
        assert (np.bincount(pooled.particles["pattern_index"], minlength=90)
                == pooled.truth["multiplicity"]).all()
    # the same two overrides with different seeds give different frames
    assert not np.array_equal(parts[names[0]][0], parts[names[1]][0])


def test_a_task_runs_only_in_the_tiers_it_names(tmp_path, capsys):
    """A costly task another one covers in the quick tier names only ``paper``: the quick tier leaves
    it out, naming it with --tier quick is a one-line error, and n and seeds must name the same tiers."""
    p = tmp_path / "tiers.yaml"
    p.write_text(CONFIG.replace("n: {quick: 20, paper: 100}\n    seeds: {quick: [1], paper: [1]}",
                                "n: {paper: 20}\n    seeds: {paper: [1]}"))
    out = tmp_path / "o"
    assert main(["bench", "--config", str(p), "-o", str(out), "--seeds", "1", "--n", "20"]) == 0
    assert {r["task"] for r in json.loads((out / "scorecard.json").read_text())["results"]} == {"tiny-outliers"}
    capsys.readouterr()
    assert main(["bench", "tiny-size", "--config", str(p), "-o", str(out)]) == 2
    assert "task tiny-size has no quick tier (its tiers: paper)" in capsys.readouterr().err
    p.write_text(CONFIG.replace("seeds: {quick: [1], paper: [1]}", "seeds: {paper: [1]}"))
    assert main(["bench", "--config", str(p), "--list"]) == 2
    err = capsys.readouterr().err
    assert "benchmarks.tiny-size.seeds" in err and "n names ['paper', 'quick']" in err


def test_cells_that_train_networks_are_queued_first():
    from diffbench.bench.runner import _trains_networks
    from diffbench.bench.tasks import load_tasks

    tasks = load_tasks()
    assert _trains_networks(tasks["pr772-supervised"]) and _trains_networks(tasks["mx-ice-shift"])
    assert not _trains_networks(tasks["chaperonin-80-outliers"])
    assert not _trains_networks(tasks["pr772-supervised"], methods=["size-filter"])  # the --methods filter

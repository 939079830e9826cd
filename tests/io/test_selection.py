"""Saved selections go somewhere: a subset file and the EMC export, checked by SHA-256."""

import json

import numpy as np
import pytest

import diffbench
from diffbench.cli.main import main
from diffbench.io.index import file_sha256

SMALL = ["--set", "detector.preset=square-64", "--quiet"]


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    d = tmp_path_factory.mktemp("sel")
    f = d / "pr.cxi"
    assert main(["simulate", "pr772-spi-v6", "-n", "30", "-o", str(f), "--seed", "3", *SMALL]) == 0
    sel = d / "sel.json"
    sel.write_text(json.dumps({"source": str(f), "source_sha256": file_sha256(f), "indices": [21, 2, 7, 7],
                               "count": 4}))
    return f, sel


def test_subset_holds_the_selected_frames_and_their_truth(source, tmp_path, capsys):
    f, sel = source
    out = tmp_path / "sub.cxi"
    assert main(["subset", str(f), "--selection", str(sel), "-o", str(out)]) == 0
    assert "3 frames" in capsys.readouterr().out
    idx = [2, 7, 21]
    with diffbench.open_dataset(f) as a, diffbench.open_dataset(out) as b:
        assert np.array_equal(a.patterns[idx], b.patterns[:])
        for k in a.truth:
            assert np.array_equal(np.asarray(a.truth[k])[idx], b.truth[k], equal_nan=a.truth[k].dtype.kind == "f"), k
        keep = np.isin(a.particles["pattern_index"], idx)
        for k in a.particles:
            if k != "pattern_index":
                assert np.array_equal(np.asarray(a.particles[k])[keep], b.particles[k],
                                      equal_nan=a.particles[k].dtype.kind == "f"), k
        # particles point at the subset's frames
        assert np.array_equal(b.particles["pattern_index"],
                              np.searchsorted(idx, np.asarray(a.particles["pattern_index"])[keep]))
        assert b.patterns.id.get_create_plist().get_nfilters() == a.patterns.id.get_create_plist().get_nfilters()
        assert b.attrs["n_patterns"] == 3 and b.geometry["detector"] == a.geometry["detector"]
    assert main(["verify", str(out)]) == 0  # every frame still matches its truth


def test_a_selection_of_other_data_is_refused(source, tmp_path, capsys):
    f, sel = source
    other = tmp_path / "other.cxi"
    assert main(["simulate", "pr772-spi-v6", "-n", "30", "-o", str(other), "--seed", "4", *SMALL]) == 0
    assert main(["subset", str(other), "--selection", str(sel), "-o", str(tmp_path / "x.cxi")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "made on" in err
    assert not (tmp_path / "x.cxi").exists()


def test_export_emc_takes_a_selection(source, tmp_path):
    f, sel = source
    assert main(["export-emc", str(f), str(tmp_path / "emc"), "--selection", str(sel)]) == 0
    from diffbench.io.emc import read_emc

    frames = read_emc(tmp_path / "emc" / "photons.emc")
    with diffbench.open_dataset(f) as a:
        expect = a.patterns[[2, 7, 21]].reshape(3, -1)
    assert np.array_equal(frames, expect)

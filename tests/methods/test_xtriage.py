"""The real phenix.xtriage as a method (issue 22 item 12): its output parsed; runs where cctbx is."""

import pytest

from diffbench.methods.xtriage import XtriageIceRings, parse_ice_section, xtriage_executable
from diffbench.simulate.driver import simulate_to_file

SAMPLE = """
                 ----------Ice ring related problems----------

 The following statistics were obtained from ice-ring insensitive resolution
  -------------------------------------------------------------
  | d_spacing | Expected rel. I | Data Z-score | Completeness |
  -------------------------------------------------------------
  |     3.897 |      1.000      |    9.56      |    0.82      |
  |     3.669 |      0.750      |   10.09      |    0.92      |
  |     2.671 |      0.170      |    0.64      |    0.95      |
  -------------------------------------------------------------
 At 3.90 A there is a lower completeness than expected from the rest of the
 data set.
 At 3.67 A the z-score is more than 4.00 times the standard deviation of
 all z-scores, while at the same time, the completeness does not go down.

 There were 2 ice ring related warnings.  This could indicate the presence of
 ice rings.

  ----------Twinning----------
 At 9.99 A nothing that belongs to this section
"""


def test_parse_the_ice_ring_section():
    r = parse_ice_section(SAMPLE)
    assert r["found"] and r["warnings"] == 2 and r["flagged_d_a"] == [3.90, 3.67]  # not the next section's
    assert r["lines"][1] == (3.669, 0.750, 10.09, 0.92) and len(r["lines"]) == 3
    assert parse_ice_section("no such section")["found"] is False


def test_without_cctbx_it_says_what_to_install(monkeypatch):
    monkeypatch.setenv("DIFFBENCH_XTRIAGE", "/nonexistent/mmtbx.xtriage")
    assert "diffbench[xtriage]" in XtriageIceRings.unavailable()
    with pytest.raises(ImportError, match="diffbench\\[xtriage\\]"):
        XtriageIceRings().fit("x.h5")


@pytest.mark.skipif(xtriage_executable() is None, reason="needs cctbx's mmtbx.xtriage (diffbench[xtriage])")
def test_real_xtriage_runs_on_every_data_set(tmp_path):
    """What the program answers is its own business (it misses much of the simulated ice: the
    benchmark measures how much); here: it runs, its table is read for every data set, and the
    answers have the shapes the benchmark expects. Seed 0 with ice on every set: xtriage warns on
    some (measured: all three)."""
    ice = simulate_to_file("mx-ice-rings-v2", 3, tmp_path / "ice.h5", seed=0, progress=False,
                           overrides=["ice.probability=1.0"])
    m = XtriageIceRings().fit(ice)
    checks = m.check(ice)
    assert all(len(c["lines"]) >= 4 for c in checks)  # xtriage's table: ice lines within resolution
    assert m.predict(ice).sum() >= 1 and m.score_samples(ice).shape == (3,)
    assert m.predict_ranges(ice).shape == (3, 25)

"""Content hashes: equal for equal data however they were written, different for different data."""

import diffbench
from diffbench.io.digest import content_digest
from diffbench.simulate.driver import simulate_to_file
from diffbench.simulate.shards import simulate_sharded

SMALL = ["detector.preset=square-64"]


def _digest(path):
    with diffbench.open_dataset(path) as d:
        return content_digest(d)


def test_the_same_data_written_three_ways_have_one_digest(tmp_path):
    a = simulate_to_file("sphere-calibration-v2", 6, tmp_path / "a.cxi", seed=3, overrides=SMALL, progress=False)
    b = simulate_to_file("sphere-calibration-v2", 6, tmp_path / "b.cxi", seed=3, overrides=SMALL, progress=False,
                         workers=2, compression="gzip")
    simulate_sharded("sphere-calibration-v2", 6, tmp_path / "c.cxi", 4, seed=3, overrides=SMALL, progress=False)
    assert _digest(a) == _digest(b) == _digest(tmp_path / "c.cxi")
    c = simulate_to_file("sphere-calibration-v2", 6, tmp_path / "d.cxi", seed=4, overrides=SMALL, progress=False)
    assert _digest(c) != _digest(a)

"""ShardFrames reads a sharded index shard by shard and gives exactly the virtual dataset's frames."""

import pytest
from numpy.testing import assert_array_equal

from diffbench.io.cxi import open_dataset
from diffbench.io.index import ShardFrames
from diffbench.simulate.shards import simulate_sharded


def test_slices_across_shards_equal_the_virtual_dataset(tmp_path):
    idx = tmp_path / "idx.cxi"
    simulate_sharded("sphere-calibration-v2", 23, idx, 5, seed=4, overrides=["detector.preset=square-64"],
                     progress=False)
    with open_dataset(idx) as d:
        vds = d.patterns[()]
        sf = ShardFrames(d.path, d.manifest)
    assert sf.shape == vds.shape and sf.dtype == vds.dtype and len(sf) == 23
    for a, b in [(0, 23), (3, 12), (5, 10), (19, 23), (22, 40), (7, 7)]:
        assert_array_equal(sf[a:b], vds[a:b])
    assert_array_equal(sf[-1], vds[-1])
    assert_array_equal(sf[11], vds[11])
    with pytest.raises(IndexError, match="out of range"):
        sf[23]
    with pytest.raises(TypeError, match="step 1"):
        sf[::2]
    sf.close()

"""The batched per-pattern streams reproduce numpy's SeedSequence/PCG64 draws bit for bit."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from diffbench.simulate.spi.seeding import PatternStreams, choice_cdf, choose, seed_pools


def _draws(rng):
    """A mix of the draws the engine makes: doubles, normals, bounded integers, gammas, 32-bit words."""
    return (rng.random(3), rng.normal(size=2), rng.integers(0, 7, 5), rng.gamma(3.0, 0.5, 2),
            rng.integers(0, 2**31, 3, dtype=np.uint32), rng.random())


@given(seed=st.integers(0, 2**80), indices=st.lists(st.integers(0, 2**32 - 1), min_size=40, max_size=48),
       stream=st.integers(0, 3))
def test_generators_and_keys_equal_numpys(seed, indices, stream):
    ps = PatternStreams(seed)
    words = ps.states(indices, stream)
    keys = ps.keys(indices, stream)
    for j, i in enumerate(indices):
        ss = np.random.SeedSequence(seed, spawn_key=(i, stream))
        assert_array_equal(words[j], ss.generate_state(4, np.uint64))
        assert keys[j] == ss.generate_state(1, np.uint64)[0]
        ours, theirs = _draws(ps.generator(words[j])), _draws(np.random.default_rng(ss))
        for a, b in zip(ours, theirs):
            assert_array_equal(a, b)


def test_small_batches_take_numpys_route_with_the_same_answer():
    ps = PatternStreams(11)
    many = ps.states(np.arange(100), 0)
    assert_array_equal(ps.states(np.arange(3), 0), many[:3])
    assert_array_equal(ps.keys([7], 1), ps.keys(np.arange(100), 1)[7:8])


def test_reused_generator_forgets_the_previous_pattern():
    """A half-used 32-bit buffer of one pattern must not leak into the next."""
    ps = PatternStreams(9)
    words = ps.states([4, 5], 0)
    g = ps.generator(words[0])
    g.integers(0, 10, dtype=np.uint32)  # leaves a buffered 32-bit half
    got = ps.generator(words[1]).integers(0, 2**31, 4, dtype=np.uint32)
    ref = np.random.default_rng(np.random.SeedSequence(9, spawn_key=(5, 0))).integers(0, 2**31, 4, dtype=np.uint32)
    assert_array_equal(got, ref)


def test_indices_beyond_one_word_are_refused():
    with pytest.raises(ValueError, match="below 2\\*\\*32"):
        seed_pools(0, [2**32], 0)


@given(p=st.lists(st.floats(0.0, 10.0), min_size=1, max_size=6).filter(lambda v: sum(v) > 0),
       seed=st.integers(0, 2**32))
def test_choose_equals_generator_choice(p, seed):
    p = np.array(p) / np.sum(p)
    cdf = choice_cdf(p)
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    for _ in range(20):
        assert choose(a, cdf) == b.choice(len(p), p=p)
    assert a.random() == b.random()  # the same number of draws consumed

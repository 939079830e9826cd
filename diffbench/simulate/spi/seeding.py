"""Per-pattern random streams, numpy's own, made cheap.

Every pattern draws from ``default_rng(SeedSequence(seed, spawn_key=(index, stream)))`` (see
:mod:`diffbench.simulate.spi.engine`). Building that object costs about 33 µs, an eighth of a
128×128 pattern's whole budget, and most of it is the entropy hashing of ``SeedSequence`` done one
pattern at a time. :class:`PatternStreams` computes the same hashes for a whole batch of patterns
with numpy's uint32 arithmetic, and hands out one reused ``Generator`` whose PCG64 state is set to
exactly what ``PCG64(SeedSequence(...))`` would have given. The draws are bit-identical to the
plain construction; ``tests/simulate/test_seeding.py`` checks that against numpy itself.

The algorithm is numpy's ``SeedSequence`` (O'Neill's ``seed_seq_fe`` with a 4-word pool), whose
output numpy guarantees to keep stable across versions; PCG64 seeding is ``pcg64_set_seed``:
state s = w₀·2⁶⁴ + w₁, increment i = w₂·2⁶⁴ + w₃ from ``generate_state(4, uint64)``.
"""

from __future__ import annotations

import bisect

import numpy as np

_INIT_A = 0x43B0D7E5
_MULT_A = 0x931E8875
_INIT_B = 0x8B51F9DD
_MULT_B = 0x58F38DED
_MIX_L = 0xCA01F9DD
_MIX_R = 0x4973F715
_M32 = 0xFFFFFFFF
_POOL = 4
_PCG_MULT = 0x2360ED051FC65DA44385DF649FCCF645
_M128 = (1 << 128) - 1
_BATCH_MIN = 32  # below this many indices numpy's own SeedSequence is quicker


def _words(value: int) -> list[int]:
    """An integer as little-endian uint32 words (0 → [0]), as SeedSequence coerces it."""
    out = []
    while True:
        out.append(value & _M32)
        value >>= 32
        if not value:
            return out


class _Hash:
    """The running hash constant of SeedSequence's ``hashmix`` (a scalar shared by all rows)."""

    def __init__(self, init: int, mult: int):
        self.value = init
        self.mult = mult

    def mix(self, v: np.ndarray) -> np.ndarray:
        v = v ^ np.uint32(self.value)
        self.value = (self.value * self.mult) & _M32
        v = v * np.uint32(self.value)
        return v ^ (v >> np.uint32(16))


def _mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r = np.uint32(_MIX_L) * x - np.uint32(_MIX_R) * y
    return r ^ (r >> np.uint32(16))


def seed_pools(seed: int, indices: np.ndarray, stream: int) -> np.ndarray:
    """The 4-word entropy pools of ``SeedSequence(seed, spawn_key=(index, stream))``, (n, 4) uint32.

    ``indices`` and ``stream`` must be below 2³² (one word each, as the engine's always are).
    """
    idx = np.asarray(indices, dtype=np.uint64)
    if idx.size and int(idx.max()) > _M32 or not 0 <= stream <= _M32:
        raise ValueError("pattern indices and stream numbers must be below 2**32")
    run = _words(int(seed))
    run += [0] * (_POOL - len(run))  # a spawn key follows: the run entropy is padded to the pool size
    n = idx.size
    entropy = [np.full(n, w, dtype=np.uint32) for w in run]
    entropy += [idx.astype(np.uint32), np.full(n, stream, dtype=np.uint32)]
    h = _Hash(_INIT_A, _MULT_A)
    pool = [h.mix(entropy[i]) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = _mix(pool[dst], h.mix(pool[src]))
    for src in range(_POOL, len(entropy)):
        for dst in range(_POOL):
            pool[dst] = _mix(pool[dst], h.mix(entropy[src]))
    return np.stack(pool, axis=1)


def generate_state64(pools: np.ndarray, n_words: int) -> np.ndarray:
    """``SeedSequence.generate_state(n_words, np.uint64)`` for each pool row, (n, n_words) uint64."""
    h = _Hash(_INIT_B, _MULT_B)
    out32 = np.stack([h.mix(pools[:, i % _POOL]) for i in range(2 * n_words)], axis=1)
    return np.ascontiguousarray(out32).view(np.uint64)


def pcg64_state(words: np.ndarray) -> tuple[int, int]:
    """PCG64's (state, inc) after seeding with four uint64 words (numpy's ``pcg64_set_seed``)."""
    w = [int(x) for x in words]
    initstate = (w[0] << 64) | w[1]
    inc = (((w[2] << 64) | w[3]) << 1 | 1) & _M128
    state = inc  # state = 0, then one step: 0 · mult + inc
    state = (state + initstate) & _M128
    state = (state * _PCG_MULT + inc) & _M128
    return state, inc


class PatternStreams:
    """Bit-exact, cheap stand-ins for ``default_rng(SeedSequence(seed, spawn_key=(index, stream)))``
    and ``SeedSequence(seed, spawn_key=(index, stream)).generate_state(1, np.uint64)[0]``.

    ``generator(...)`` returns one reused Generator whose state is overwritten by the next call;
    draw from it before asking for another.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._bitgen = np.random.PCG64(0)
        self._gen = np.random.Generator(self._bitgen)
        self._state = dict(self._bitgen.state)

    def states(self, indices, stream: int) -> np.ndarray:
        """The four seeding words of each index's PCG64, (n, 4) uint64."""
        return self._generate(indices, stream, 4)

    def keys(self, indices, stream: int) -> np.ndarray:
        """One uint64 per index: ``generate_state(1, np.uint64)[0]`` of its SeedSequence."""
        return self._generate(indices, stream, 1)[:, 0]

    def _generate(self, indices, stream: int, n_words: int) -> np.ndarray:
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if indices.size < _BATCH_MIN:  # the array hashing costs ~0.5 ms whatever the batch size
            return np.array([np.random.SeedSequence(self.seed, spawn_key=(int(i), stream)).generate_state(
                n_words, np.uint64) for i in indices], dtype=np.uint64).reshape(-1, n_words)
        return generate_state64(seed_pools(self.seed, indices, stream), n_words)

    def generator(self, words: np.ndarray) -> np.random.Generator:
        """The shared Generator, set to the PCG64 seeded by ``words`` (one row of :meth:`states`)."""
        state, inc = pcg64_state(words)
        self._state["state"] = {"state": state, "inc": inc}
        self._state["has_uint32"] = 0
        self._state["uinteger"] = 0
        self._bitgen.state = self._state
        return self._gen


def choice_cdf(p) -> tuple[float, ...]:
    """The normalised cumulative weights :func:`choose` takes (as ``Generator.choice`` builds them),
    as a tuple of floats (a bisection over a tuple is ~8× faster than ``ndarray.searchsorted`` on a
    handful of classes)."""
    cdf = np.asarray(p, dtype=np.float64).cumsum()
    cdf /= cdf[-1]
    return tuple(cdf.tolist())


def choose(rng: np.random.Generator, cdf) -> int:
    """``rng.choice(len(p), p=p)`` without its per-call checks: one uniform draw, then the first
    index whose cumulative weight exceeds it (the same draw and the same answer as numpy's)."""
    return bisect.bisect_right(cdf, rng.random())

"""Every target kind answers every control it admits: one answer per item, in the kind's terms,
the same for the same seed; a constant answer is constant and a random one is not."""

import numpy as np
import pytest

from diffbench.bench.controls import CONTROLS, controls_for
from diffbench.bench.target_kinds import TARGET_KINDS, target_kind
from diffbench.methods.frames import Frames

TRUTH = {
    "binary": lambda rng, n: (rng.random(n) < 0.3).astype(int),
    "multiclass": lambda rng, n: rng.choice(["single", "double", "aggregate"], n),
    "cluster": lambda rng, n: rng.integers(0, 4, n),
    "value": lambda rng, n: rng.normal(70e-9, 5e-9, n),
    "orientation": lambda rng, n: rng.normal(size=(n, 4)),
    "latent": lambda rng, n: rng.choice(["start", "end"], n),
}


def test_every_kind_has_a_truth_here():
    assert set(TRUTH) == set(TARGET_KINDS)


@pytest.mark.parametrize("kind", sorted(TARGET_KINDS))
def test_each_control_answers_one_item_each_in_the_kind_s_terms(kind):
    rng = np.random.default_rng(0)
    n = 60
    frames = Frames(rng.poisson(3.0, size=(n, 6, 6)).astype(np.float32))
    y = TRUTH[kind](rng, n)
    names = controls_for(kind, frames=True)
    assert ("photon-count" in names) == target_kind(kind).photon_rule
    answers = {}
    for name in names:
        ctrl = CONTROLS[name](kind=kind, random_state=2).fit(frames, y)
        a = np.asarray(ctrl.predict(frames))
        assert len(a) == n and (a.ndim == 2) == target_kind(kind).vector
        again = CONTROLS[name](kind=kind, random_state=2).fit(frames, y).predict(frames)
        assert np.array_equal(a, np.asarray(again))  # seeded: the same answers
        assert np.shape(ctrl.score_samples(frames)) == (n,)
        answers[name] = a
    assert all(np.array_equal(row, answers["prevalence"][0]) for row in answers["prevalence"])
    assert not all(np.array_equal(row, answers["random"][0]) for row in answers["random"])


def test_an_unknown_kind_is_a_one_line_error_naming_it():
    with pytest.raises(ValueError, match="unknown target kind 'ranking'; kinds: binary"):
        target_kind("ranking")


def test_every_scorer_answers_in_a_registered_kind():
    from diffbench.bench.scoring import SCORERS

    assert {s.kind for s in SCORERS} <= set(TARGET_KINDS)

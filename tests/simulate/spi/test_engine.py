"""Planning: a batch's plans equal the plans of its patterns made one at a time."""

import numpy as np
from numpy.testing import assert_array_equal

from diffbench.recipes.catalogue import resolve
from diffbench.simulate.spi.engine import Simulator


def test_batch_plans_equal_one_pattern_at_a_time():
    """plan_batch draws pattern by pattern, then turns uniforms into orientations and positions
    into fluences for the whole batch at once: every field must equal what a batch of one gives,
    bit for bit, for a mix with several particles per shot (multiples, aggregates, contaminants)."""
    recipe, _ = resolve("pr772-spi-v6", None, ["detector.preset=square-64"])
    sim = Simulator(recipe, 11)
    batch = sim.plan_batch(range(40))
    assert sum(len(s.particles) for s in batch) > 60  # many multi-particle shots
    for i, shot in enumerate(batch):
        alone = sim.plan(i)
        assert (shot.index, shot.hit_class, shot.pulse_energy_j, shot.key) == \
            (alone.index, alone.hit_class, alone.pulse_energy_j, alone.key)
        assert len(shot.particles) == len(alone.particles)
        for p, q in zip(shot.particles, alone.particles):
            assert p[0] == q[0] and repr(p[1]) == repr(q[1]) and p[5] == q[5]  # species, size draw (NaN fields), group
            assert_array_equal(p[2], q[2])  # quaternion
            assert_array_equal(p[3], q[3])  # position
            assert p[4] == q[4]  # fluence at the particle
            assert np.isclose(np.linalg.norm(p[2]), 1.0, rtol=1e-12) and p[2][0] >= 0

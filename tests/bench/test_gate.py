"""The regression gate (issue 22): a run must match its baseline entry for entry and data for data
before its scores are compared, and each metric may move only as far as its seed spread allows."""

from diffbench.bench.aggregate import compare, tolerance_for

ENTRY = {"task": "t", "method": "m", "role": "method", "test": "all", "metric": "f1", "value": 0.8, "std": 0.02,
         "seeds": [1, 2, 3, 4, 5], "n": 1000, "recipe": "r-v1", "content_sha256": ["a", "b", "c", "d", "e"]}


def test_an_identical_run_passes_and_says_what_it_compared():
    lines = []
    assert compare([dict(ENTRY)], [dict(ENTRY)], log=lines.append) == []
    assert lines[0].startswith("compared 1 of 1 baseline metrics")


def test_a_baseline_entry_missing_from_the_run_fails():
    other = dict(ENTRY, method="typo")
    problems = compare([other], [dict(ENTRY)])
    assert problems == ["t/m/f1: in the baseline but not in this run"]


def test_different_data_are_not_compared_but_fail():
    for field, value in (("n", 12), ("seeds", [7]), ("recipe", "r-v2"), ("content_sha256", ["x"] * 5)):
        problems = compare([dict(ENTRY, **{field: value})], [dict(ENTRY)])
        assert len(problems) == 1 and "not comparable" in problems[0] and field in problems[0], (field, problems)


def test_tolerance_follows_the_seed_spread():
    assert abs(tolerance_for(ENTRY) - 3 * 0.02 / 5 ** 0.5) < 1e-12
    assert tolerance_for(dict(ENTRY, std=0.0)) == 0.01  # the floor
    assert tolerance_for(dict(ENTRY, seeds=[1])) == 0.01  # one seed: no spread to go by
    tol = tolerance_for(ENTRY)
    assert compare([dict(ENTRY, value=0.8 - 0.9 * tol)], [dict(ENTRY)]) == []
    assert len(compare([dict(ENTRY, value=0.8 - 1.1 * tol)], [dict(ENTRY)])) == 1
    assert compare([dict(ENTRY, value=0.95)], [dict(ENTRY)]) == []  # better is never a regression


def test_a_value_that_became_nan_fails():
    assert "now nan" in compare([dict(ENTRY, value=float("nan"))], [dict(ENTRY)])[0]

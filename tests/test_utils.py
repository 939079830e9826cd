"""Shared helpers: atomic writes leave the old file or the new one, never a half; optional
dependencies name the extra that installs them."""

import pytest

from diffbench.utils.atomic import atomic_path, atomic_write_text
from diffbench.utils.optional import require


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "a.txt"
    atomic_write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and len(list(tmp_path.iterdir())) == 1


def test_concurrent_writers_of_one_target_get_distinct_temporaries(tmp_path):
    target = tmp_path / "card.json"
    with atomic_path(target) as a, atomic_path(target) as b:
        assert a != b
        a.write_text("1")
        b.write_text("2")
    assert target.read_text() == "1"  # the last to finish wins, whole


def test_missing_optional_dependency_names_the_extra():
    with pytest.raises(ImportError, match=r"diffbench view requires torch: pip install 'diffbench\[torch\]'"):
        require("torch.definitely_not_a_module", "diffbench view")
    assert require("json", "x").dumps([]) == "[]"

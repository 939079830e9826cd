"""The data-kind registry: every kind's entry points import, names are unique, errors name the
kind and the option."""

import pydantic
import pytest

from diffbench import kinds


@pytest.mark.parametrize("name", kinds.available())
def test_every_kind_entry_point_imports(name):
    k = kinds.get(name)
    assert issubclass(k.recipe_model(), pydantic.BaseModel)
    for field in ("writer", "reader", "summary"):
        assert callable(k.load(field)), f"{name}.{field}"
    assert k.load("truth").names  # a structured dtype
    assert k.unit and k.description and k.count_attr


def test_unknown_kind_lists_the_known_ones():
    with pytest.raises(kinds.KindError, match="unknown data kind 'saxs'; known: ed-scan, mx-merged"):
        kinds.get("saxs")
    with pytest.raises(kinds.KindError, match="already registered"):
        kinds.register(kinds.get("spi"))


def test_recipes_and_files_without_a_kind_are_spi():
    assert kinds.of_recipe({"species": {}}) is kinds.get("spi") is kinds.get(None) is kinds.get(b"spi")


def test_options_a_kind_does_not_take_are_refused_by_name():
    mx = kinds.get("mx-merged")
    mx.check_options(workers=4)  # merged MX data run in worker processes
    with pytest.raises(kinds.KindError, match=r"--no-noise does not apply to mx-merged recipes \(kinds that take"):
        mx.check_options(noise=False)
    with pytest.raises(kinds.KindError, match="--compression does not apply"):
        mx.check_options(compression="gzip")
    with pytest.raises(kinds.KindError, match="--workers does not apply to ed-scan"):
        kinds.get("ed-scan").check_options(workers=2)
    kinds.get("spi").check_options(noise=False, compression="none", workers=2, shard_size=10)

"""One common test over every recipe of every kind (the Gymnasium ``test_envs`` pattern): each
writes a tiny file that its kind's reader opens, with the declared shape and dtype, complete truth
and the right provenance; equal seeds give equal bytes; every run option is honoured or refused
with a one-line error naming it, never ignored; a refused run writes nothing."""

from __future__ import annotations

import hashlib

import h5py
import numpy as np
import pytest

from diffbench import kinds
from diffbench.io.readers import kind_of_file, open_any
from diffbench.recipes.catalogue import RecipeError, load_catalogue
from diffbench.simulate.driver import simulate_to_file

RECIPES = sorted(load_catalogue()["recipes"])
# how to keep a kind's run tiny in a test (a scan of 40x40 frames becomes 5x4)
TINY = {"ed-scan": (1, ["scan.nx=5", "scan.ny=4"]), "mx-merged": (2, ["reflections=[2000, 3000]"])}


def _tiny(name):
    kind = kinds.of_recipe(load_catalogue()["recipes"][name])
    n, overrides = TINY.get(kind.name, (2, []))
    return kind, n, overrides


def _content_digest(path) -> str:
    """SHA-256 over every dataset's bytes, and over the files beside an index (MTZ)."""
    h = hashlib.sha256()

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            h.update(name.encode())
            h.update(np.ascontiguousarray(obj[()]).tobytes())

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    with open_any(path) as d:
        for p in getattr(d, "side_files", []):
            h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """name → path of a tiny run (seed 5), written once for the tests below."""
    folder = tmp_path_factory.mktemp("every-recipe")
    cache = {}

    def get(name):
        if name not in cache:
            kind, n, ov = _tiny(name)
            cache[name] = simulate_to_file(name, n, folder / f"{name}.h5", seed=5, overrides=ov, progress=False)
        return cache[name]

    return get


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_writes_what_its_kind_declares(name, written):
    kind, n, _ = _tiny(name)
    path = written(name)
    assert kind_of_file(path) is kind  # every file records its kind, SPI included
    with open_any(path) as d:
        a = d.attrs
        assert (a["kind"], a["recipe"], int(a["seed"]), int(a[kind.count_attr])) == (kind.name, name, 5, n)
        assert a["recipe_yaml"] and a["diffbench_version"]
        truth = d.truth
        assert set(truth) == set(kind.load("truth").names)  # the kind's complete truth, nothing else
        lengths = {len(v) for v in truth.values()}
        assert len(lengths) == 1, f"truth columns of unequal length: {lengths}"
        n_rows = lengths.pop()
        assert n_rows == len(d)
        if kind.frames:
            frames = d.patterns
            assert frames.ndim == 3 and frames.shape[0] == len(d) and frames.shape[0] % n == 0
            assert frames.dtype.kind in "ui"  # photon / electron counts, with noise
            assert np.isfinite(frames[:]).all() and (frames[:] >= 0).all()
            assert "photons_total" in truth or "counts_total" in truth
            total = np.asarray(truth.get("photons_total", truth.get("counts_total")))
            assert_array = frames[:].reshape(len(frames), -1).sum(axis=1)
            np.testing.assert_array_equal(total, assert_array)
        else:
            assert len(d) == n and all(p.is_file() for p in d.side_files)


@pytest.mark.parametrize("name", RECIPES)
def test_equal_seeds_give_equal_bytes(name, written, tmp_path):
    kind, n, ov = _tiny(name)
    again = simulate_to_file(name, n, tmp_path / "again.h5", seed=5, overrides=ov, progress=False)
    assert _content_digest(again) == _content_digest(written(name))


@pytest.mark.parametrize("name", RECIPES)
def test_run_options_are_honoured_or_refused(name, tmp_path):
    """Each option either changes what is written as promised, or is an error naming it; a
    refused run leaves no file."""
    kind, n, ov = _tiny(name)
    out = tmp_path / "x.h5"
    options = {"noise": dict(noise=False), "compression": dict(compression="gzip"), "workers": dict(workers=2)}
    for field, kw in options.items():
        if getattr(kind, field):
            continue  # honoured: checked below and in the kind's own tests
        flag = {"noise": "--no-noise", "compression": "--compression", "workers": "--workers"}[field]
        with pytest.raises(RecipeError, match=f"{flag} does not apply to {kind.name} recipes"):
            simulate_to_file(name, n, out, seed=1, overrides=ov, progress=False, **kw)
        assert not out.exists() and not list(tmp_path.iterdir())
    if kind.noise:
        path = simulate_to_file(name, n, out, seed=1, overrides=ov, progress=False, noise=False)
        with open_any(path) as d:
            assert d.patterns.dtype == np.float32 and not d.attrs["noise"]
    if kind.compression:
        path = simulate_to_file(name, n, out, seed=1, overrides=ov, progress=False, compression="gzip")
        with h5py.File(path, "r") as f:
            assert f["/entry_1/data_1/data"].compression == "gzip"


@pytest.mark.parametrize("kind", kinds.available())
def test_sharding_is_offered_only_where_the_kind_declares_it(kind, tmp_path):
    from diffbench.simulate.shards import simulate_sharded

    k = kinds.get(kind)
    name = next(r for r in RECIPES if kinds.of_recipe(load_catalogue()["recipes"][r]) is k)
    if k.shardable:
        return  # tests/simulate/test_shards.py
    with pytest.raises(RecipeError, match=f"--shard-size does not apply to {kind} recipes"):
        simulate_sharded(name, 2, tmp_path / "idx.cxi", 1, progress=False)
    assert not list(tmp_path.iterdir())

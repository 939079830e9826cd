"""Fixtures shared by tests/ and benchmarks/."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def _volume_cache(tmp_path_factory):
    """Volumes are cached once per session in a temporary folder (not the user's ~/.cache)."""
    if "DIFFBENCH_CACHE_DIR" not in os.environ:
        os.environ["DIFFBENCH_CACHE_DIR"] = str(tmp_path_factory.mktemp("volume-cache"))
    yield

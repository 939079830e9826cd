"""CXI layout, round trip, compression choice, atomic writes."""

import h5py
import numpy as np
import pytest
from numpy.testing import assert_array_equal

import diffbench
from diffbench.recipes.catalogue import RecipeError
from diffbench.simulate.driver import simulate_to_file
from diffbench.simulate.spi import run as run_mod

TRUTH_FIELDS = {"multiplicity", "hit_class", "is_single_hit", "photons_total", "expected_photons_total",
                "pulse_energy_j", "fluence_photons_per_m2", "beam_center_xy_px"}
PARTICLE_FIELDS = {"pattern_index", "species", "shape", "diameter_m", "shape_param", "orientation_wxyz",
                   "position_m", "fluence_photons_per_m2"}


@pytest.mark.parametrize("compression", ["bitshuffle-lz4", "gzip"])
def test_cxi_layout_and_round_trip(tmp_path, compression):
    f = simulate_to_file("pr772-spi-v6", 6, tmp_path / "x.cxi", seed=3, compression=compression,
                         overrides=["detector.preset=square-64"], progress=False)
    with h5py.File(f) as h:
        assert h["cxi_version"][()] == 160
        data = h["/entry_1/instrument_1/detector_1/data"]
        assert data.shape == (6, 64, 64) and data.dtype == np.uint16 and data.chunks == (1, 64, 64)
        assert h.get("/entry_1/data_1/data", getlink=True).path == "/entry_1/instrument_1/detector_1/data"
        assert_array_equal(h["/entry_1/data_1/data"][()], data[()])
        assert abs(h["/entry_1/instrument_1/source_1/energy"][()] - 1700 * 1.602176634e-19) < 1e-25
        assert "truth" not in h["/entry_1/data_1"]
        if compression == "gzip":
            assert data.compression == "gzip"
    with diffbench.open_dataset(f) as d:
        assert TRUTH_FIELDS <= set(d.truth) and PARTICLE_FIELDS <= set(d.particles)
        assert d.attrs["compression"] == compression and d.attrs["seed"] == 3
        assert "pr772" in d.attrs["recipe_yaml"] and d.attrs["recipe_version"] == 6
        # photons_total is the sum of the stored counts
        assert_array_equal(d.truth["photons_total"], d.patterns[:].sum(axis=(1, 2)))
        assert len(d.truth["multiplicity"]) == 6
        assert d.truth["multiplicity"].sum() == len(d.particles["pattern_index"])
        assert d.detector().to_dict()["nx"] == 64


def test_no_noise_stores_expected_photons_as_float32(tmp_path):
    f = simulate_to_file("sphere-calibration-v2", 2, tmp_path / "e.cxi", noise=False,
                         overrides=["detector.preset=square-64"], progress=False)
    with diffbench.open_dataset(f) as d:
        x = d.patterns[:]
        assert x.dtype == np.float32
        np.testing.assert_allclose(x.sum(axis=(1, 2)), d.truth["expected_photons_total"], rtol=1e-5)


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    calls = {"n": 0}
    real = run_mod._write_range

    def boom(sim, writer, start, stop, noise, batch, advance=None):
        calls["n"] += 1
        writer.write_frames(0, sim.simulate(range(0, 1))[0])
        raise KeyboardInterrupt("simulated interrupt")

    monkeypatch.setattr(run_mod, "_write_range", boom)
    with pytest.raises(KeyboardInterrupt):
        simulate_to_file("sphere-calibration-v2", 4, tmp_path / "i.cxi",
                         overrides=["detector.preset=square-64"], progress=False)
    assert calls["n"] == 1
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(run_mod, "_write_range", real)


def test_error_in_the_render_thread_reaches_the_caller_and_leaves_no_file(tmp_path, monkeypatch):
    """Batches render in a background thread (the write pipeline): a failure there must surface
    in the caller, after earlier batches were written, and the partial file must go."""
    from diffbench.simulate.spi.engine import Simulator

    real = Simulator.render
    calls = {"n": 0}

    def failing(self, shots, noise=None):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("render failed on batch 3")
        return real(self, shots, noise)

    monkeypatch.setattr(Simulator, "render", failing)
    with pytest.raises(RuntimeError, match="batch 3"):
        simulate_to_file("sphere-calibration-v2", 6, tmp_path / "r.cxi", batch_size=1,
                         overrides=["detector.preset=square-64"], progress=False)
    assert calls["n"] >= 3
    assert list(tmp_path.iterdir()) == []


def test_render_threads_do_not_change_the_bytes(tmp_path):
    """Batches render on K threads at once (K = numba's thread count) and are written in order:
    one render thread and two, with many small batches in flight, give the same frames and truth."""
    import numba

    from diffbench.simulate.spi.run import render_threads

    kw = dict(overrides=["detector.preset=square-64"], progress=False, batch_size=2, seed=5)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        assert render_threads() == 1
        one = simulate_to_file("chaperonin-90-v7", 13, tmp_path / "one.cxi", **kw)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        many = simulate_to_file("chaperonin-90-v7", 13, tmp_path / "many.cxi", **kw)
    finally:
        numba.set_num_threads(before)
    with diffbench.open_dataset(one) as a, diffbench.open_dataset(many) as b:
        assert_array_equal(a.patterns[:], b.patterns[:])
        for field in ("photons_total", "expected_photons_total", "multiplicity"):
            assert_array_equal(a.truth[field], b.truth[field])
        assert_array_equal(a.particles["orientation_wxyz"], b.particles["orientation_wxyz"])


def test_same_seed_same_bytes_different_seed_different(tmp_path):
    kw = dict(overrides=["detector.preset=square-64"], progress=False)
    a = simulate_to_file("pr772-spi-v6", 5, tmp_path / "a.cxi", seed=1, **kw)
    b = simulate_to_file("pr772-spi-v6", 5, tmp_path / "b.cxi", seed=1, batch_size=2, **kw)
    c = simulate_to_file("pr772-spi-v6", 5, tmp_path / "c.cxi", seed=2, **kw)
    with diffbench.open_dataset(a) as da, diffbench.open_dataset(b) as db, diffbench.open_dataset(c) as dc:
        assert_array_equal(da.patterns[:], db.patterns[:])  # batching does not matter
        assert_array_equal(da.truth["hit_class"], db.truth["hit_class"])
        assert not np.array_equal(da.patterns[:], dc.patterns[:])


def test_bad_compression_is_rejected_before_writing(tmp_path):
    with pytest.raises(RecipeError, match="compression"):
        simulate_to_file("sphere-calibration-v2", 2, tmp_path / "z.cxi", compression="zip", progress=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("compression, plain_h5py_reads", [("bitshuffle-lz4", False), ("gzip", True)])
def test_another_program_reads_the_frames_as_the_file_says(tmp_path, compression, plain_h5py_reads):
    """In a process that never imported diffbench: hdf5plugin + h5py read every compression; plain
    h5py reads gzip but not bitshuffle-LZ4, and the frames' how_to_read attribute says so."""
    import subprocess
    import sys

    from diffbench.simulate.driver import simulate_to_file

    f = simulate_to_file("pr772-spi-v6", 3, tmp_path / "a.cxi", seed=1, overrides=["detector.preset=square-64"],
                         compression=compression, progress=False)
    read = ("import h5py, numpy; f = h5py.File({p!r}); d = f['/entry_1/data_1/data']; "
            "print(int(numpy.asarray(d[0]).sum()), d.attrs['how_to_read'])")
    with_plugin = subprocess.run([sys.executable, "-c", "import hdf5plugin; " + read.format(p=str(f))],
                                 capture_output=True, text=True)
    assert with_plugin.returncode == 0, with_plugin.stderr
    assert ("hdf5plugin" in with_plugin.stdout) == (compression == "bitshuffle-lz4")
    plain = subprocess.run([sys.executable, "-c", "import sys; assert 'diffbench' not in sys.modules; "
                            + read.format(p=str(f))], capture_output=True, text=True)
    assert (plain.returncode == 0) == plain_h5py_reads

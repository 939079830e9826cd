"""Atomic models through gemmi: assemblies, elements, amplitudes."""

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.simulate.spi.atomic import (
    atomic_amplitude_direct,
    atomic_volume,
    element_factor,
    form_factor_basis,
    load_structure,
    load_structure_cached,
)
from diffbench.simulate.spi.reference import amplitude
from diffbench.simulate.spi.volume import choose_dq

CEX = Path(__file__).resolve().parents[3] / "tests" / "data" / "2cex.pdb.gz"  # PDB 2CEX, shipped with the tests
CEX_SHA256 = "cac1fd7eb06cb9f600dfc011ddabb705aede78213199172293db9b8bfe3c6e30"


def test_the_2cex_fixture_is_the_pdb_entry():
    import gzip
    import hashlib

    assert hashlib.sha256(gzip.decompress(CEX.read_bytes())).hexdigest() == CEX_SHA256


def test_biomt_first_assembly_of_1ss8_has_14_chains():
    from diffbench.data import data_path, verify

    assert verify("1SS8.pdb.gz")  # the packaged copy matches its recorded SHA-256
    m = load_structure(data_path("1SS8.pdb.gz"))
    assert m.n_chains == 14
    asu = load_structure(data_path("1SS8.pdb.gz"), assembly=None)
    assert m.n_atoms == 2 * asu.n_atoms  # 7 chains in the file, two operators
    # centred on the electron-weighted centroid
    assert np.abs(m.positions_m.mean(axis=0)).max() < 1e-10


def test_every_element_of_2cex_is_kept():
    import gemmi

    m = load_structure(CEX)
    st = gemmi.read_structure(str(CEX))
    ref = {}
    for ch in st[0]:
        for res in ch:
            for at in res:
                ref[at.element.name] = ref.get(at.element.name, 0) + 1
    assert m.element_counts() == ref
    assert m.element_counts()["Zn"] == 1


def test_cached_structure_is_the_parsed_structure(tmp_path, monkeypatch):
    """The .npz kept in the cache gives back the same atoms, bit for bit, without parsing the file
    again; a different assembly is a different entry."""
    import hashlib

    from diffbench.simulate.spi import atomic

    monkeypatch.setenv("DIFFBENCH_CACHE_DIR", str(tmp_path))
    sha = hashlib.sha256(CEX.read_bytes()).hexdigest()
    ref = load_structure(CEX)
    first = load_structure_cached(CEX, "first", sha)
    assert len(list(tmp_path.rglob("atoms-*.npz"))) == 1
    monkeypatch.setattr(atomic, "load_structure", lambda *a: (_ for _ in ()).throw(AssertionError("parsed again")))
    again = load_structure_cached(CEX, "first", sha)
    for m in (first, again):
        np.testing.assert_array_equal(m.positions_m, ref.positions_m)
        np.testing.assert_array_equal(m.elements, ref.elements)
        np.testing.assert_array_equal(m.occupancy, ref.occupancy)
        assert (m.source, m.n_chains) == (ref.source, ref.n_chains)
    monkeypatch.undo()
    monkeypatch.setenv("DIFFBENCH_CACHE_DIR", str(tmp_path))
    load_structure_cached(CEX, None, sha)
    assert len(list(tmp_path.rglob("atoms-*.npz"))) == 2
    assert not list(tmp_path.rglob("*.tmp"))


def test_forward_scattering_factor_is_z_plus_anomalous():
    # f0(0) = Z (Waasmaier-Kirfel fits are good to ~1e-3 at s = 0)
    assert_allclose(element_factor("C", np.array([0.0]), None).real, 6.0, rtol=2e-3)
    assert_allclose(element_factor("Zn", np.array([0.0]), None).real, 30.0, rtol=2e-3)


def test_atomic_volume_matches_direct_sum():
    m = load_structure(CEX)
    qmax = 2e9
    # full-rank form-factor basis: on grid points only the NUFFT tolerance and float32 remain
    vol = atomic_volume(m, qmax, choose_dq(2 * m.max_radius_m, 8), 1700.0, form_factor_rtol=1e-9)
    n = vol.data.shape[0]
    half = (n - 1) // 2
    rng = np.random.default_rng(0)
    idx = rng.integers(0, n, size=(40, 3))
    q = (idx[:, ::-1] - half) * vol.dq_m
    grid = vol.data[idx[:, 0], idx[:, 1], idx[:, 2], 0] + 1j * vol.data[idx[:, 0], idx[:, 1], idx[:, 2], 1]
    direct = atomic_amplitude_direct(m, q, 1700.0)
    # on grid points only the NUFFT tolerance (1e-6) and float32 storage remain
    assert_allclose(grid, direct, rtol=0, atol=1e-5 * np.abs(direct).max())
    # off grid, trilinear interpolation: a few per cent of the local amplitude at 8 samples/fringe
    qoff = rng.normal(size=(300, 3)) * 0.3e9
    f = amplitude(qoff, 0, 0.0, vol)
    d = atomic_amplitude_direct(m, qoff, 1700.0)
    assert np.median(np.abs(f - d) / np.abs(d)) < 0.03


def test_form_factor_basis_reaches_its_tolerance():
    q = np.linspace(0, 2e10, 500)
    els = np.array(["C", "N", "O", "S", "Zn"])
    for rtol in (1e-2, 1e-3, 1e-5):
        names, coef, basis, err = form_factor_basis(els, q, 1700.0, rtol)
        table = np.array([element_factor(e, q, 1700.0) for e in names])
        approx = coef @ basis
        assert err <= rtol
        assert_allclose(approx, table, rtol=0, atol=rtol * np.abs(table).max() * (1 + 1e-9))
    # light elements share a shape: a protein needs fewer terms than elements
    assert len(form_factor_basis(np.array(["C", "N", "O", "S"]), q, 4600.0, 1e-3)[2]) < 4


def test_low_rank_atomic_volume_error_is_bounded():
    """Default basis (1e-3 of max f) vs the direct sum on grid points: the amplitude error is at most
    1e-3 of Σ_j max f_j = F(0), the bound for fully coherent errors; in practice much smaller."""
    m = load_structure(CEX)
    vol = atomic_volume(m, 2e9, choose_dq(2 * m.max_radius_m, 8), 1700.0)
    n = vol.data.shape[0]
    half = (n - 1) // 2
    idx = np.random.default_rng(1).integers(0, n, size=(40, 3))
    q = (idx[:, ::-1] - half) * vol.dq_m
    grid = vol.data[idx[:, 0], idx[:, 1], idx[:, 2], 0] + 1j * vol.data[idx[:, 0], idx[:, 1], idx[:, 2], 1]
    direct = atomic_amplitude_direct(m, q, 1700.0)
    f0 = abs(atomic_amplitude_direct(m, np.zeros((1, 3)), 1700.0)[0])
    assert np.abs(grid - direct).max() < 1e-3 * f0


def test_bspline_volume_of_groel_matches_the_direct_sum_off_grid():
    """Deconvolved cubic-B-spline coefficients on a σ = 2 grid (Δq = π/D) against the direct sum at
    random off-grid q. The aliasing bound at σ = 2 is ~1 % for atoms at the edge of the particle
    (sinc⁴ of the nearest image against sinc⁴ at the edge); the rms over all atoms is ~0.3 %
    (prototype, closing note of session 7). Tolerance 1 % rms, 3 % for the worst decile of |F|."""
    from diffbench.data import data_path

    m = load_structure(data_path("1SS8.pdb.gz"))
    qmax = 2.5e9
    dq = choose_dq(2 * m.max_radius_m, 2.0)
    vol = atomic_volume(m, qmax, dq, None, interpolation="bspline3")
    assert vol.interpolation == "bspline3" and vol.data.shape[0] == 2 * (int(np.ceil(qmax / dq)) + 3) + 1
    assert vol.q_max_m >= qmax  # lookups up to q_max keep their whole stencil on the grid
    rng = np.random.default_rng(3)
    q = rng.normal(size=(200, 3))
    q *= (qmax * rng.random(200) ** (1 / 3) / np.linalg.norm(q, axis=1))[:, None]
    f = amplitude(q, 3, 0.0, vol)
    d = atomic_amplitude_direct(m, q, None)
    rel = np.abs(f - d) / np.sqrt(np.mean(np.abs(d) ** 2))
    assert np.sqrt(np.mean(rel**2)) < 0.01
    # and the trilinear grid at σ = 2 would be far worse: the deconvolution is what makes it work
    tri = atomic_volume(m, qmax, dq, None)
    ft = amplitude(q, 0, 0.0, tri)
    assert np.sqrt(np.mean(np.abs(ft - d) ** 2 / np.mean(np.abs(d) ** 2))) > 0.05


def test_bspline_sum_of_one_scatterer_errs_only_by_aliasing():
    """One point scatterer at r: G_j = e^{i q_j·r}/φ̂(r). By Poisson summation the B-spline sum is
    e^{i q·r} times Π_a Σ_m φ̂_a(θ_a + 2πm)/φ̂_a(θ_a) e^{2πi m u_a} (θ_a = Δq r_a, φ̂ = sinc⁴(θ/2)):
    the m = 0 term is exact and the error is bounded by the alias terms m ≠ 0, which this checks
    for a scatterer near the centre (bound ~1e-5) and one at a third of the period (bound ~1e-2)."""
    from diffbench.simulate.spi.atomic import bspline_deconvolution
    from diffbench.simulate.spi.volume import ReciprocalVolume

    dq, n = 1e8, 41
    k = (np.arange(n) - (n - 1) / 2) * dq
    kz, ky, kx = np.meshgrid(k, k, k, indexing="ij")
    q = np.random.default_rng(0).uniform(-15 * dq, 15 * dq, size=(200, 3))
    for r in (np.array([3e-9, -2e-9, 1.5e-9]), np.array([10e-9, -6e-9, 2e-9])):
        g = np.exp(1j * (kx * r[0] + ky * r[1] + kz * r[2])) / bspline_deconvolution(r[None], dq)[0]
        vol = ReciprocalVolume(np.stack([g.real, g.imag], -1), dq, False, 0.0, interpolation="bspline3")
        err = np.abs(amplitude(q, 3, 0.0, vol) - np.exp(1j * q @ r)).max()
        theta = dq * r
        m = np.array([-3, -2, -1, 1, 2, 3])[:, None]
        alias = (np.sinc((theta + 2 * np.pi * m) / 2 / np.pi) ** 4).sum(axis=0) / np.sinc(theta / 2 / np.pi) ** 4
        bound = np.prod(1 + alias) - 1
        assert err <= bound * (1 + 1e-6) + 1e-12
        assert err >= 0.05 * bound  # the bound is not vacuous: the error is of its order


@pytest.mark.parametrize("name, chains", [("2W0O.pdb.gz", 24), ("1EI7.pdb.gz", 68), ("4BED.pdb.gz", 40)])
def test_packaged_unseen_species_load_as_their_assemblies(name, chains):
    """The few-shot task's unseen species (shared/data/README: 24 BIOMT operators for apoferritin, 34
    on the TMV rings' 2 chains, 10 operators on the hemocyanin didecamer's 4 chains) are shipped verified."""
    from diffbench.data import data_path, verify

    assert verify(name)
    m = load_structure(data_path(name))
    assert m.n_chains == chains

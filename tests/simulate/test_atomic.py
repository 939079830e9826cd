"""Atomic models through gemmi: assemblies, elements, amplitudes."""

from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

from diffbench.simulate.atomic import (
    atomic_amplitude_direct,
    atomic_volume,
    element_factor,
    form_factor_basis,
    load_structure,
)
from diffbench.simulate.reference import amplitude
from diffbench.simulate.volume import choose_dq

PDB = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pdb"
needs_shared = pytest.mark.skipif(not PDB.is_dir(), reason="../shared/data/pdb not present")


def test_biomt_first_assembly_of_1ss8_has_14_chains():
    from diffbench.data import data_path, verify

    assert verify("1SS8.pdb.gz")  # the packaged copy matches its recorded SHA-256
    m = load_structure(data_path("1SS8.pdb.gz"))
    assert m.n_chains == 14
    asu = load_structure(data_path("1SS8.pdb.gz"), assembly=None)
    assert m.n_atoms == 2 * asu.n_atoms  # 7 chains in the file, two operators
    # centred on the electron-weighted centroid
    assert np.abs(m.positions_m.mean(axis=0)).max() < 1e-10


@needs_shared
def test_every_element_of_2cex_is_kept():
    import gemmi

    m = load_structure(PDB / "2cex.pdb")
    st = gemmi.read_structure(str(PDB / "2cex.pdb"))
    ref = {}
    for ch in st[0]:
        for res in ch:
            for at in res:
                ref[at.element.name] = ref.get(at.element.name, 0) + 1
    assert m.element_counts() == ref
    assert m.element_counts()["Zn"] == 1


def test_forward_scattering_factor_is_z_plus_anomalous():
    # f0(0) = Z (Waasmaier-Kirfel fits are good to ~1e-3 at s = 0)
    assert_allclose(element_factor("C", np.array([0.0]), None).real, 6.0, rtol=2e-3)
    assert_allclose(element_factor("Zn", np.array([0.0]), None).real, 30.0, rtol=2e-3)


@needs_shared
def test_atomic_volume_matches_direct_sum():
    m = load_structure(PDB / "2cex.pdb")
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


@needs_shared
def test_low_rank_atomic_volume_error_is_bounded():
    """Default basis (1e-3 of max f) vs the direct sum on grid points: the amplitude error is at most
    1e-3 of Σ_j max f_j = F(0), the bound for fully coherent errors; in practice much smaller."""
    m = load_structure(PDB / "2cex.pdb")
    vol = atomic_volume(m, 2e9, choose_dq(2 * m.max_radius_m, 8), 1700.0)
    n = vol.data.shape[0]
    half = (n - 1) // 2
    idx = np.random.default_rng(1).integers(0, n, size=(40, 3))
    q = (idx[:, ::-1] - half) * vol.dq_m
    grid = vol.data[idx[:, 0], idx[:, 1], idx[:, 2], 0] + 1j * vol.data[idx[:, 0], idx[:, 1], idx[:, 2], 1]
    direct = atomic_amplitude_direct(m, q, 1700.0)
    f0 = abs(atomic_amplitude_direct(m, np.zeros((1, 3)), 1700.0)[0])
    assert np.abs(grid - direct).max() < 1e-3 * f0

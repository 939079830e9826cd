"""Atomic models from PDB/mmCIF files (through gemmi) and their scattering amplitudes.

The first biological assembly (BIOMT / pdbx_struct_assembly) is applied by default: a file with
several BIOMOLECULE blocks (1SS8, GroEL) gives the first one (the 14-mer). Every element gemmi
knows is kept (Zn in 2cex included). Atomic scattering factors: f0(|q|) of Waasmaier & Kirfel
(1995) plus Chantler's f' + i f'' at the photon energy, both through xraydb. B-factors are not
applied (a single molecule at an instant is not thermally averaged); hydrogens absent from the
file are not added.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from diffbench.physics.scattering_factors import atomic_numbers, element_factor  # noqa: F401  (old home)

#: bump when :func:`load_structure` would read the same file differently (invalidates cached models)
STRUCTURE_READER_VERSION = 1


def resolve_structure_path(structure: str) -> Path:
    """``package:NAME`` → a file shipped in diffbench/data; anything else is a filesystem path."""
    if structure.startswith("package:"):
        from diffbench.data import data_path

        return data_path(structure.split(":", 1)[1])
    return Path(structure).expanduser()


@dataclass(frozen=True)
class AtomModel:
    """Atoms of one particle, centred on their electron-weighted centroid.

    positions_m : (N, 3) in metres; elements : (N,) element symbols; occupancy : (N,).
    """

    positions_m: np.ndarray
    elements: np.ndarray
    occupancy: np.ndarray
    source: str = ""
    n_chains: int = 0

    @property
    def n_atoms(self) -> int:
        return len(self.elements)

    @cached_property
    def max_radius_m(self) -> float:
        """Distance (m) of the farthest atom from the centroid (one pass over every atom, kept)."""
        return float(np.sqrt((self.positions_m**2).sum(axis=1)).max())

    def element_counts(self) -> dict[str, int]:
        u, c = np.unique(self.elements, return_counts=True)
        return {str(k): int(v) for k, v in zip(u, c)}


def load_structure(path: str | Path, assembly: str | None = "first") -> AtomModel:
    """Read a PDB/mmCIF file (optionally gzipped) and build the requested assembly.

    assembly : ``"first"`` (default) — the first biological assembly if the file declares any,
        else the asymmetric unit; a name such as ``"1"``; or None for the asymmetric unit.
    """
    import gemmi

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"structure file not found: {path}")
    st = gemmi.read_structure(str(path))
    st.setup_entities()
    model = st[0]
    if assembly is not None and len(st.assemblies):
        if assembly == "first":
            asm = st.assemblies[0]
        else:
            matches = [a for a in st.assemblies if a.name == assembly]
            if not matches:
                raise ValueError(f"assembly {assembly!r} not in {path.name}: {[a.name for a in st.assemblies]}")
            asm = matches[0]
        model = gemmi.make_assembly(asm, model, gemmi.HowToNameCopiedChain.AddNumber)
    pos, els, occ = [], [], []
    for chain in model:
        for res in chain:
            for atom in res:
                pos.append((atom.pos.x, atom.pos.y, atom.pos.z))
                els.append(atom.element.name)
                occ.append(atom.occ)
    if not pos:
        raise ValueError(f"no atoms in {path}")
    positions = np.array(pos) * 1e-10
    elements = np.array(els)
    occupancy = np.array(occ, dtype=float)
    z = atomic_numbers(elements) * occupancy
    positions -= (positions * z[:, None]).sum(axis=0) / z.sum()
    return AtomModel(positions, elements, occupancy, source=path.name, n_chains=len(model))


def load_structure_cached(path: str | Path, assembly: str | None, sha256: str, use_cache: bool = True) -> AtomModel:
    """:func:`load_structure`, kept as an ``.npz`` in the volume cache under the file's SHA-256 and
    the assembly, so that a run whose volume is cached does not parse the file again (GroEL 1SS8:
    54,128 atoms, ~0.2 s to walk in Python; ~5 ms to load)."""
    from diffbench.simulate.spi.volume import cache_dir, cache_key
    from diffbench.utils.atomic import atomic_write

    if not use_cache:
        return load_structure(path, assembly)
    key = cache_key(dict(kind="atoms", reader=STRUCTURE_READER_VERSION, sha256=sha256, assembly=assembly))
    target = cache_dir() / f"atoms-{key}.npz"
    if target.exists():
        with np.load(target) as f:
            return AtomModel(f["positions_m"], f["elements"], f["occupancy"], source=str(f["source"]),
                             n_chains=int(f["n_chains"]))
    model = load_structure(path, assembly)
    atomic_write(target, lambda fh: np.savez(fh, positions_m=model.positions_m, elements=model.elements,
                                             occupancy=model.occupancy, source=model.source,
                                             n_chains=model.n_chains))
    return model


def atomic_amplitude_direct(model: AtomModel, q_m: np.ndarray, photon_energy_ev: float | None) -> np.ndarray:
    """Direct sum F(q) = Σ_j occ_j f_j(|q|) e^{i q·r_j} (electrons) at q of shape (..., 3).

    O(N_atoms × N_q): the reference for the volume route; use on small q sets.
    """
    q = np.asarray(q_m, dtype=float)
    flat = q.reshape(-1, 3)
    qn = np.linalg.norm(flat, axis=1)
    out = np.zeros(len(flat), dtype=complex)
    for el in np.unique(model.elements):
        sel = model.elements == el
        phase = np.exp(1j * (flat @ model.positions_m[sel].T))  # (nq, natoms_el)
        out += element_factor(el, qn, photon_energy_ev) * (phase @ model.occupancy[sel])
    return out.reshape(q.shape[:-1])


def form_factor_basis(elements, q_table_m: np.ndarray, photon_energy_ev: float | None, rtol: float):
    """Low-rank factorisation f_e(q) ≈ Σ_b c[e, b] φ_b(q) of the elements' scattering factors.

    From the SVD of the (elements × |q|) table, keeping the fewest terms whose largest error is below
    ``rtol`` × max|f|. Returns (element list, c (n_el, rank) complex, φ (rank, n_q) complex, error).
    Light elements share one shape to a few 1e-3, so a protein (C, N, O, S) needs 2 terms instead
    of 4 transforms.
    """
    els = [str(e) for e in np.unique(elements)]
    table = np.array([element_factor(e, q_table_m, photon_energy_ev) for e in els])
    u, s, vh = np.linalg.svd(table, full_matrices=False)
    scale = np.abs(table).max()
    for rank in range(1, len(els) + 1):
        approx = (u[:, :rank] * s[:rank]) @ vh[:rank]
        err = float(np.abs(approx - table).max() / scale)
        if err <= rtol:
            break
    return els, u[:, :rank] * s[:rank], vh[:rank], err


def bspline_deconvolution(positions_m: np.ndarray, dq_m: float) -> np.ndarray:
    """φ̂(r) = Π_a sinc⁴(r_a Δq / 2) at each position (N, 3) → (N,): the Fourier transform of the
    cubic B-spline β₃(q/Δq) over one grid step (normalised to 1 at r = 0)."""
    from diffbench.simulate.spi.volume import bspline_hat

    return np.prod(bspline_hat(positions_m, dq_m), axis=1)


def atomic_volume(model: AtomModel, q_max_m: float, dq_m: float, photon_energy_ev: float | None,
                  eps: float = 1e-6, form_factor_rtol: float = 1e-3, interpolation: str = "trilinear"):
    """Full complex amplitude on a centred grid covering |q_a| ≤ q_max.

    F(q) = Σ_j f_{e(j)}(|q|) e^{i q·r_j} = Σ_b φ_b(|q|) Σ_j c[e(j), b] e^{i q·r_j}: one finufft
    type-1 transform per term of the low-rank form-factor basis (:func:`form_factor_basis`,
    largest error ``form_factor_rtol`` of max|f|, default 1e-3 — ten times below the trilinear
    slicing error of the default volume sampling).

    ``interpolation="trilinear"`` stores samples of F. ``"bspline3"`` stores cubic B-spline
    coefficients G (see :mod:`diffbench.simulate.spi.volume`): each atom's strength is divided by
    φ̂(r_j) (:func:`bspline_deconvolution`), which treats the density near each atom as if 1/φ̂ were
    constant across the atom — exact to second order in atom size over Δq⁻¹ (< 1e-5 here). The grid
    keeps three extra cells at each end for the four-tap stencil.
    """
    import finufft

    from diffbench.simulate.spi.atomic_kernels import add_radial_product
    from diffbench.simulate.spi.volume import ReciprocalVolume, check_interpolation

    bspline = check_interpolation(interpolation)
    half = int(math.ceil(q_max_m / dq_m)) + (3 if bspline else 1)
    n = 2 * half + 1
    if model.max_radius_m * dq_m >= math.pi:
        raise ValueError("dq too coarse for this model: need max_radius · dq < π")
    weight = model.occupancy
    if bspline:
        weight = weight / bspline_deconvolution(model.positions_m, dq_m)
    # the corner of the grid is at √3 · half · dq; a fine |q| table covers it
    table_q = np.linspace(0.0, math.sqrt(3.0) * half * dq_m * 1.0001, 8192)
    els, coef, basis, _ = form_factor_basis(model.elements, table_q, photon_energy_ev, form_factor_rtol)
    row = {e: k for k, e in enumerate(els)}
    atom_row = np.array([row[str(e)] for e in model.elements])
    # finufft: f[k1,k2,k3] = Σ_j c_j exp(+i (k1 x_j + k2 y_j + k3 z_j)) for k in [-half, half];
    # pass (z, y, x) so the output is indexed [kz, ky, kx].
    pts = [np.ascontiguousarray(model.positions_m[:, k] * dq_m) for k in (2, 1, 0)]
    out = np.zeros((n, n, n), dtype=np.complex64)
    for b in range(basis.shape[0]):
        c = (weight * coef[atom_row, b]).astype(np.complex128)
        # upsampfac 1.25 keeps the fine grid at 1.25³ n³ (2.0 would need ~8 GB for GroEL); the
        # measured error stays ~3e-8 relative at eps 1e-6.
        s = finufft.nufft3d1(*pts, c, (n, n, n), eps=eps, isign=1, modeord=0, upsampfac=1.25)
        add_radial_product(out, s, basis[b].astype(np.complex128), table_q[1] / dq_m)
        del s
    data = out.view(np.float32).reshape(n, n, n, 2)
    return ReciprocalVolume(data, dq_m, False, 2.0 * model.max_radius_m,
                            {"n_atoms": model.n_atoms, "source": model.source, "form_factor_terms": basis.shape[0]},
                            interpolation)

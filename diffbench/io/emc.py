"""Dragonfly's sparse-photon EMC format (Ayyer et al. 2016, J. Appl. Cryst. 49, 1320), for reconstructing diffbench data.

``photons.emc`` (little-endian int32): a 1024-byte header [num_data, num_pix, 0...], then
ones[num_data], multi[num_data], place_ones, place_multi, count_multi. Pixel indices are into the
C-order flattened detector, identical in ``det.h5`` (qx, qy, qz in voxel units, corr = solid angle
× polarisation, mask 0 good / 2 bad, detd in pixels, ewald_rad in voxels; diffbench also stores
its detector and beam as JSON attributes, which Dragonfly ignores). ``config.ini`` carries the
matching [parameters]. :func:`diffbench.methods.frames.from_emc_export` reads an export back as frames with their
geometry, so diffbench's own 3-D EMC runs on the same input as Dragonfly.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from diffbench.utils.atomic import atomic_path

HEADER_BYTES = 1024


def write_emc(path, frames_iter, num_pix: int) -> int:
    """Write frames (iterable of (B, ...) integer blocks) to a binary .emc file atomically."""
    path = Path(path)
    ones, multi, place_ones, place_multi, count_multi = [], [], [], [], []
    n = 0
    for block in frames_iter:
        block = np.asarray(block).reshape(len(block), -1)
        if block.shape[1] != num_pix:
            raise ValueError(f"frames have {block.shape[1]} pixels, expected {num_pix}")
        if block.dtype.kind == "f":
            raise ValueError("EMC needs integer photon counts (the file was simulated with --no-noise)")
        for fr in block:
            o = np.flatnonzero(fr == 1)
            m = np.flatnonzero(fr > 1)
            ones.append(len(o))
            multi.append(len(m))
            place_ones.append(o.astype("<i4"))
            place_multi.append(m.astype("<i4"))
            count_multi.append(fr[m].astype("<i4"))
            n += 1
    header = np.zeros(HEADER_BYTES // 4, dtype="<i4")
    header[0], header[1] = n, num_pix
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        for arr in [header, np.array(ones, "<i4"), np.array(multi, "<i4")] + [
            np.concatenate(x) if x else np.zeros(0, "<i4") for x in (place_ones, place_multi, count_multi)
        ]:
            f.write(np.ascontiguousarray(arr, dtype="<i4").tobytes())
    return n


def read_emc(path) -> np.ndarray:
    """Read a binary .emc file back to dense (num_data, num_pix) int32 frames."""
    raw = np.fromfile(path, dtype="<i4")
    n, npix = int(raw[0]), int(raw[1])
    p = HEADER_BYTES // 4
    ones = raw[p:p + n]
    p += n
    multi = raw[p:p + n]
    p += n
    po = raw[p:p + ones.sum()]
    p += ones.sum()
    pm = raw[p:p + multi.sum()]
    p += multi.sum()
    cm = raw[p:p + multi.sum()]
    out = np.zeros((n, npix), dtype=np.int32)
    oo = np.concatenate([[0], np.cumsum(ones)])
    om = np.concatenate([[0], np.cumsum(multi)])
    for i in range(n):
        out[i, po[oo[i]:oo[i + 1]]] = 1
        out[i, pm[om[i]:om[i + 1]]] = cm[om[i]:om[i + 1]]
    return out


def write_detector(path, detector, beam):
    """Dragonfly detector file (HDF5) for this geometry."""
    from diffbench.geometry.detector import polarisation_factor, q_vectors

    detd = detector.distance_m / detector.pixel_size_m  # distance in pixels
    ewald_rad = detd
    q = q_vectors(detector, beam).reshape(-1, 3)
    qvox = q * ewald_rad * beam.wavelength_m / (2 * np.pi)
    corr = (detector.solid_angle_sr() * polarisation_factor(detector, beam)).ravel()
    mask = np.where(detector.valid().ravel(), 0, 2).astype(np.uint8)
    import dataclasses
    import json

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["diffbench_detector"] = json.dumps(detector.to_dict())
        f.attrs["diffbench_beam"] = json.dumps({k.name: getattr(beam, k.name) for k in dataclasses.fields(beam)})
        f["qx"], f["qy"], f["qz"] = qvox[:, 0], qvox[:, 1], qvox[:, 2]
        f["corr"] = corr
        f["mask"] = mask
        f["detd"] = detd
        f["ewald_rad"] = ewald_rad


def export_emc(cxi_path, outdir, indices=None) -> list[Path]:
    """Write ``photons.emc``, ``det.h5`` and ``config.ini`` for Dragonfly from a CXI file: every
    frame, or only ``indices`` (sorted frame indices, e.g. a saved selection)."""
    from diffbench.io.cxi import open_dataset

    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with open_dataset(cxi_path) as d:
        if d.patterns.dtype.kind == "f":
            raise ValueError(f"{cxi_path}: EMC needs integer photon counts (simulated with --no-noise)")
        try:
            det, beam = d.detector(), d.beam()
        except (TypeError, KeyError, ValueError) as exc:
            raise ValueError(f"{cxi_path}: no detector and beam geometry to export ({exc})") from None
        if det is None or beam is None:
            raise ValueError(f"{cxi_path}: no detector and beam geometry to export")
        npix = det.nx * det.ny
        emc = outdir / "photons.emc"
        if indices is None:
            batches = (b for _, b in d.iter_batches(512))
        else:
            idx = np.asarray(indices, dtype=np.int64)
            batches = (d.patterns[idx[s:s + 512]] for s in range(0, idx.size, 512))
        write_emc(emc, batches, npix)
        write_detector(outdir / "det.h5", det, beam)
        cfg = outdir / "config.ini"
        cfg.write_text(
            "[parameters]\n"
            f"detd = {det.distance_m * 1e3:.6f}\n"
            f"lambda = {beam.wavelength_m * 1e10:.6f}\n"
            f"detsize = {det.nx} {det.ny}\n"
            f"pixsize = {det.pixel_size_m * 1e3:.6f}\n"
            f"stoprad = {det.beamstop_radius_m / det.pixel_size_m:.3f}\n"
            f"polarization = {'x' if beam.polarisation == 'horizontal' else 'y' if beam.polarisation == 'vertical' else 'none'}\n"
            "\n[emc]\n"
            f"in_photons_file = {emc.name}\n"
            "in_detector_file = det.h5\n"
            "num_div = 10\n"
        )
    return [emc, outdir / "det.h5", cfg]


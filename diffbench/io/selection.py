"""Saved selections (the viewer's "Save selection": ``{source, source_sha256, indices, count}``)
and what consumes them: a subset file with the selected frames and their truth, and the EMC export.

A selection names its source by absolute path and SHA-256; using it on a file whose hash differs
is an error naming both, so indices are never applied to the wrong data.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def read_selection(path, data_file) -> np.ndarray:
    """The sorted, unique frame indices of selection file ``path``, checked against ``data_file``."""
    from diffbench.io.index import file_sha256

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"--selection: no such file {p}")
    try:
        rec = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"--selection {p}: not JSON ({exc})") from None
    for key in ("source_sha256", "indices"):
        if key not in rec:
            raise ValueError(f"--selection {p}: no {key!r} (a selection saved by diffbench view has source, "
                             "source_sha256 and indices)")
    sha = file_sha256(Path(data_file))
    if rec["source_sha256"] != sha:
        raise ValueError(f"--selection {p}: made on {rec.get('source', '?')} (SHA-256 {rec['source_sha256'][:12]}…), "
                         f"not on {data_file} ({sha[:12]}…)")
    idx = np.asarray(rec["indices"], dtype=np.int64)
    if idx.ndim != 1 or idx.size == 0:
        raise ValueError(f"--selection {p}: 'indices' must be a non-empty list of frame indices")
    return np.unique(idx)


def write_subset(src, out, indices) -> Path:
    """Write frames ``indices`` of CXI file ``src`` with their truth rows (per-item tables row by row;
    per-particle tables by ``pattern_index``, renumbered) and everything else as it is, to ``out``
    (atomic; the frames keep their compression). The file's attributes record the subset."""
    import h5py

    from diffbench.io.cxi import FRAMES
    from diffbench.io.index import file_sha256
    from diffbench.utils.atomic import atomic_path

    src, out = Path(src), Path(out)
    idx = np.unique(np.asarray(indices, dtype=np.int64))
    sha = file_sha256(src)
    with h5py.File(src, "r") as f:
        n = f[FRAMES].shape[0]
        if idx.size == 0 or idx[0] < 0 or idx[-1] >= n:
            raise ValueError(f"selection: indices must lie in 0..{n - 1}, got {idx.min()}..{idx.max()}")
        with atomic_path(out, suffix=".cxi") as tmp, h5py.File(tmp, "w") as g:
            for k, v in f.attrs.items():
                g.attrs[k] = v

            def copy(name, obj):
                if isinstance(obj, h5py.Group):
                    grp = g.require_group(name)
                    for k, v in obj.attrs.items():
                        grp.attrs[k] = v
                    return
                _copy_rows(obj, g, name, idx, n)

            f.visititems(copy)

            def links(name, link):  # CXI's /entry_1/data_1/data is a soft link to the detector's data
                if isinstance(link, h5py.SoftLink) and name not in g:
                    g[name] = h5py.SoftLink(link.path)

            f.visititems_links(links)
            from diffbench.io.cxi import TRUTH

            if TRUTH in g:
                for key in ("n_patterns", "n_frames"):  # per-frame counts; scans or data sets stay as they were
                    if key in g[TRUTH].attrs:
                        g[TRUTH].attrs[key] = idx.size
            g[FRAMES].parent.attrs["subset_of_sha256"] = sha
            g[FRAMES].parent.attrs["subset_of"] = str(src.resolve())
            g.create_dataset(FRAMES.rsplit("/", 1)[0] + "/subset_indices", data=idx)
    return out


def _copy_rows(ds, g, name, idx, n):
    """One dataset of the source: selected rows of per-item arrays, remapped rows of particle
    tables, the rest whole; frames keep their chunking and filters (bitshuffle-LZ4 included)."""
    import h5py

    parent = name.rsplit("/", 1)[0] if "/" in name else ""
    parts = ds.parent.name.endswith("/particles")
    if ds.shape and ds.shape[0] == n and not parts:
        data = ds[idx] if idx.size < n else ds[()]
    elif parts and "pattern_index" in ds.parent:
        pi = ds.parent["pattern_index"][()]
        pos = np.full(n, -1, dtype=np.int64)
        pos[idx] = np.arange(idx.size)
        keep = pos[pi] >= 0
        data = pos[pi][keep] if ds.name.endswith("/pattern_index") else ds[()][keep]
    else:
        data = ds[()]
    if parent:
        g.require_group(parent)
    plist = ds.id.get_create_plist()
    if ds.chunks and ds.shape and data.shape[0] > 0:
        # chunked: the first axis may grow, so a chunk longer than the subset is allowed
        space = h5py.h5s.create_simple(data.shape, (h5py.h5s.UNLIMITED,) + data.shape[1:])
        new = h5py.Dataset(h5py.h5d.create(g.id, name.encode(), ds.id.get_type(), space, dcpl=plist))
        new[...] = data
    else:
        new = g.create_dataset(name, data=data)
    for k, v in ds.attrs.items():
        new.attrs[k] = v

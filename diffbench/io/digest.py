"""Content hashes of data sets: what they hold, not their file bytes."""

from __future__ import annotations

import hashlib

import numpy as np


def content_digest(ds) -> str:
    """SHA-256 of what a data set *holds* — its frames (or reflection lists) and every truth array —
    not of its file bytes (which differ between runs: HDF5 time stamps, compression layout). The
    same recipe, seed and N give the same digest on any machine and however the work was split;
    a benchmark baseline is only comparable to a run whose data have the same digest."""
    h = hashlib.sha256()
    frames = getattr(ds, "patterns", None)
    if frames is not None:
        for s in range(0, frames.shape[0], 256):
            h.update(np.ascontiguousarray(frames[s:s + 256]).tobytes())
    if frames is None and hasattr(ds, "side_files"):  # merged MX: every data set's reflection arrays
        for m in ds:
            for k in ("hkl", "d_m", "i", "sig_i", "f", "sig_f"):
                v = getattr(m, k, None)
                if v is not None:
                    h.update(np.ascontiguousarray(v).tobytes())
    for table in ("truth", "particles", "ranges", "ice_reflections"):
        cols = getattr(ds, table, None)
        if not isinstance(cols, dict):
            continue
        for k in sorted(cols):
            v = np.asarray(cols[k])
            h.update(f"{table}/{k}:{v.dtype.str}:{v.shape}".encode())
            h.update(v.astype(str).tobytes() if v.dtype.kind in "OU" else np.ascontiguousarray(v).tobytes())
    return h.hexdigest()

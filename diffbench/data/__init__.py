"""Data files shipped inside the package, with their provenance and SHA-256.

| file | source | SHA-256 of the uncompressed file |
|---|---|---|
| 1SS8.pdb.gz | RCSB PDB entry 1SS8 (GroEL), public domain; gzip -9 of shared/data/pdb/1SS8.pdb | abbca9594239be0afcffc426b01692fc5916c52635f2bcd2437a8bc827dcca35 |

1SS8 stands in for PDB 3IYF (paper 004's group-II chaperonin), which is not available offline.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

SHA256 = {"1SS8.pdb.gz": "abbca9594239be0afcffc426b01692fc5916c52635f2bcd2437a8bc827dcca35"}


def data_path(name: str) -> Path:
    """Path of a shipped data file; raises FileNotFoundError naming the available ones."""
    p = Path(__file__).with_name(name)
    if not p.is_file():
        raise FileNotFoundError(f"no packaged data file {name!r}; available: {', '.join(sorted(SHA256))}")
    return p


def verify(name: str) -> bool:
    """True when the packaged file's uncompressed content matches its recorded SHA-256."""
    raw = data_path(name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return hashlib.sha256(raw).hexdigest() == SHA256[name]

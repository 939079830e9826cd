"""Data files shipped inside the package, with their provenance and SHA-256.

| file | source | SHA-256 of the uncompressed file |
|---|---|---|
| 1SS8.pdb.gz | RCSB PDB entry 1SS8 (GroEL), public domain; gzip -9 of shared/data/pdb/1SS8.pdb | abbca9594239be0afcffc426b01692fc5916c52635f2bcd2437a8bc827dcca35 |
| 2W0O.pdb.gz | RCSB PDB entry 2W0O (horse-spleen apoferritin, octahedral 24-mer shell), public domain; gzip -9 | da691a284ce859a9da8819ff5c608fd119191e4d3c440e833d735e49b714571a |
| 1EI7.pdb.gz | RCSB PDB entry 1EI7 (TMV coat-protein rings, 34 BIOMT operators), public domain; gzip -9 | d81954289a8011d7dd7436c93e80380f9caacf6fa5aa473083a7dc2dbf276e36 |
| 4BED.pdb.gz | RCSB PDB entry 4BED (keyhole limpet hemocyanin didecamer), public domain; as distributed | 826506753ae3c7a276f6665c24b1ca193f7fd64f062fa53dac986800f181d678 |

1SS8 stands in for PDB 3IYF (paper 004's group-II chaperonin), which is not available offline.
2W0O, 1EI7 and 4BED are the species the few-shot task's embedding never sees in training
(``few-shot-unseen-species`` in datasets.yaml).
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

SHA256 = {"1SS8.pdb.gz": "abbca9594239be0afcffc426b01692fc5916c52635f2bcd2437a8bc827dcca35",
          "2W0O.pdb.gz": "da691a284ce859a9da8819ff5c608fd119191e4d3c440e833d735e49b714571a",
          "1EI7.pdb.gz": "d81954289a8011d7dd7436c93e80380f9caacf6fa5aa473083a7dc2dbf276e36",
          "4BED.pdb.gz": "826506753ae3c7a276f6665c24b1ca193f7fd64f062fa53dac986800f181d678"}


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

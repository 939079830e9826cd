"""Digest of everything every catalogue recipe writes: one SHA-256 per HDF5 dataset (data and
truth, by content, not by file layout) and per side file (e.g. MTZ), for refactors that must not
change a byte of output.

    python scripts/output_digest.py digest.json            # write the digest
    python scripts/output_digest.py new.json --compare old.json   # exit 1 on any difference

Each recipe runs with a small N, with and without noise where its kind allows it. Attributes
(provenance) are listed apart from data and truth: a refactor may add one, never change a value.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from pathlib import Path

import h5py
import numpy as np

SKIP_ATTRS = {"created"}


def _hash_h5(path: Path) -> dict:
    out = {}

    def visit(name, obj):
        for k, v in obj.attrs.items():
            if k not in SKIP_ATTRS:
                out[f"@{name}:{k}"] = hashlib.sha256(repr(v).encode()).hexdigest()
        if isinstance(obj, h5py.Dataset):
            data = obj[()]
            h = hashlib.sha256()
            if isinstance(data, np.ndarray):
                h.update(f"{data.dtype}{data.shape}".encode())
                h.update(np.ascontiguousarray(data).tobytes())
            else:
                h.update(repr(data).encode())
            out[name] = h.hexdigest()

    with h5py.File(path, "r") as f:
        f.visititems(visit)
        for k, v in f.attrs.items():
            if k not in SKIP_ATTRS:
                out[f"@{k}"] = hashlib.sha256(repr(v).encode()).hexdigest()
    return out


def digest(recipes=None) -> dict:
    from diffbench.recipes.catalogue import load_catalogue
    try:
        from diffbench.simulate.driver import simulate_to_file
    except ImportError:  # before the driver existed
        from diffbench.simulate.run import simulate_to_file

    cat = load_catalogue()["recipes"]
    result = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in sorted(recipes or cat):
            kind = cat[name].get("kind", "spi")
            n = {"spi": 6, "xray-droplet": 6, "ed-scan": 1, "mx-merged": 3}[kind]
            for noise in (None, False):
                if kind == "mx-merged" and noise is False:  # merged MX data have no noise-free mode
                    continue
                out = Path(tmp) / f"{name}-{noise}.h5"
                simulate_to_file(name, n, out, seed=3, noise=noise, progress=False)
                entry = _hash_h5(out)
                side = Path(str(out) + ".mtz")
                if side.is_dir():
                    for p in sorted(side.iterdir()):
                        entry[f"mtz/{p.name}"] = hashlib.sha256(p.read_bytes()).hexdigest()
                result[f"{name}/noise={noise}"] = entry
                print(f"{name} noise={noise}: {len(entry)} items", file=sys.stderr)
    return result


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--compare")
    ap.add_argument("--recipes", nargs="*")
    a = ap.parse_args(argv)
    d = digest(a.recipes)
    Path(a.out).write_text(json.dumps(d, indent=1, sort_keys=True))
    if a.compare:
        old = json.loads(Path(a.compare).read_text())
        bad = attrs = 0
        for run in sorted(set(old) | set(d)):
            o, n = old.get(run, {}), d.get(run, {})
            for k in sorted(set(o) | set(n)):
                if o.get(k) != n.get(k):
                    is_attr = k.startswith("@")
                    attrs += is_attr
                    bad += not is_attr
                    print(f"{'ATTR' if is_attr else 'DIFF'} {run} {k}: {o.get(k, 'absent')[:12]} -> "
                          f"{n.get(k, 'absent')[:12]}")
        print(f"{bad} differences in data and truth, {attrs} in attributes (provenance), over {len(d)} runs")
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

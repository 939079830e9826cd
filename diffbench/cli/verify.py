"""Check a file diffbench wrote, all of it: every shard of an index against the SHA-256 in its
manifest, and every frame against its truth (counts finite and non-negative, their sum equal to
the truth's photon total where the frames are photon counts).

Examples:
  diffbench verify c90.cxi
"""

from __future__ import annotations


def add_args(p):
    p.add_argument("file", help="a file or sharded index written by diffbench simulate")


def main(args):
    import numpy as np

    from diffbench.io.readers import kind_of_file

    kind = kind_of_file(args.file)
    if not kind.frames:
        with kind.open(args.file) as d:
            missing = [str(p) for p in d.side_files if not p.is_file()]
        if missing:
            raise ValueError(f"{args.file}: {len(missing)} data files missing, e.g. {missing[0]}")
        print(f"{args.file}: ok ({len(d)} data sets, every file present)")
        return 0
    from diffbench.io.cxi import open_dataset

    with open_dataset(args.file, verify="full") as d:
        total = np.asarray(d.truth.get("photons_total", d.truth.get("counts_total")))
        integer = d.patterns.dtype.kind in "ui"
        bad = []
        for start in range(0, len(d), 256):
            block = np.asarray(d.patterns[start:start + 256])
            flat = block.reshape(len(block), -1)
            if not np.isfinite(flat).all() or (flat < 0).any():
                bad.append(f"frames {start}-{start + len(block) - 1} hold negative or non-finite values")
            elif integer and total is not None and not np.array_equal(flat.sum(axis=1), total[start:start + len(block)]):
                bad.append(f"frames {start}-{start + len(block) - 1} do not sum to the truth's totals")
        if bad:
            raise ValueError(f"{args.file}: {bad[0]} ({len(bad)} blocks of 256 frames affected)")
        shards = f", {len(d.manifest['shards'])} shards by SHA-256" if d.manifest is not None else ""
        print(f"{args.file}: ok ({len(d)} frames against their truth{shards})")
    return 0

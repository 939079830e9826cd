"""Write the frames of a saved selection (diffbench view's "Save selection") to a new file, with
their truth, geometry and provenance.

The selection's SHA-256 must match the file's: indices are never applied to other data.

Examples:
  diffbench subset pr772.cxi --selection selection-3f2a9c1e.json -o singles.cxi
  diffbench export-emc pr772.cxi emc/ --selection selection-3f2a9c1e.json
"""

from __future__ import annotations


def add_args(p):
    p.add_argument("file", help="the CXI file the selection was made on")
    p.add_argument("--selection", required=True, help="a selection JSON saved by diffbench view")
    p.add_argument("-o", "--output", required=True, help="the subset's CXI file")


def main(args):
    from pathlib import Path

    from diffbench.io.selection import read_selection, write_subset
    from diffbench.simulate.driver import check_output

    if not Path(args.file).is_file():
        raise FileNotFoundError(f"no such file: {args.file}")
    idx = read_selection(args.selection, args.file)
    check_output(Path(args.output))
    out = write_subset(args.file, args.output, idx)
    print(f"wrote {out}: {len(idx):,} frames of {args.file} (indices {idx[0]}..{idx[-1]}) with their truth")
    return 0

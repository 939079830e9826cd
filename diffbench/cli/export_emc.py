"""Export a CXI file to Dragonfly's sparse-photon EMC format (photons.emc, det.h5, config.ini).

Examples:
  diffbench export-emc pr772.cxi pr772-emc/
  diffbench export-emc pr772.cxi singles-emc/ --selection selection-3f2a9c1e.json
"""

from __future__ import annotations


def add_args(p):
    p.add_argument("file", help="a CXI file with integer photon counts")
    p.add_argument("outdir", help="output folder (created)")
    p.add_argument("--selection", help="only the frames of a selection saved by diffbench view (checked by SHA-256)")


def main(args):
    from diffbench.io.emc import export_emc

    indices = None
    if args.selection:
        from diffbench.io.selection import read_selection

        indices = read_selection(args.selection, args.file)
    paths = export_emc(args.file, args.outdir, indices)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0

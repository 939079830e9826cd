"""Export a CXI file to Dragonfly's sparse-photon EMC format (photons.emc, det.h5, config.ini).

Examples:
  diffbench export-emc pr772.cxi pr772-emc/
"""

from __future__ import annotations


def add_args(p):
    p.add_argument("file", help="a CXI file with integer photon counts")
    p.add_argument("outdir", help="output folder (created)")


def main(args):
    from diffbench.io.emc import export_emc

    paths = export_emc(args.file, args.outdir)
    print("wrote " + ", ".join(str(p) for p in paths))
    return 0

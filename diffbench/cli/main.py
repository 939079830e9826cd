"""The ``diffbench`` command: one entry point, one module per subcommand.

Bad input (unknown recipe, bad value, missing file, unwritable output, N ≤ 0) prints one line
``diffbench: error: ...`` to stderr and exits with status 2, leaving no output file.
"""

from __future__ import annotations

import argparse
import sys

from diffbench._version import __version__

SUBCOMMANDS = ("list", "simulate", "info", "verify", "export_emc", "bench", "view")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    p = argparse.ArgumentParser(prog="diffbench", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"diffbench {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMANDS:
        mod = importlib.import_module(f"diffbench.cli.{name}")
        doc = (mod.__doc__ or "").strip()
        sp = sub.add_parser(name.replace("_", "-"), help=doc.splitlines()[0], description=doc.split("\n\n")[0],
                            epilog="\n\n".join(doc.split("\n\n")[1:]),
                            formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_args(sp)
        sp.set_defaults(func=mod.main)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, KeyError, FileNotFoundError, PermissionError, OSError, ImportError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"diffbench: error: {msg}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # a run that failed part-way (e.g. a worker died): resumable
        print(f"diffbench: failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("diffbench: interrupted; no output file was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

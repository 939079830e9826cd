"""The ``diffbench`` command: one entry point, one module per subcommand.

Bad input (unknown recipe, bad value, missing file, unwritable output, N ≤ 0) prints one line
``diffbench: error: ...`` to stderr and exits with status 2, leaving no output file.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from diffbench._version import __version__

SUBCOMMANDS = ("list", "show", "simulate", "info", "card", "verify", "export_emc", "bench", "view", "subset")


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


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that a terminated run cleans up as Ctrl-C does
    (temporaries removed, workers stopped, the previous output left as it was)."""


def _raise_terminated(signum, frame):
    raise Terminated()


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # not when embedded in a host that handles SIGTERM itself, nor off the main thread (not allowed)
    own = threading.current_thread() is threading.main_thread() and \
        signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    if own:
        signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return _run(args)
    finally:
        if own:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run(args) -> int:
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return status
    except BrokenPipeError:  # `diffbench info F | head -1`: the reader left; say nothing more
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at interpreter exit
        return 141
    except (ValueError, KeyError, FileNotFoundError, PermissionError, OSError, ImportError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"diffbench: error: {msg}", file=sys.stderr)
        return 2
    except RuntimeError as exc:  # a run that failed part-way (e.g. a worker died): resumable
        print(f"diffbench: failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:
        what = "terminated" if isinstance(exc, Terminated) else "interrupted"
        print(f"diffbench: {what}; the output was not written (an earlier file there is unchanged; "
              "a sharded run keeps its finished shards)", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130


if __name__ == "__main__":
    sys.exit(main())

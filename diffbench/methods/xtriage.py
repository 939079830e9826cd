"""The real phenix.xtriage ice-ring check (cctbx's ``mmtbx.xtriage``), run on each data set's MTZ.

paper 003 scores xtriage as a baseline; :class:`~diffbench.methods.ice_baselines.XtriageStyleIceRings`
re-implements its idea, but it is a different detector (its own background fit and bins). Where
cctbx installs (``pip install 'diffbench[xtriage]'``, the ``cctbx-base`` wheels), this method runs
the program itself: ``mmtbx.xtriage FILE.mtz obs_labels=I,SIGI`` per data set, and reads its
"Ice ring related problems" section — the number of ice-ring warnings, the d-spacings it warns
about, and the Wilson-plot z-score of each checked ice line.

The executable is found as ``$DIFFBENCH_XTRIAGE``, else ``mmtbx.xtriage`` on the PATH or beside
the running Python. Data sets are checked in parallel threads (``n_jobs``), each a subprocess.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from diffbench.methods.base import BINARY_CLASSES, Method, MethodTags
from diffbench.methods.ice_baselines import RANGES


def xtriage_executable() -> str | None:
    """Path of ``mmtbx.xtriage`` (see the module docstring), or None where cctbx is not installed."""
    env = os.environ.get("DIFFBENCH_XTRIAGE")
    if env:
        return env if Path(env).is_file() else None
    found = shutil.which("mmtbx.xtriage")
    if found:
        return found
    beside = Path(sys.executable).with_name("mmtbx.xtriage")
    return str(beside) if beside.is_file() else None


_NEXT_SECTION = re.compile(r"^[ \t]*(#{5,}|-{5,}[ \t]*[A-Za-z])", re.M)
_WARNINGS = re.compile(r"There (?:were|was) (\d+) ice ring related warning")
_AT = re.compile(r"At\s+([\d.]+)\s+A\s")
_ROW = re.compile(r"^\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|\s*([-\d.]+)\s*\|\s*([-\d.naN]+)\s*\|\s*$")


def parse_ice_section(text: str) -> dict:
    """From xtriage's output: ``warnings`` (count), ``flagged_d_a`` (d-spacings in Å it warns
    about) and ``lines`` [(d Å, expected relative I, z-score, completeness)] of its table."""
    start = text.find("Ice ring related problems")
    sect = text[start:] if start >= 0 else ""
    # the section ends at the next section header ("#####" banner or "-----Name-----")
    end = _NEXT_SECTION.search(sect, len("Ice ring related problems")) if sect else None
    sect = sect[:end.start()] if end else sect
    m = _WARNINGS.search(sect)
    lines = []
    for row in sect.splitlines():
        r = _ROW.match(row)
        if r:
            d, rel, z, c = r.groups()
            lines.append((float(d), float(rel), float(z), float(c) if c.lower() != "nan" else float("nan")))
    return {"warnings": int(m.group(1)) if m else 0, "flagged_d_a": [float(x) for x in _AT.findall(sect)],
            "lines": lines, "found": start >= 0}


class XtriageIceRings(Method):
    """phenix.xtriage itself on every data set (see the module docstring).

    n_jobs : data sets checked at once. timeout_s : per data set.
    ``predict``: 1 where xtriage gives any ice-ring warning; ``score_samples``: the largest z-score
    of its checked ice lines; ``predict_ranges``: 1 for an AUSPEX range holding a d-spacing it warns
    about, 0 otherwise, −1 beyond the data's resolution.
    """

    def __init__(self, n_jobs: int = 2, timeout_s: float = 300.0):
        self.n_jobs = n_jobs
        self.timeout_s = timeout_s

    @staticmethod
    def unavailable() -> str | None:
        """Why this method cannot run here (None where it can): the benchmark skips it, saying so."""
        return None if xtriage_executable() else "needs cctbx's mmtbx.xtriage (pip install 'diffbench[xtriage]')"

    def __diffbench_tags__(self) -> MethodTags:
        return MethodTags(input="merged-reflections", output="binary", per_range=True)

    def fit(self, X, y=None):
        self.executable_ = xtriage_executable()
        if self.executable_ is None:
            raise ImportError("the real phenix.xtriage needs cctbx: pip install 'diffbench[xtriage]' "
                              "(or set DIFFBENCH_XTRIAGE to mmtbx.xtriage)")
        self.classes_ = BINARY_CLASSES
        return self

    def _files(self, X) -> list[Path]:
        from diffbench.io.mx import MXCollection

        data = MXCollection(X) if isinstance(X, (str, Path)) else X
        files = getattr(data, "files", None)
        if files is None:
            raise ValueError("xtriage reads MTZ files: give an mx-merged index (path or MXCollection)")
        return list(files)

    def _run(self, mtz: Path) -> dict:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="diffbench-xtriage-") as tmp:  # xtriage writes logs to cwd
            out = subprocess.run([self.executable_, str(mtz), "obs_labels=I,SIGI"], capture_output=True, text=True,
                                 cwd=tmp, timeout=self.timeout_s)
        res = parse_ice_section(out.stdout)
        if not res["found"]:
            raise RuntimeError(f"xtriage gave no ice-ring section for {mtz} (exit {out.returncode}): "
                               f"{(out.stderr or out.stdout).strip().splitlines()[-1:]}")
        return res

    def check(self, X) -> list[dict]:
        """xtriage's parsed ice-ring section of every data set (cached per file for this fit)."""
        from concurrent.futures import ThreadPoolExecutor

        files = self._files(X)
        cache = self.__dict__.setdefault("_cache", {})
        todo = [f for f in files if str(f) not in cache]
        with ThreadPoolExecutor(max(1, int(self.n_jobs))) as pool:
            for f, res in zip(todo, pool.map(self._run, todo)):
                cache[str(f)] = res
        return [cache[str(f)] for f in files]

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_cache", None)
        return state

    def predict(self, X) -> np.ndarray:
        return np.array([int(r["warnings"] > 0) for r in self.check(X)], dtype=np.int8)

    def score_samples(self, X) -> np.ndarray:
        return np.array([max((z for _, rel, z, _ in r["lines"] if rel > 0.1), default=0.0) for r in self.check(X)])

    def predict_ranges(self, X) -> np.ndarray:
        from diffbench.io.mx import MXCollection

        data = MXCollection(X) if isinstance(X, (str, Path)) else X
        out = np.zeros((len(data), len(RANGES)), dtype=np.int8)
        for k, r in enumerate(self.check(data)):
            d_min_a = float(np.asarray(data.truth["d_min_m"])[k]) * 1e10
            out[k, RANGES[:, 0] > 1.0 / d_min_a**2] = -1
            for d in r["flagged_d_a"]:
                x = 1.0 / d**2
                out[k, (RANGES[:, 0] <= x) & (x <= RANGES[:, 1])] = 1
        return out

"""Dataset cards: what a data set is, in Markdown, measured on the data themselves.

A card says what the recipe reproduces and from which paper, the resolved parameters, every truth
field (type and what its values are), the class balance of every categorical truth field, the
distribution of every numeric one (photons, sizes, thicknesses...) as percentiles, and the
versions and content hash that identify the data. It is written from any file diffbench wrote,
whatever its kind: nothing in it is copied from the recipe's promises, all is read from the data.
"""

from __future__ import annotations

import numpy as np

#: Paper keys of docs/papers.md, for the card's "reproduces" line.
PAPERS = {
    "000": "Assalauova et al., J. Appl. Cryst. 55 (2022) — PR772 single-hit classification",
    "001": "Common-line PCA and VAEs for structural heterogeneity in SPI (preprint) — gold cubes melting",
    "002": "Matinyan et al., Acta Cryst. A 79 (2023) — narrow-beam electron diffraction of holey carbon",
    "003": "Nolte et al., Acta Cryst. D 78 (2022) — ice artefacts in merged MX data",
    "004": "Ramalingam, Yoon & Poitevin, SLAC poster (2020) — chaperonin single vs double hits",
}

_SKIP_NUMERIC = ("index", "seed")  # row numbers, not distributions


def _table(rows: list[list[str]], head: list[str]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return out


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def card_markdown(path, ds=None, digest: str | None = None) -> str:
    """The card of the data set at ``path`` (any kind), as Markdown (``digest``: its content hash,
    when already known)."""
    import yaml

    from diffbench.io.digest import content_digest
    from diffbench.io.readers import kind_of_file, open_any

    if ds is None:
        with open_any(path) as d:
            return card_markdown(path, d, digest)
    a = dict(ds.attrs)
    raw = yaml.safe_load(a.get("recipe_yaml", "") or "{}") or {}
    name = a.get("recipe", "?")
    lines = [f"# Dataset card: {name}", "",
             f"- file: `{path}`; kind: {kind_of_file(path).name}; {len(ds)} units (patterns, scans or data sets)",
             f"- recipe **{name}** version {a.get('recipe_version', '?')}, seed {a.get('seed')}, "
             f"diffbench {a.get('diffbench_version')}",
             f"- content hash (SHA-256 of the frames and truth arrays): `{digest or content_digest(ds)}`"]
    paper = raw.get("paper")
    if paper is not None:
        lines.append(f"- reproduces the setting of paper {paper}: {PAPERS.get(str(paper), '?')} "
                     "(see docs/papers.md)")
    lines += ["", "## What it is", "", str(raw.get("description", "(no description)")), "",
              "## Parameters (the resolved recipe)", "", "```yaml",
              yaml.safe_dump({k: v for k, v in raw.items() if k != "description"}, sort_keys=False).rstrip(),
              "```", ""]
    for title, table in (("Truth per unit", getattr(ds, "truth", None)),
                         ("Truth per particle / crystal / range", getattr(ds, "particles", None)
                          or getattr(ds, "ranges", None))):
        if not isinstance(table, dict) or not table:
            continue
        cats, nums = [], []
        for k in sorted(table):
            v = np.asarray(table[k])
            if v.ndim != 1 or v.size == 0:
                nums.append([k, f"{v.dtype} {v.shape}", "(array per unit)"])
                continue
            if v.dtype.kind in "SUO" and np.unique(v.astype(str)).size > 20:
                cats.append([k, f"{np.unique(v.astype(str)).size} distinct values (identifiers)"])
            elif v.dtype.kind in "SUOb" or (v.dtype.kind in "iu" and np.unique(v).size <= 12
                                            and not any(s in k for s in _SKIP_NUMERIC)):
                vals, counts = np.unique(v.astype(str), return_counts=True)
                cats.append([k, ", ".join(f"{x or '(none)'}: {c} ({c / v.size:.1%})" for x, c in zip(vals, counts))])
            elif v.dtype.kind in "fiu" and not any(k.endswith(s) for s in _SKIP_NUMERIC):
                f = v.astype(float)
                ok = np.isfinite(f)
                if not ok.any():
                    nums.append([k, "all nan", ""])
                    continue
                p = np.percentile(f[ok], [0, 5, 50, 95, 100])
                nums.append([k, " / ".join(_fmt(x) for x in p), f"{(~ok).sum()} nan" if (~ok).any() else ""])
        lines += [f"## {title}", ""]
        if cats:
            lines += ["Class balance (every categorical field, measured):", ""]
            lines += _table(cats, ["field", "values: count (fraction)"]) + [""]
        if nums:
            lines += ["Distributions (min / 5 % / median / 95 % / max, SI units as stored):", ""]
            lines += _table(nums, ["field", "min / p5 / median / p95 / max", "missing"]) + [""]
    return "\n".join(lines) + "\n"


def write_card(path, out=None, ds=None, digest: str | None = None):
    """Write the card of ``path`` to ``out`` (default: beside it, ``NAME.card.md``), atomically."""
    from pathlib import Path

    from diffbench.utils.atomic import atomic_write_text

    out = Path(out) if out else Path(path).with_suffix(".card.md")
    atomic_write_text(out, card_markdown(path, ds, digest))
    return out

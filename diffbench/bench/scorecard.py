"""Scorecards: JSON (the machine-readable baseline) and a Markdown table, written atomically."""

from __future__ import annotations

import json
import math
import os
import platform
import time
from pathlib import Path

from diffbench._version import __version__
from diffbench.utils.atomic import atomic_write_text


def make_scorecard(results: list[dict], rows: list[dict], tier: str) -> dict:
    return {"diffbench_version": __version__, "tier": tier, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
            "results": results, "runs": rows}



def _fmt(v) -> str:
    return "nan" if isinstance(v, float) and math.isnan(v) else f"{v:.3f}"


def markdown(card: dict) -> str:
    lines = [f"# diffbench scorecard ({card['tier']} tier, diffbench {card['diffbench_version']}, {card['created']})",
             "", "Mean ± std over seeds; 95 % Wilson interval from the pooled confusion counts. "
             "Paper numbers are for the papers' own (real) data sets: context, not targets.", "",
             "| task | method | test | metric | value | 95 % CI | seeds | N | fit s | predict s | paper |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in card["results"]:
        ci = r.get("ci95_pooled")
        ci_s = f"[{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci else ""
        spread = f" ± {_fmt(r['std'])}" if len(r["seeds"]) > 1 else ""
        lines.append(f"| {r['task']} | {r['method']} | {r.get('test', 'all')} | {r['metric']} | {_fmt(r['value'])}{spread} | {ci_s} "
                     f"| {len(r['seeds'])} | {r['n']} | {r['fit_s']:.2f} | {r['predict_s']:.2f} | {r.get('paper', '')} |")
    return "\n".join(lines) + "\n"


def write_scorecard(card: dict, folder) -> dict[str, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"json": folder / "scorecard.json", "markdown": folder / "scorecard.md"}
    atomic_write_text(paths["json"], json.dumps(card, indent=1, default=float))
    atomic_write_text(paths["markdown"], markdown(card))
    return paths


def load_scorecard(path) -> dict:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"baseline scorecard not found: {p}")
    try:
        card = json.loads(p.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p}: not a scorecard JSON: {exc}") from None
    if "results" not in card:
        raise ValueError(f"{p}: not a scorecard JSON (no 'results')")
    return card

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


def machine_tag() -> dict:
    """What the timings were measured on (compare timings only between equal tags)."""
    return {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "node": platform.node()}


def make_scorecard(results: list[dict], rows: list[dict], tier: str, tasks: dict | None = None) -> dict:
    """The scorecard; ``tasks`` (name → Task) adds what each task declares: its primary metric and,
    for a paper-setting task that a control wins, its ``saturated`` note."""
    info = {n: {"primary": t.primary_metric, "saturated": t.saturated} for n, t in (tasks or {}).items()}
    return {"diffbench_version": __version__, "tier": tier, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "machine": machine_tag(), "tasks": info, "results": results, "runs": rows}


def _fmt(v) -> str:
    return "nan" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def value_text(r: dict) -> str:
    """"0.812 ± 0.031" (mean ± std over seeds), "failed on 1/5 seeds", or "undefined on ..."."""
    if r.get("failed"):
        return f"failed on {r['failed']}/{len(r['seeds'])} seeds"
    if r.get("undefined") and not math.isfinite(r["value"]):
        return f"undefined on {r['undefined']}/{len(r['seeds'])} seeds"
    spread = f" ± {_fmt(r['std'])}" if len(r["seeds"]) > 1 else ""
    return _fmt(r["value"]) + spread


def worst_bins(r: dict) -> str:
    """"photons_total 12-40: 0.31; hit_class aggregate: 0.20" — the worst bin of each condition."""
    parts = []
    for field, bins in (r.get("by_condition") or {}).items():
        w = [b for b in bins if b.get("worst")]
        if w:
            what = "" if w[0].get("metric", r["metric"]) == r["metric"] else f" ({w[0]['metric']})"
            parts.append(f"{field} {w[0]['bin']}{what}: {_fmt(w[0]['value'])}")
    return "; ".join(parts)


def markdown(card: dict) -> str:
    lines = [f"# diffbench scorecard ({card['tier']} tier, diffbench {card['diffbench_version']}, {card['created']})",
             "", "Mean ± std over seeds; 95 % interval: percentile bootstrap of the mean over seeds (the "
             "independent units). Controls (trivial rules; those fit on a `split: none` task read its truth, "
             "which makes them upper bounds of such rules) and oracles (read the truth) are listed above the "
             "methods of each task; *margin* = method − best control on that metric, and ✔ where the method's "
             "interval clears it. Only the primary metric (**bold**) is broken down by condition (worst bin). "
             "Paper numbers are for the papers' own (real) data sets: context, not targets.", "",
             "| task | role | method | test | metric | value | 95 % CI | margin | seeds | N | fit s | "
             "worst bin | paper |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in card["results"]:
        ci = r.get("ci95")
        ci_s = f"[{_fmt(ci[0])}, {_fmt(ci[1])}]" if ci and all(math.isfinite(x) for x in ci) else ""
        margin = ""
        if "margin" in r:
            margin = f"{r['margin']:+.3f}" + (" ✔" if r.get("beats_controls") else "") \
                if math.isfinite(r["margin"]) else "nan"
        metric = f"**{r['metric']}**" if r.get("primary") else r["metric"]
        lines.append(f"| {r['task']} | {r.get('role', 'method')} | {r['method']} | {r.get('test', 'all')} | {metric} "
                     f"| {value_text(r)} | {ci_s} | {margin} | {len(r['seeds'])} | {r['n']} | {r['fit_s']:.2f} "
                     f"| {worst_bins(r)} | {r.get('paper', '')} |")
    saturated = {n: t["saturated"] for n, t in card.get("tasks", {}).items() if t.get("saturated")}
    if saturated:
        lines += ["", "Saturated paper-setting tasks (a control matches or beats every method; kept to "
                  "reproduce the paper, not to rank methods):", ""]
        lines += [f"- **{n}**: {note}" for n, note in saturated.items()]
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

"""The benchmark's HTML report: one self-contained page (BokehJS inline, so it opens offline) with,
per task, the scorecard rows and the plots that explain them: ROC curves from each method's
``score_samples``, mean radial profiles (PSD) of each selection against the true targets and all
frames, confusion matrices summed over seeds, and size histograms against the true diameters.

The plots read only the scorecard (``runs[*].curves``, ``results``), so a report can be rebuilt
from any ``scorecard.json`` (``write_report(load_scorecard(path), out)``).
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np

from diffbench.utils.atomic import atomic_write_text

_PLOT = dict(width=430, height=330, toolbar_location="above", tools="pan,wheel_zoom,box_zoom,reset,save,hover")


def _palette(n: int) -> list[str]:
    from bokeh.palettes import Category10_10

    return [Category10_10[i % 10] for i in range(max(n, 1))]


def _label(run: dict) -> str:
    test = run.get("test", "all")
    return run["method"] if test == "all" else f"{run['method']} ({test})"


def _fmt(v) -> str:
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.3f}"


def _ci_text(r: dict) -> str:
    ci, n = r.get("ci95"), len(r["seeds"])
    if n < 2 or not ci or ci[0] is None or (isinstance(ci[0], float) and math.isnan(ci[0])):
        return f"– (needs ≥ 2 seeds; {n} run)"
    return f"[{_fmt(ci[0])}, {_fmt(ci[1])}]"


def _seeds(n: int) -> str:
    return f"{n} seed" + ("" if n == 1 else "s")


def _results_table(results: list[dict]) -> str:
    """The primary metric of every (method, test), then every metric of each as a compact grid."""
    from diffbench.bench.scorecard import value_text, worst_bins

    style = "<table style='border-collapse:collapse;font-size:12px' border='1' cellpadding='3'>"
    primary = [r for r in results if r.get("primary")] or results
    head = "<tr>" + "".join(f"<th>{h}</th>" for h in ("role", "method", "test", "primary metric", "value",
                                                       "95 % CI", "margin over controls", "seeds", "N", "fit s",
                                                       "worst bin", "paper (other data)")) + "</tr>"
    rows = []
    for r in primary:
        margin = ""
        if "margin" in r:
            clears = r.get("beats_controls") and len(r["seeds"]) > 1
            margin = f"{r['margin']:+.3f}" + (" ✔" if clears else "")
        cells = (r.get("role", "method"), r["method"], r.get("test", "all"), r["metric"], value_text(r), _ci_text(r),
                 margin, len(r["seeds"]), f"{int(r['n']):,}", f"{r['fit_s']:.2f}", worst_bins(r), r.get("paper", ""))
        rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
    table = style + head + "".join(rows) + "</table>"
    metrics = list(dict.fromkeys(r["metric"] for r in results))
    if len(metrics) > 1:
        grid: dict = {}
        for r in results:
            grid.setdefault((r.get("role", "method"), r["method"], r.get("test", "all")), {})[r["metric"]] = r
        head = "<tr><th>role</th><th>method</th><th>test</th>" + "".join(f"<th>{m}</th>" for m in metrics) + "</tr>"
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in key)
                       + "".join(f"<td>{html.escape(value_text(v[m]))}</td>" if m in v else "<td></td>" for m in metrics)
                       + "</tr>" for key, v in grid.items())
        table += "<p><small>every metric (mean ± std over seeds):</small></p>" + style + head + body + "</table>"
    return table


def _glossary(results: list[dict]) -> str:
    from diffbench.bench.metric_registry import METRICS

    used = [m for m in dict.fromkeys(r["metric"] for r in results) if m in METRICS]
    if not used:
        return ""
    return "<p><b>metrics</b></p><ul style='font-size:12px'>" + "".join(
        f"<li><b>{m}</b>{f' ({METRICS[m].unit})' if METRICS[m].unit else ''}: {html.escape(METRICS[m].text)}</li>"
        for m in used) + "</ul>"


def _compare_text(compare: dict | None) -> str:
    if compare is None:
        return "<p>No regression gate was run (<code>--compare BASELINE.json</code>).</p>"
    base = html.escape(str(compare["baseline"]))
    problems = compare["problems"]
    if not problems:
        return (f"<p style='background:#e6f4ea;padding:6px'><b>Regression gate: passed</b> against {base}: no "
                "metric moved the wrong way beyond its tolerance, and the data (n, seeds, recipe, content hash) "
                "are the baseline's.</p>")
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    return (f"<div style='background:#fdecea;padding:6px'><b>Regression gate: failed</b> against {base} "
            f"({len(problems)} problems):<ul>{items}</ul></div>")


def _agreement_table(runs: list[dict], key: str = "iou_with", title: str = "IoU of selections",
                     caption: str = "IoU between the methods' selections, mean over seeds (paper 000 eq. 4):") -> str:
    """Mean pairwise agreement between the methods' selections over seeds (``key``: IoU or Cohen's
    κ), as an HTML table."""
    pairs = {}
    for r in runs:
        for other, v in r.get(key, {}).items():
            pairs.setdefault((r["method"], other), []).append(v)
    if not pairs:
        return ""
    names = sorted({a for a, _ in pairs} | {b for _, b in pairs})

    def cell(a, b):
        if a == b:
            return "1"
        return _fmt(float(np.nanmean(pairs[(a, b)]))) if (a, b) in pairs else ""

    head = f"<tr><th>{title}</th>" + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr>"
    body = "".join("<tr><th>" + html.escape(a) + "</th>" + "".join(f"<td>{cell(a, b)}</td>" for b in names) + "</tr>"
                   for a in names)
    return (f"<p>{caption}</p>"
            "<table style='border-collapse:collapse;font-size:12px' border='1' cellpadding='3'>" + head + body + "</table>")


def _iou_table(runs: list[dict]) -> str:
    return _agreement_table(runs) + _agreement_table(
        runs, "kappa_with", "Cohen's κ", "Cohen's κ between the methods' answers, mean over seeds (agreement beyond "
        "chance: how closely a re-implementation follows the program it imitates):")


def _leakage_table(runs: list[dict]) -> str:
    """Per latent, the R² of each nuisance from its 5 nearest neighbours (mean over seeds): what
    ``nuisance_r2`` (the largest) is made of."""
    per: dict = {}
    for r in runs:
        for field, v in (r.get("leakage") or {}).items():
            per.setdefault((r.get("role", "method"), r["method"]), {}).setdefault(field, []).append(v)
    if not per:
        return ""
    fields = sorted({f for d in per.values() for f in d})
    head = "<tr><th>role</th><th>latent</th>" + "".join(f"<th>{html.escape(f)}</th>" for f in fields) + "</tr>"
    body = "".join("<tr>" + f"<td>{html.escape(role)}</td><td>{html.escape(m)}</td>" + "".join(
        f"<td>{_fmt(float(np.nanmean(d[f]))) if f in d else ''}</td>" for f in fields) + "</tr>"
        for (role, m), d in per.items())
    return ("<p>Nuisance leakage: R² of each nuisance from the 5 nearest neighbours in the latent space, mean over "
            "seeds (1: the latent holds it; ≤ 0: it does not):</p>"
            "<table style='border-collapse:collapse;font-size:12px' border='1' cellpadding='3'>" + head + body + "</table>")


def _roc_figure(runs: list[dict]):
    from bokeh.plotting import figure

    curves = [(r, r["curves"]["roc"]) for r in runs if "roc" in r.get("curves", {})]
    if not curves:
        return None
    fig = figure(title="ROC (score_samples; one line per seed)", x_axis_label="false-positive rate",
                 y_axis_label="true-positive rate", x_range=(0, 1), y_range=(0, 1.01), **_PLOT)
    fig.line([0, 1], [0, 1], color="grey", line_dash="dashed")
    labels = sorted({_label(r) for r, _ in curves})
    colours = dict(zip(labels, _palette(len(labels))))
    for r, c in curves:
        fig.line(c["fpr"], c["tpr"], color=colours[_label(r)], legend_label=_label(r), line_width=2, alpha=0.7)
    fig.legend.location = "bottom_right"
    fig.legend.click_policy = "hide"
    return fig


def _psd_figures(runs: list[dict]):
    """Per method, the first seed's mean PSD of its selection, of the true targets and of all frames."""
    from bokeh.plotting import figure

    figs, seen = [], set()
    for r in runs:
        c = r.get("curves", {}).get("psd")
        if c is None or _label(r) in seen:
            continue
        seen.add(_label(r))
        q = r.get("curves", {}).get("psd_q_per_nm")
        fig = figure(title=f"PSD: {_label(r)} (seed {r['seed']})",
                     x_axis_label="q (nm⁻¹)" if q else "radius (pixels; no geometry)",
                     y_axis_label="mean photons per pixel", y_axis_type="log", **_PLOT)
        x = np.array([np.nan if v is None else v for v in q], float) if q else np.asarray(c["radius_px"], float)
        for (name, colour, dash) in (("selected", "#d62728", "solid"), ("true targets", "#1f77b4", "dashed"),
                                     ("all frames", "grey", "dotted")):
            y = np.array([np.nan if v is None else v for v in c[name]], float)
            ok = np.isfinite(y) & (y > 0) & np.isfinite(x)
            if ok.any():
                fig.line(x[ok], y[ok], color=colour, line_dash=dash, line_width=2, legend_label=name)
        fig.legend.location = "top_right"
        figs.append(fig)
    return figs


def _confusion_figure(title: str, labels: list[str], counts) -> object:
    from bokeh.models import ColumnDataSource, LinearColorMapper
    from bokeh.plotting import figure

    counts = np.asarray(counts, float)
    labels = [str(v) for v in labels]
    rows = counts.sum(axis=1, keepdims=True)
    frac = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    t, p = np.meshgrid(labels, labels, indexing="ij")
    # dark cells get white text: every count stays readable
    src = ColumnDataSource(dict(truth=t.ravel(), pred=p.ravel(), count=counts.ravel().astype(int),
                                frac=frac.ravel(), text=[f"{int(c):,}" for c in counts.ravel()],
                                ink=["white" if f > 0.55 else "black" for f in frac.ravel()]))
    fig = figure(title=title, x_range=labels, y_range=labels[::-1], x_axis_label="predicted",
                 y_axis_label="truth", width=_PLOT["width"], height=_PLOT["height"], toolbar_location=None,
                 tooltips=[("truth", "@truth"), ("predicted", "@pred"), ("count", "@count"), ("row fraction", "@frac{0.000}")])
    mapper = LinearColorMapper(palette="Blues256", low=1, high=0)
    fig.rect("pred", "truth", 1, 1, source=src, fill_color={"field": "frac", "transform": mapper}, line_color="white")
    fig.text("pred", "truth", text="text", source=src, text_align="center", text_baseline="middle",
             text_font_size="12px", text_color="ink")
    fig.xaxis.major_label_orientation = 0.6
    return fig


def _confusion_figures(task_results: list[dict], runs: list[dict]):
    figs = []
    for r in task_results:  # multi-class: summed over seeds by aggregate()
        if "confusion_matrix" in r:
            m = r["confusion_matrix"]
            figs.append(_confusion_figure(f"confusion: {_label(r)} (all seeds)", m["labels"], m["counts"]))
    binary = {}
    for r in runs:
        if "confusion" in r:
            c = binary.setdefault(_label(r), {"tp": 0, "fp": 0, "tn": 0, "fn": 0})
            for k in c:
                c[k] += r["confusion"][k]
    for label, c in binary.items():
        figs.append(_confusion_figure(f"confusion: {label} (all seeds)", ["target", "other"],
                                      [[c["tp"], c["fn"]], [c["fp"], c["tn"]]]))
    return figs


def _size_figures(runs: list[dict]):
    """Per method, histograms of fitted and true diameters summed over seeds. Each seed's histogram
    has its own bins (its data's range), so counts are re-binned by bin centre onto common bins."""
    from bokeh.plotting import figure

    per_method = {}
    for r in runs:
        h = r.get("curves", {}).get("size_hist")
        if h is not None:
            per_method.setdefault(_label(r), []).append(h)
    figs = []
    for label, hs in per_method.items():
        lo = min(h["edges_nm"][0] for h in hs)
        hi = max(h["edges_nm"][-1] for h in hs)
        edges = np.linspace(lo, hi, len(hs[0]["edges_nm"]))
        sums = {}
        for key in ("predicted", "truth"):
            sums[key] = sum(np.histogram(0.5 * (np.asarray(h["edges_nm"][:-1]) + np.asarray(h["edges_nm"][1:])),
                                         edges, weights=h[key])[0] for h in hs)
        fig = figure(title=f"sizes: {label} ({_seeds(len(hs))})", x_axis_label="diameter (nm)",
                     y_axis_label="patterns", **_PLOT)
        fig.quad(left=edges[:-1], right=edges[1:], top=sums["truth"], bottom=0, fill_color="#1f77b4", fill_alpha=0.4,
                 line_color=None, legend_label="truth")
        pred = sums["predicted"]
        fig.step(np.r_[edges[:-1], edges[-1]], np.r_[pred, pred[-1]], mode="after", color="#d62728", line_width=2,
                 legend_label="fitted")
        figs.append(fig)
    return figs


def _shell_figures(runs: list[dict]):
    """One figure per task: each row's shell correlation with the true intensity against q (its
    first seed), the ½-bit threshold dashed: what ``shell_correlation`` and ``resolution_nm`` (or
    their ``structure_`` versions) summarise."""
    from bokeh.palettes import Category10_10
    from bokeh.plotting import figure

    curves = {}
    for r in runs:
        for key in ("shell_correlation", "structure_shell_correlation"):
            c = r.get("curves", {}).get(key)
            if c is not None and _label(r) not in curves:
                curves[_label(r)] = c
    if not curves:
        return []
    fig = figure(title="shell correlation with the true intensity (first seed; dashed: ½-bit)",
                 x_axis_label="q (1/nm)", y_axis_label="correlation, radial profile removed", **_PLOT)
    for i, (label, c) in enumerate(curves.items()):
        q = np.asarray(c["q_per_nm"], float)
        v = np.array([np.nan if x is None else x for x in c["correlation"]], float)
        fig.line(q[1:], v[1:], color=Category10_10[i % 10], line_width=2, legend_label=label)
    fig.line(q[1:], np.asarray(c["half_bit"], float)[1:], color="black", line_dash="dashed")
    fig.legend.label_text_font_size = "8pt"
    return [fig]


def build_report(card: dict, descriptions: dict[str, str] | None = None, compare: dict | None = None):
    """The Bokeh layout of a scorecard: the regression gate's outcome, the metrics' definitions,
    then one section per task."""
    from bokeh.layouts import column, gridplot
    from bokeh.models import Div

    descriptions = descriptions or {}
    parts = [Div(text=f"<h1>diffbench benchmark report</h1><p>{card['tier']} tier, diffbench "
                      f"{card['diffbench_version']}, {card['created']}, {card['machine']['cpus']} CPUs. Values are "
                      "mean ± std over seeds; 95 % intervals: bootstrap of the mean over seeds (the independent units). Controls and oracles are listed above the methods; margin = method − best control on the primary metric (✔: its interval clears it). Paper numbers "
                      "are for the papers' own (real) data: context, not targets.</p>"
                      + _compare_text(compare) + _glossary(card["results"]), width=1300)]
    for task in dict.fromkeys(r["task"] for r in card["results"]):
        results = [r for r in card["results"] if r["task"] == task]
        runs = [r for r in card.get("runs", []) if r["task"] == task]
        desc = html.escape(descriptions.get(task, ""))
        parts.append(Div(text=f"<h2>{html.escape(task)}</h2><p>{desc}</p>" + _results_table(results) + _iou_table(runs)
                         + _leakage_table(runs),
                         width=1300))
        figs = [f for f in [_roc_figure(runs)] if f is not None]
        figs += _psd_figures(runs) + _confusion_figures(results, runs) + _size_figures(runs) + _shell_figures(runs)
        if figs:
            parts.append(gridplot(figs, ncols=3, toolbar_location=None))
    return column(*parts)


def write_report(card: dict, out, descriptions: dict[str, str] | None = None, compare: dict | None = None) -> Path:
    """Write the report as one HTML file (atomically); returns its path. ``compare``: the regression
    gate's outcome ({"baseline": path, "problems": [...]}), shown at the top."""
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    out = Path(out)
    text = file_html(build_report(card, descriptions, compare), INLINE, title="diffbench benchmark report")
    atomic_write_text(out, text)
    return out

"""Score methods against the simulator's truth on the benchmark tasks of datasets.yaml.

Examples:
  diffbench bench --list
  diffbench bench chaperonin-99-outliers --tier quick -o bench-out
  diffbench bench --tier quick -o bench-out --compare benchmarks/baseline-quick.json
  diffbench bench pr772-single-hits --methods size-filter --seeds 1 --n 500

Writes OUT/scorecard.json (task, method, metric, value, std, CI, seeds, timings, dataset hashes,
diffbench version), OUT/scorecard.md and OUT/report.html (Bokeh plots: ROC, selection PSDs,
confusion matrices, size histograms; self-contained, opens offline); datasets are simulated once into OUT/datasets/ and reused.
With --compare the exit status is 1 when a metric regressed beyond the tolerance.
"""

from __future__ import annotations

import sys


def add_args(p):
    p.add_argument("tasks", nargs="*", help="task names (default: all tasks of the tier)")
    p.add_argument("--list", action="store_true", help="list the tasks and exit")
    p.add_argument("--tier", default="quick", choices=["quick", "paper"])
    p.add_argument("--methods", nargs="+", help="only these method labels or names")
    p.add_argument("-o", "--output", default="bench-out", help="output folder (default bench-out)")
    p.add_argument("--seeds", type=int, nargs="+", help="override the tier's seeds")
    p.add_argument("--n", type=int, help="override the tier's number of patterns")
    p.add_argument("--shard-size", type=int, help="simulate the datasets as sharded indexes of this shard size")
    p.add_argument("--compare", metavar="BASELINE.json", help="exit 1 if a metric regressed vs this scorecard")
    p.add_argument("--tolerance", type=float,
                   help="allowed regression (default: 3 standard errors of the baseline's seed spread, "
                        "at least 0.01; 1 nm for size errors)")
    p.add_argument("--workers", type=int, default=1,
                   help="run the (task, seed) cells in K local processes of cores/K threads each "
                        "(default 1: in this process)")
    p.add_argument("--scheduler", help="run the cells on Dask: tcp://host:port or local:K (diffbench[dask])")
    p.add_argument("--config", help="YAML catalogue with the benchmarks section (default: datasets.yaml)")
    p.add_argument("--allow-imports", action="store_true",
                   help="let a --config name methods by import path (package.module:Class): that runs its code")


def main(args):
    import math
    from pathlib import Path

    from diffbench.bench.runner import aggregate, run_tasks
    from diffbench.bench.scorecard import (
        load_scorecard,
        make_scorecard,
        write_scorecard,
    )
    from diffbench.bench.tasks import load_tasks

    tasks = load_tasks(args.config)
    if args.config and not args.allow_imports:
        # a YAML file must not be enough to run code: import paths in it need the explicit flag
        for name in args.tasks or list(tasks):
            for label, method, _ in tasks[name].method_specs() if name in tasks else []:
                if ":" in method:
                    raise ValueError(f"benchmarks.{name}.methods.{label}: the import path {method!r} in "
                                     f"{args.config} would run its code; pass --allow-imports to allow it")
    if args.tolerance is not None and not (math.isfinite(args.tolerance) and args.tolerance >= 0):
        raise ValueError(f"--tolerance must be a finite number >= 0, got {args.tolerance}")
    if args.shard_size is not None and args.shard_size < 1:
        raise ValueError(f"--shard-size must be >= 1, got {args.shard_size}")
    if args.list:
        for name, t in tasks.items():
            sizes = ", ".join(f"{tier} {n:,}" for tier, n in t.n.items())  # a task runs in the tiers it names
            print(f"{name:32s} {t.recipe:20s} {sizes:>24s}  {t.description}" + (" [saturated]" if t.saturated else ""))
        return 0
    names = args.tasks or [n for n, t in tasks.items() if args.tier in t.n]
    unknown = [n for n in names if n not in tasks]
    if unknown:
        raise ValueError(f"unknown task(s) {', '.join(unknown)}; known: {', '.join(tasks)}")
    elsewhere = [n for n in names if args.tier not in tasks[n].n]
    if elsewhere:
        raise ValueError(f"task {elsewhere[0]} has no {args.tier} tier (its tiers: {', '.join(tasks[elsewhere[0]].n)})")
    if args.n is not None and args.n < 10:
        raise ValueError(f"--n must be at least 10, got {args.n}")
    if args.methods:
        from diffbench.methods.registry import available, get_method

        known = {x for n in names for label, m, _ in tasks[n].method_specs() for x in (label, m)} | set(available())
        for m in args.methods:
            if ":" in m:
                get_method(m)  # a bad import path fails here, naming it
            elif m not in known:
                raise ValueError(f"--methods {m}: no task of {', '.join(names)} has such a method; "
                                 f"known: {', '.join(sorted(known))} (or a package.module:Class path)")
        from diffbench.bench.runner import method_plan

        if not any(method_plan(tasks[n], args.methods) for n in names):  # refused before any simulation
            listed = sorted({label for n in names for label, _, _ in tasks[n].method_specs()})
            raise ValueError(f"--methods {' '.join(args.methods)}: none of the tasks {', '.join(names)} runs it "
                             f"(their methods: {', '.join(listed)}; a package.module:Class path runs on any task)")
    baseline = load_scorecard(args.compare) if args.compare else None
    if baseline is not None and baseline.get("tier") != args.tier:
        raise ValueError(f"--compare {args.compare}: a {baseline.get('tier')} tier baseline cannot gate a "
                         f"{args.tier} tier run")
    out = Path(args.output)
    if not 1 <= args.workers <= 1024:
        raise ValueError(f"--workers must be between 1 and 1024, got {args.workers}")
    from diffbench.bench.runner import unavailable
    from diffbench.simulate.executors import make_executor

    for name in names:
        for label, m, _ in tasks[name].method_specs():
            why = unavailable(m)
            if why:
                print(f"note: {name} / {label} skipped: {why}")
    ex = make_executor(args.workers, args.scheduler, share_cores=True)
    try:
        rows = run_tasks(names, tasks, args.tier, out / "datasets", args.methods, args.seeds, args.n,
                         args.shard_size, log=lambda m: print(m, flush=True), config=args.config, executor=ex)
    except BaseException:
        if ex is not None:
            ex.close(cancel=True)
            ex = None
        raise
    finally:
        if ex is not None:
            ex.close()
    results = aggregate(rows, tasks)
    paths = write_scorecard(make_scorecard(results, rows, args.tier, {n: tasks[n] for n in names}), out)
    print(paths["markdown"].read_text())
    print(f"scorecard: {paths['json']}  table: {paths['markdown']}")
    problems, outcome = None, None
    if baseline is not None:
        problems = _compare(args, baseline, results, names, tasks)
        outcome = {"baseline": args.compare, "problems": problems}
    try:
        from diffbench.bench.report import write_report
        from diffbench.utils.optional import require

        require("bokeh", "the HTML report")
        report = write_report(load_scorecard(paths["json"]), out / "report.html",
                              {n: tasks[n].description + (f" — saturated: {tasks[n].saturated}" if tasks[n].saturated
                                                          else "") for n in names}, compare=outcome)
        print(f"report: {report} (self-contained HTML, opens offline)")
    except ImportError as exc:  # bokeh is the `viewer` extra
        print(f"no HTML report: {exc}")
    if problems:
        print("regressions against " + args.compare + ":", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    if problems is not None:
        print(f"no regression against {args.compare}")
    return 0


def _compare(args, baseline, results, names, tasks) -> list[str]:
    """The regressions of ``results`` against the baseline's entries of the tasks and methods run."""
    from diffbench.bench.runner import compare, unavailable
    from diffbench.bench.scorecard import machine_tag

    base = baseline["results"]
    if args.tasks:  # a run of some tasks is compared with the baseline's entries of those tasks
        base = [b for b in base if b["task"] in names]
    if args.methods:
        base = [b for b in base if b["method"] in args.methods or b.get("role") in ("control", "oracle")
                or any(b["method"] == label and b["task"] == t for t in names
                       for label, m, _ in tasks[t].method_specs() if m in args.methods)]
    registered = {label: m for t in names for label, m, _ in tasks[t].method_specs()}
    skipped = sorted({b["method"] for b in base if b["method"] in registered and unavailable(registered[b["method"]])})
    for m in skipped:
        print(f"note: {m} is not compared: {unavailable(registered[m])}")
    base = [b for b in base if b["method"] not in skipped]
    if baseline.get("machine", {}).get("node") != machine_tag()["node"]:
        print("note: the baseline's timings come from another machine; timings are not compared")
    return compare(results, base, args.tolerance, log=print)

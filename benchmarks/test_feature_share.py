"""How much of each method's run time goes to the shared features (issue "benchmark harness", §2).

The issue asks that features (radial profiles, Fourier downsampling, polar resampling, cell binning,
RIA with beam-centre refinement) do not dominate method run times. Each method is fitted and asked
for its answer (``predict``, as the bench times it) on the first seed of its task's data, under
cProfile; the feature time is the cumulative time of the feature functions, counted where they are
called from non-feature code (no double counting of nested features), and reading the frames from
disk (``read_rows``) is reported apart. `make test` runs the small configuration once as a check;
DIFFBENCH_BENCH_FULL=1 uses the quick tier's N and prints the table that the closing note quotes.
"""

import cProfile
import os
import pstats
import time

import pytest

FULL = os.environ.get("DIFFBENCH_BENCH_FULL") == "1"

#: (module file, function name) of every feature entry point
FEATURES = {
    ("features.py", name) for name in ("__call__", "fourier_downsample", "log_transform", "polar_resample",
                                       "crop_center", "angular_fourier_features", "radial_profile")
} | {
    ("ed_ria.py", "refine_beam_centres"), ("ed_ria.py", "radial_average"),
    ("em2d.py", "beam_cells"), ("em2d.py", "_counts"), ("em2d.py", "symmetry_scores"),
    ("ipca_envelope.py", "_features"),
}
READING = {("rows.py", "read_rows")}

SMALL_SCANS = ["scan.nx=12", "scan.ny=12"]
#: (task, method label, N and extra overrides of the small configuration); the full configuration
#: is the task's quick tier as the bench runs it
CASES = [
    ("chaperonin-80-outliers", "ipca-envelope", 200, []),
    ("pr772-single-hits", "ipca-envelope", 150, []),
    ("pr772-single-hits", "size-filter", 150, []),
    ("pr772-single-hits", "em-selection", 150, []),
    ("pr772-size", "sphere-size", 60, []),
    ("ed-scan-classification", "ria-svm", 6, SMALL_SCANS),
    ("ed-scan-classification", "ria-fcnn", 6, SMALL_SCANS),
    ("ed-scan-pcc-clustering", "pcc-clustering", 6, SMALL_SCANS),
]


def _key(func) -> tuple[str, str]:
    return os.path.basename(func[0]), func[2]


def attributed_seconds(stats: pstats.Stats, names: set) -> float:
    """Cumulative seconds in the functions ``names``, summed over calls from functions outside them."""
    total = 0.0
    for func, (_, _, _, _, callers) in stats.stats.items():
        if _key(func) in names:
            total += sum(ct for caller, (_, _, _, ct) in callers.items() if _key(caller) not in names)
    return total


@pytest.fixture(scope="module")
def data_folder(tmp_path_factory):
    return tmp_path_factory.mktemp("share")


@pytest.mark.parametrize("task_name,label,n_small,small_overrides", CASES, ids=[f"{t}/{m}" for t, m, *_ in CASES])
def test_feature_share(benchmark, data_folder, task_name, label, n_small, small_overrides):
    from diffbench.bench.runner import dataset_path, ensure_dataset, resolve_params, target_values
    from diffbench.bench.tasks import load_tasks
    from diffbench.io.readers import open_any
    from diffbench.methods.base import fit_method
    from diffbench.methods.frames import as_frames
    from diffbench.methods.registry import make_method

    task = load_tasks()[task_name]
    n, seed = (task.n["quick"] if FULL else n_small), task.seeds["quick"][0]
    task = task.for_tier("quick")
    if not FULL:
        task = task.model_copy(update={"overrides": task.overrides + small_overrides})
    path = ensure_dataset(dataset_path(data_folder, task, n, seed), task, n, seed, log=lambda *a: None)
    name, params = next((m, p) for lab, m, p in task.method_specs() if lab == label)
    with open_any(path) as ds:
        y = target_values(ds, task.target)
        frames = as_frames(ds)

        def run():
            est = make_method(name, **resolve_params(params, y))
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            prof.enable()
            fit_method(est, frames, y)
            est.predict(frames)
            prof.disable()
            return time.perf_counter() - t0, pstats.Stats(prof)

        total_s, stats = benchmark.pedantic(run, rounds=1)
    feature_s = attributed_seconds(stats, FEATURES)
    reading_s = attributed_seconds(stats, READING)
    # IPCA on 128x128 frames downsamples nothing, so its feature time is ~0, not an error
    assert 0 <= feature_s < total_s and 0 <= reading_s < total_s
    benchmark.extra_info.update(n=len(frames), total_s=round(total_s, 3), feature_s=round(feature_s, 3),
                                reading_s=round(reading_s, 3), feature_share=round(feature_s / total_s, 3),
                                reading_share=round(reading_s / total_s, 3))
    print(f"\n{task_name}/{label}: N={len(frames)}, {total_s:.2f} s under the profiler, features "
          f"{feature_s / total_s:.0%}, reading {reading_s / total_s:.0%}")

"""Benchmark tasks: the ``benchmarks:`` section of ``datasets.yaml``, validated up front.

A task names a dataset recipe (with overrides), its size and seeds per tier, the truth field that
defines the target class, how the data are split, the methods (name → parameters) and the
metrics. Example::

    chaperonin-99-outliers:
      description: single vs double hits 99:1, IPCA + Elliptic Envelope (paper 004)
      paper: "004"
      recipe: chaperonin-99-v7
      overrides: ["detector.preset=pnccd-amo86615-bin8"]
      n: {quick: 2000, paper: 10000}
      seeds: {quick: [1, 2, 3], paper: [13]}
      target: is_single_hit
      split: none
      methods:
        ipca-envelope: {contamination: 0.1}
        ipca-envelope@true-fraction: {method: ipca-envelope, contamination: true-fraction}
      metrics: [precision, recall, f1, specificity, roc_auc]

Splits (supervised methods get the training labels; unsupervised ones ignore them):

- ``split: none`` fits and scores on the whole set (unsupervised methods, as in the papers);
- ``split: {test_fraction: 0.5}``: a random split stratified on the target (seeded by the task seed);
- ``split: {group: scan_index, test: {same-session: [-2], shifted-session: [-1]}}``: whole groups
  (e.g. ED scans, MX data sets) never straddle train and test; each named test set lists positions
  in the sorted distinct values of the group field (negative = from the end); every other group
  trains. Scores are reported per named test set;
- ``split: {group: scan_index, each: true}``: fit and predict every group on its own
  (transductive methods such as the clustering of one scan's PCC matrix);
- ``pools: {name: [overrides], ...}`` simulates the recipe once per pool (``n`` frames each; see
  :mod:`.pools`) and reads them as one data set whose truth has a ``pool`` column; a group split on
  ``pool`` names its test pools by name (``test: {ferritin: [ferritin]}``) and trains on the others;
- ``support: [1, 5, 20]`` in a group split: few-shot scoring. For each test set and each k, k
  labelled frames per class are drawn from the test set (seeded by the task seed, the test name
  and k); a method that has ``set_support(X, y)`` (a few-shot method, the photon-count control)
  is given them, every method is scored on the remaining frames (test set ``NAME k=K``).

Targets whose truth is boolean (or 0/1) are scored as binary (positive = 1); other targets
(strings such as the ED material label) as multi-class; ``target: orientation`` (single hits only)
scores each frame's orientation and the structure the orientations build (metrics
``orientation_median_deg``, ``shell_correlation``, ...; the merge grid in ``scoring:``). A method entry's key is its label in the
scorecard; ``method:`` gives the registered name when the label differs. The parameter value
``true-fraction`` is replaced by the true outlier fraction of the data (1 − mean target).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from diffbench.bench.metric_registry import METRICS as METRIC_REGISTRY
from diffbench.recipes.catalogue import RecipeError, load_catalogue
from diffbench.recipes.schema import format_validation_error

#: names of the metrics a task may list (:mod:`.metric_registry` says what each means)
METRICS = tuple(METRIC_REGISTRY)


#: the parameters of :class:`diffbench.methods.emc3d.EMC3D` a task's ``scoring`` may set (named here so
#: that loading the catalogue imports no method; a test keeps the list equal to the signature)
EMC3D_PARAMETERS = ("grid_radius", "num_div", "n_iter", "point_group", "bin_px", "r_min_px", "r_max_px", "friedel",
                    "beta", "beta_jump", "beta_period", "start", "chunk_size", "progress", "random_state")


#: the type each ``scoring`` option takes (a wrong one is a one-line error when the catalogue loads,
#: not a failure minutes into a run)
SCORING_TYPES = {"structure": (str,), "structure_groups": (list,), "nuisances": (list,),
                 "grid_radius": (int,), "num_div": (int,), "n_iter": (int,), "point_group": (str,),
                 "bin_px": (int, type(None)), "r_min_px": (int, float), "r_max_px": (int, float, type(None)),
                 "friedel": (bool,), "beta": (int, float, type(None)), "beta_jump": (int, float),
                 "beta_period": (int,), "start": (str,), "chunk_size": (int,), "progress": (bool, type(None)),
                 "random_state": (int, type(None))}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Split(_Strict):
    test_fraction: Annotated[float, Field(gt=0, lt=1)]


class GroupSplit(_Strict):
    group: str
    #: positions in the sorted distinct group values (negative from the end), or the values themselves
    test: dict[str, list[int | str]]
    support: list[Annotated[int, Field(ge=1)]] = []

    @field_validator("test")
    @classmethod
    def _some_groups(cls, v):
        if not v or any(not g for g in v.values()):
            raise ValueError("name at least one test set, each with at least one group position")
        return v


class PerGroup(_Strict):
    group: str
    each: Literal[True]


class Sweep(_Strict):
    """Graded difficulty: the task's data simulated at each value of one recipe key (a physical
    axis: photons per pattern, double separation, size overlap, ring amplitude); every score is
    reported per value (as its test set ``KEY=VALUE``)."""

    key: str
    values: dict[Literal["quick", "paper"], list] | list

    def for_tier(self, tier: str) -> list:
        return list(self.values.get(tier, [])) if isinstance(self.values, dict) else list(self.values)


class Task(_Strict):
    description: str
    paper: str | None = None
    recipe: str
    overrides: list[str] | dict[Literal["quick", "paper"], list[str]] = []  # per tier when a mapping
    #: patterns (scans, data sets for ED, MX) per tier; a task runs in the tiers it names (a costly
    #: task that another one covers in the quick tier names only ``paper``)
    n: dict[Literal["quick", "paper"], Annotated[int, Field(ge=1)]]
    seeds: dict[Literal["quick", "paper"], list[Annotated[int, Field(ge=0)]]]
    target: str
    #: the truth value of the positive class of a binary target: the minority / target class
    #: (``false`` for double hits in an ``is_single_hit`` task)
    positive: bool = True
    select: str | None = None  # score only patterns where this truth field is true (e.g. is_single_hit)
    split: Literal["none"] | Split | GroupSplit | PerGroup = "none"
    methods: dict[str, dict]
    #: upper bounds that read the truth (role "oracle"), scored like methods but shown with the controls
    oracles: dict[str, dict] = {}
    metrics: list[str]
    #: the one metric a task is judged by (default: the first of ``metrics``)
    primary: str | None = None
    #: truth fields whose bins every score is also reported in (photons, size, separation, session...)
    conditions: list[str] = []
    #: fixed bin edges (increasing) for numeric conditions: the same bins on every seed, so the
    #: per-bin scores aggregate over seeds (without: quartiles of each data set's own values)
    condition_bins: dict[str, list[float]] = {}
    sweep: Sweep | None = None
    #: pool name → extra overrides: the recipe simulated once per pool, read as one data set (truth ``pool``)
    pools: dict[str, list[str]] = {}
    #: a task on which a control matches or beats every method (a paper setting the photon count
    #: solves; a transfer question where it does on some test sets) says so here, and why (it is kept
    #: to reproduce the paper or to measure, not to rank methods by its primary score)
    saturated: str | None = None
    #: options of the task's scorer (an orientation task: the grid on which every row's orientations
    #: are merged into the structure scored against the true volume, EMC3D's grid_radius, r_max_px...)
    scoring: dict = {}
    #: score class averages instead of frames: the parameters of BootstrapAverages (n_runs, fraction,
    #: em2d_params), run once per data set before every method (:mod:`.averaged`)
    averages: dict | None = None
    paper_numbers: dict[str, str] = {}

    @field_validator("primary")
    @classmethod
    def _primary_is_a_metric(cls, v, info):
        if v is not None and v not in (info.data.get("metrics") or []):
            raise ValueError(f"primary metric {v!r} is not among the task's metrics")
        return v

    @field_validator("condition_bins")
    @classmethod
    def _bins_increase(cls, v, info):
        for f, e in v.items():
            if f not in (info.data.get("conditions") or []):
                raise ValueError(f"{f}: bins for a field that is not among the task's conditions")
            if len(e) < 2 or any(b <= a for a, b in zip(e, e[1:])):
                raise ValueError(f"{f}: bin edges must be at least two increasing numbers, got {e}")
        return v

    @field_validator("scoring")
    @classmethod
    def _known_scoring_options(cls, v):
        # the latent scorer's fields, the downstream EMC's settings, and the orientation scorer's merge
        # grid (EMC3D's own parameters)
        known = {"structure", "structure_groups", "nuisances", "emc3d"} | set(EMC3D_PARAMETERS)
        bad = sorted(set(v) - known)
        if bad:
            raise ValueError(f"unknown scoring options {bad}; known: {', '.join(sorted(known))}")
        if "emc3d" in v and not isinstance(v["emc3d"], dict):
            raise ValueError(f"scoring.emc3d must be a mapping of EMC3D parameters, got {v['emc3d']!r}")
        bad = sorted(set(v.get("emc3d") or {}) - set(EMC3D_PARAMETERS))
        if bad:
            raise ValueError(f"unknown emc3d options {bad} under scoring; known: {', '.join(EMC3D_PARAMETERS)}")
        for where, opts in (("scoring", {k: x for k, x in v.items() if k != "emc3d"}),
                            ("scoring.emc3d", v.get("emc3d") or {})):
            for key, value in opts.items():
                types = SCORING_TYPES[key]
                ok = isinstance(value, types) and not (isinstance(value, bool) and bool not in types)
                if key in ("structure_groups", "nuisances"):
                    ok = isinstance(value, list) and all(isinstance(x, str) for x in value)
                if not ok:
                    names = "a list of field names" if key in ("structure_groups", "nuisances") else \
                        " or ".join("none" if t is type(None) else t.__name__ for t in types)
                    raise ValueError(f"{where}.{key} must be {names}, got {value!r}")
        return v

    @field_validator("seeds")
    @classmethod
    def _seeds_for_every_tier(cls, v, info):
        n = info.data.get("n") or {}
        if set(v) != set(n):
            raise ValueError(f"seeds name the tiers {sorted(v)} but n names {sorted(n)}: a task needs both per tier")
        return v

    @property
    def primary_metric(self) -> str:
        return self.primary or self.metrics[0]

    @field_validator("metrics")
    @classmethod
    def _known_metrics(cls, v):
        bad = [m for m in v if m not in METRICS]
        if bad:
            raise ValueError(f"unknown metrics {bad}; known: {', '.join(METRICS)}")
        return v

    @field_validator("methods", "oracles")
    @classmethod
    def _known_methods(cls, v):
        from diffbench.methods.registry import available

        for label, params in v.items():
            name = (params or {}).get("method", label)
            if name not in available() and ":" not in name:
                raise ValueError(f"{label}: unknown method {name!r}; known: {', '.join(available())}")
            tiers = (params or {}).get("tiers", ["quick", "paper"])
            if not isinstance(tiers, list) or not set(tiers) <= {"quick", "paper"}:
                raise ValueError(f"{label}: tiers must be a list of quick and paper, got {tiers!r}")
        return v

    def scoring_fields(self) -> list[str]:
        """Truth fields the scorer reads beyond the target (a latent task's structure and nuisances)."""
        s = self.scoring
        return ([s["structure"]] if s.get("structure") else []) + list(s.get("nuisances", []))

    def for_tier(self, tier: str) -> "Task":
        """This task with the overrides of ``tier`` (tasks may simulate smaller data in the quick tier)
        and the methods and oracles that run in it (an entry with ``tiers: [paper]`` runs only there:
        a network that costs minutes in a tier with a time budget)."""
        update = {}
        if isinstance(self.overrides, dict):
            update["overrides"] = list(self.overrides.get(tier, []))
        for key in ("methods", "oracles"):
            entries = getattr(self, key)
            if any("tiers" in (params or {}) for params in entries.values()):
                update[key] = {label: {k: v for k, v in (params or {}).items() if k != "tiers"}
                               for label, params in entries.items() if tier in (params or {}).get("tiers", [tier])}
        return self.model_copy(update=update) if update else self

    def pool_task(self, pool: str) -> "Task":
        """The plain task that simulates one of this task's pools (its overrides appended)."""
        return self.model_copy(update={"overrides": list(self.overrides) + list(self.pools[pool]), "pools": {}})

    def method_specs(self, oracles: bool = False) -> list[tuple[str, str, dict]]:
        """(label, registered name, parameters) for every method (or every oracle) of the task."""
        out = []
        for label, params in (self.oracles if oracles else self.methods).items():
            params = dict(params or {})
            out.append((label, params.pop("method", label), params))
        return out


def load_tasks(config=None) -> dict[str, Task]:
    """All tasks of the catalogue, validated; errors name the dotted path."""
    raw = load_catalogue(config).get("benchmarks") or {}
    tasks = {}
    for name, body in raw.items():
        try:
            tasks[name] = Task.model_validate(body)
        except ValidationError as exc:
            raise RecipeError(format_validation_error(exc, f"benchmarks.{name}")) from None
    return tasks

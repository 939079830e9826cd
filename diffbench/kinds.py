"""The kinds of data diffbench simulates, as objects in one registry.

A data kind (single-particle imaging frames, electron-diffraction scans, merged MX reflection
data, X-ray droplet frames) decides which recipe schema validates a recipe, which simulator writes
it, what ``-n`` counts, which run options apply, and how its files are opened and summarised.
Everything that differs between kinds is a field of :class:`DataKind`; code elsewhere asks the
registry (:func:`get`, :func:`of_recipe`) instead of testing kind names.

Entry points are ``"module:attribute"`` strings, imported only when used, so this module is
light (the Gymnasium registry pattern: ``register`` / ``get`` / ``available``).

Adding a kind: write its schema (a pydantic model with a ``kind: Literal[...]`` field), a
``write(run)`` function taking a :class:`diffbench.simulate.driver.Run`, and call
:func:`register` with them.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

DEFAULT_KIND = "spi"  # recipes and files written before kinds were recorded are SPI


class KindError(ValueError):
    """An unknown kind, or a run option the kind does not support; the message names both."""


@dataclass(frozen=True)
class DataKind:
    """One kind of simulated data.

    Attributes
    ----------
    name : the value of ``kind:`` in a recipe and of the ``kind`` attribute of its files.
    unit : what ``-n`` counts ("patterns", "scans", ...).
    schema : ``"module:Class"`` of the pydantic recipe model.
    writer : ``"module:function"`` writing a run (``write(run) -> Path``).
    reader : ``"module:callable"`` opening a written file (a context manager with ``truth``,
        ``attrs`` and ``len``).
    summary : ``"module:function"`` giving ``diffbench info``'s text for an opened file.
    truth : ``"module:attribute"`` of the structured dtype of its per-item truth (one row per
        frame, or per data set), every field of which a file of this kind holds.
    count_attr : the file attribute holding the ``-n`` of the run that wrote it.
    frames : whether its files hold detector frames (methods read them as :class:`Frames`).
    noise : whether ``--no-noise`` (expected counts as float32) applies.
    compression : whether ``--compression`` applies (frames written through the CXI writer).
    workers : whether ``--workers K`` runs K processes.
    default_latent : the latent method ``diffbench view`` opens a file of this kind with.
    items_per_worker : about how many items a worker process must write to repay its start-up
        (imports, kernels) over one process; ``--workers auto`` gives each at least this many.
    cores_per_process : how many cores one process keeps busy by itself (its render threads);
        ``--workers auto`` starts worker processes only on machines with more.
    shardable : whether ``--shard-size`` (shards plus an index) applies.
    description : one line for ``diffbench list`` and error messages.
    """

    name: str
    unit: str
    schema: str
    writer: str
    reader: str
    summary: str
    truth: str
    count_attr: str = "n_patterns"
    frames: bool = True
    noise: bool = True
    compression: bool = True
    workers: bool = False
    items_per_worker: int = 1
    cores_per_process: int = 1
    default_latent: str = "ipca-envelope"
    shardable: bool = False
    description: str = ""

    def load(self, field: str):
        """Import the object named by the entry point ``field`` (schema, writer, reader, summary, truth)."""
        return _import(getattr(self, field))

    def recipe_model(self):
        """The pydantic recipe model of this kind."""
        return self.load("schema")

    def open(self, path):
        """Open a file of this kind for reading (use as a context manager)."""
        return self.load("reader")(path)

    def check_options(self, *, noise=None, compression=None, workers: int = 1, shard_size=None) -> None:
        """Refuse, with one line naming the option, a run option this kind does not support
        (``None`` and 1 mean "not asked for")."""
        asked = [("--no-noise", noise is False and not self.noise),
                 ("--compression", compression is not None and not self.compression),
                 ("--workers", workers not in (None, 1) and not self.workers),
                 ("--shard-size", shard_size is not None and not self.shardable)]
        for flag, refused in asked:
            if refused:
                able = [k.name for k in _REGISTRY.values() if _supports(k, flag)]
                raise KindError(f"{flag} does not apply to {self.name} recipes (kinds that take it: "
                                f"{', '.join(able) or 'none'})")


def _supports(kind: DataKind, flag: str) -> bool:
    return {"--no-noise": kind.noise, "--compression": kind.compression, "--workers": kind.workers,
            "--shard-size": kind.shardable}[flag]


def _import(path: str):
    module, _, attr = path.partition(":")
    obj = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


_REGISTRY: dict[str, DataKind] = {}


def register(kind: DataKind) -> DataKind:
    """Add ``kind`` to the registry; a name already taken is an error."""
    if kind.name in _REGISTRY:
        raise KindError(f"a data kind named {kind.name!r} is already registered")
    _REGISTRY[kind.name] = kind
    return kind


def available() -> list[str]:
    """Names of every registered kind."""
    return sorted(_REGISTRY)


def get(name: str | bytes | None) -> DataKind:
    """The kind called ``name`` (``None``: the default, SPI); unknown names list the known ones."""
    if isinstance(name, bytes):
        name = name.decode()
    name = DEFAULT_KIND if name is None else name
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KindError(f"kind: unknown data kind {name!r}; known: {', '.join(available())}") from None


def of_recipe(raw) -> DataKind:
    """The kind of a raw (unvalidated) recipe dict: its ``kind`` key, SPI when absent."""
    return get(raw.get("kind") if isinstance(raw, dict) else None)


register(DataKind(
    name="spi", unit="patterns",
    schema="diffbench.simulate.spi.schema:Recipe",
    writer="diffbench.simulate.spi.run:write_spi",
    reader="diffbench.io.cxi:open_dataset",
    summary="diffbench.cli.info:spi_summary",
    truth="diffbench.simulate.spi.engine:PATTERN_DTYPE",
    workers=True, shardable=True,
    # a worker re-imports numba/scipy and loads the kernels (~1 s) while one process already renders
    # on every core's thread: 2 workers matched one process at 10^4 GroEL frames (closing note, issue 23)
    items_per_worker=10_000,
    # one process's render threads (one per core) fed by its planning and writing thread: on 2 cores
    # 2 workers ran 0.83-0.98x one process at 10^5 frames (GroEL and Dragonfly's job, 128^2; closing
    # note, issue 23). Machines with more cores were not measured: there auto keeps its per-core rule
    cores_per_process=2,
    # brightness-normalised frames: 5-NN hit-class accuracy 0.63 vs 0.48 on a PR772 mix, |rho| of PC 1
    # with log photons 0.12 vs 0.98 (scripts/latent_choice.py)
    default_latent="shape-pca",
    description="single-particle imaging frames: particles, hits, rings, detector, photon noise"))
register(DataKind(
    name="ed-scan", unit="scans",
    schema="diffbench.simulate.ed.schema:EDScanRecipe",
    writer="diffbench.simulate.ed.run:write_ed",
    reader="diffbench.io.cxi:open_dataset",
    summary="diffbench.cli.info:ed_summary",
    truth="diffbench.simulate.ed.run:ED_FRAME_DTYPE",
    count_attr="n_scans",
    description="narrow-beam electron-diffraction scans over holey carbon, ice and crystals (paper 002)"))
register(DataKind(
    name="mx-merged", unit="data sets",
    schema="diffbench.simulate.mx.schema:MXRecipe",
    writer="diffbench.simulate.mx.run:write_mx",
    reader="diffbench.io.mx:MXCollection",
    summary="diffbench.cli.info:mx_summary",
    truth="diffbench.simulate.mx.run:DATASET_DTYPE",
    count_attr="n_datasets", frames=False, noise=False, compression=False, workers=True,
    description="merged reflection data (MTZ) with ice-ring artefacts (paper 003)"))
register(DataKind(
    name="xray-droplet", unit="frames",
    schema="diffbench.simulate.droplet.schema:DropletRecipe",
    writer="diffbench.simulate.droplet.run:write_droplets",
    reader="diffbench.io.cxi:open_dataset",
    summary="diffbench.cli.info:droplet_summary",
    truth="diffbench.simulate.droplet.run:DROPLET_DTYPE",
    description="X-ray frames of liquid or frozen water droplets"))

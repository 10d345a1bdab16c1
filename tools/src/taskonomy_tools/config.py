"""Run configuration: dataclasses with named profiles, read from TOML, written back resolved.

A run is fully described by one `RunConfig`; every stage hashes the part of it that it depends
on, so changing a setting reruns exactly the stages downstream of it.

>>> cfg = profile("tiny")
>>> cfg.dataset.resolution, cfg.taxonomy.orders
(32, (1, 2))
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEMO_TASKS = (
    # 3D
    "rgb2depth",
    "rgb2sfnorm",
    "reshade",
    "edge3d",
    "keypoint3d",
    "curvature",
    # 2D
    "edge2d",
    "keypoint2d",
    "autoencoder",
    "denoise",
    # semantic
    "segmentsemantic",
    "class_1000",
    "class_places",
    # low-dimensional geometry
    "vanishing_point",
    "room_layout",
)
# The tests' tasks: each kind of output once or twice, a view pair, then tiles (a source only) and
# point matching (a target without a network of its own).
TINY_TASKS = ("rgb2depth", "rgb2sfnorm", "edge2d", "autoencoder", "class_places", "fix_pose")
# Taskonomy's 22 targets: the demo's and the rest, multi-view ones included.
FULL_TARGETS = (
    *DEMO_TASKS,
    "rgb2mist",
    "segment2d",
    "segment25d",
    "fix_pose",
    "non_fixated_pose",
    "ego_motion",
    "point_match",
)
# Plus the source-only tasks: Taskonomy's 25 trained sources (with `random`, 26).
FULL_SOURCES = (*FULL_TARGETS, "colorization", "impainting_whole", "jigsaw")


@dataclass(frozen=True)
class DatasetConfig:
    """Where the images come from: the built-in generator, or an ingest of the original layout."""

    kind: str = "synthetic"  # "synthetic" | "ingest" | "store"
    buildings: int = 32
    resolution: int = 32
    seed: int = 0
    source: str = ""  # ingest: the original layout's folder; store: an existing Zarr store
    split: str = ""  # ingest: which building split CSV (tiny, medium, full, fullplus)


@dataclass(frozen=True)
class TaskConfig:
    """The dictionary: which tasks get networks (sources) and which we want solved (targets)."""

    sources: tuple[str, ...] = DEMO_TASKS
    targets: tuple[str, ...] = DEMO_TASKS
    source_only: tuple[str, ...] = ()
    novel: str = "reshade"  # held out as a target-only task for the novel-task experiment
    # [tasks.NAME] tables: tasks Taskonomy does not have (see customtasks.py), name -> settings
    custom: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class TrainConfig:
    """Step I: task-specific networks."""

    encoder: str = "tiny"
    epochs: int = 12
    batch_size: int = 32
    lr: float = 2e-3
    max_train_samples: int = 0  # 0: the whole train split
    threads: int = 0  # 0: what the machine has, shared across parallel workers
    device: str = "auto"


@dataclass(frozen=True)
class TransferConfig:
    """Step II: readouts on frozen representations, trained on little data."""

    transfer_samples: int = 512
    test_samples: int = 0  # 0: the whole test split
    epochs: int = 12
    batch_size: int = 64
    lr: float = 2e-3
    beam_pairs: int = 5
    beam_triples: int = 4
    beam_quads: int = 3
    max_order: int = 4
    # > 0: train only the k best-estimated first-order readouts per target (by
    # [estimates] prune_by), and build the higher-order beam from them
    prune_top_k: int = 0


@dataclass(frozen=True)
class EstimatesConfig:
    """Cheap transferability estimates from the cached representations, beside the readouts."""

    methods: tuple[str, ...] = ("logme", "hscore", "ridge")  # () = skip the estimates
    pixels_per_image: int = 64  # dense targets: pixels sampled per transfer image
    # > 0 (with [transfer] prune_top_k = 0): also train the pruned run, keeping only the k
    # best-estimated sources per target, and report its time saved and regret
    prune_top_k: int = 3
    prune_by: str = "logme"  # the estimator that ranks the sources for pruning


@dataclass(frozen=True)
class TaxonomyConfig:
    """Step IV and evaluation."""

    orders: tuple[int, ...] = (1, 2, 3, 4)
    transform: str = "identity"
    random_taxonomies: int = 200
    time_limit: float = 30.0
    bootstrap: int = 100  # replicates of the test set for error bars (0 = none)
    bootstrap_by: str = "building"  # "building" (cluster bootstrap) | "sample"
    # other seeds to rerun the first-order analysis with (networks, readouts and, on the
    # built-in data, buildings), for the report's stability across seeds; [] = none
    seeds: tuple[int, ...] = (1, 2)


@dataclass(frozen=True)
class ComputeConfig:
    """How jobs run: serially in this process, or on a Dask cluster."""

    scheduler: str = "serial"  # "serial" | "local" | a scheduler address (tcp://host:port)
    workers: int = 2
    threads_per_worker: int = 1
    gpus_per_worker: int = 0


@dataclass(frozen=True)
class RunConfig:
    dataset: DatasetConfig = field(default_factory=DatasetConfig)
    tasks: TaskConfig = field(default_factory=TaskConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    transfer: TransferConfig = field(default_factory=TransferConfig)
    estimates: EstimatesConfig = field(default_factory=EstimatesConfig)
    taxonomy: TaxonomyConfig = field(default_factory=TaxonomyConfig)
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def section(self, name: str) -> dict[str, Any]:
        return dataclasses.asdict(getattr(self, name))


PROFILES: dict[str, dict[str, Any]] = {
    "demo": {},
    "tiny": {
        "dataset": {"buildings": 6, "resolution": 32},
        "tasks": {
            "sources": (*TINY_TASKS, "jigsaw"),
            "targets": (*TINY_TASKS, "point_match"),
            "novel": "rgb2sfnorm",
        },
        "train": {"epochs": 2, "max_train_samples": 256, "threads": 1},
        "transfer": {
            "transfer_samples": 128,
            "test_samples": 128,
            "epochs": 4,
            "beam_pairs": 3,
            "beam_triples": 3,
            "beam_quads": 0,
            "max_order": 2,
        },
        "taxonomy": {"orders": (1, 2), "random_taxonomies": 40, "seeds": ()},
    },
    "full": {
        "dataset": {"buildings": 200, "resolution": 128},
        "tasks": {"sources": FULL_SOURCES, "targets": FULL_TARGETS},
        "train": {"encoder": "resnet50", "epochs": 30, "batch_size": 32, "lr": 1e-4},
        "transfer": {"transfer_samples": 16000, "epochs": 30},
        "taxonomy": {"seeds": ()},
        "compute": {"scheduler": "local", "gpus_per_worker": 1},
    },
}


def build(overrides: dict[str, Any], base: RunConfig | None = None) -> RunConfig:
    """Apply nested `overrides` (as read from TOML) to `base`, rejecting unknown keys."""
    base = base or RunConfig()
    changes: dict[str, Any] = {}
    for name, value in overrides.items():
        if name == "profile":
            continue
        fields = {f.name: f for f in dataclasses.fields(base)}
        if name not in fields:
            raise ValueError(
                f"unknown configuration section or key {name!r}; known: {sorted(fields)}"
            )
        current = getattr(base, name)
        if name == "tasks" and isinstance(value, dict):
            value = _with_custom_tasks(current, value)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ValueError(f"[{name}] must be a table of settings")
            known = {f.name: f for f in dataclasses.fields(current)}
            for key in value:
                if key not in known:
                    raise ValueError(f"unknown setting {name}.{key}; known: {sorted(known)}")
            typed = {k: _coerce(getattr(current, k), v, f"{name}.{k}") for k, v in value.items()}
            changes[name] = dataclasses.replace(current, **typed)
        else:
            changes[name] = _coerce(current, value, name)
    return dataclasses.replace(base, **changes)


def _with_custom_tasks(current: TaskConfig, value: dict[str, Any]) -> dict[str, Any]:
    """Move the ``[tasks.NAME]`` tables of ``value`` into its ``custom`` setting."""
    known = {f.name for f in dataclasses.fields(current)}
    tables = {k: v for k, v in value.items() if k not in known and isinstance(v, dict)}
    if not tables:
        return value
    rest = {k: v for k, v in value.items() if k not in tables}
    return rest | {"custom": {**dict(rest.get("custom", current.custom)), **tables}}


def _coerce(default: Any, value: Any, name: str) -> Any:
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple):
            raise ValueError(f"{name} must be a list")
        return tuple(value)
    if isinstance(default, bool) or not isinstance(default, int | float | str):
        return value
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    if not isinstance(value, type(default)):
        raise ValueError(f"{name} must be {_TYPE_NAMES[type(default)]}, not {value!r}")
    return value


_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string"}

# (section, setting) -> the smallest value that can run; floats must also be finite.
MINIMUM: dict[tuple[str, str], float] = {
    ("dataset", "buildings"): 1,
    ("dataset", "resolution"): 1,
    ("train", "epochs"): 1,
    ("train", "batch_size"): 1,
    ("train", "max_train_samples"): 0,
    ("train", "threads"): 0,
    ("transfer", "transfer_samples"): 1,
    ("transfer", "test_samples"): 0,
    ("transfer", "epochs"): 1,
    ("transfer", "batch_size"): 1,
    ("transfer", "beam_pairs"): 0,
    ("transfer", "beam_triples"): 0,
    ("transfer", "beam_quads"): 0,
    ("transfer", "max_order"): 1,
    ("transfer", "prune_top_k"): 0,
    ("estimates", "pixels_per_image"): 1,
    ("estimates", "prune_top_k"): 0,
    ("taxonomy", "random_taxonomies"): 0,
    ("compute", "workers"): 1,
    ("compute", "threads_per_worker"): 1,
    ("compute", "gpus_per_worker"): 0,
}
POSITIVE = {("train", "lr"), ("transfer", "lr"), ("taxonomy", "time_limit")}
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("dataset", "kind"): ("synthetic", "ingest", "store"),
    ("taxonomy", "transform"): ("identity", "sqrt"),
    ("taxonomy", "bootstrap_by"): ("building", "sample"),
}


def validate(cfg: RunConfig) -> None:
    """Refuse a number or choice that cannot run, naming the setting and what it may be.

    >>> validate(build({"train": {"lr": 0.0}}))
    Traceback (most recent call last):
    ...
    ValueError: [train] lr = 0.0: must be a finite number > 0
    """
    for (section, key), low in MINIMUM.items():
        value = getattr(getattr(cfg, section), key)
        if value < low:
            raise ValueError(f"[{section}] {key} = {value}: must be an integer >= {low}")
    for section, key in sorted(POSITIVE):
        value = getattr(getattr(cfg, section), key)
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"[{section}] {key} = {value}: must be a finite number > 0")
    for (section, key), allowed in CHOICES.items():
        value = getattr(getattr(cfg, section), key)
        if value not in allowed:
            raise ValueError(f"[{section}] {key} = {value!r}: use one of {', '.join(allowed)}")
    ds = cfg.dataset
    if ds.kind == "synthetic" and not 32 <= ds.resolution <= 256:
        raise ValueError(
            f"[dataset] resolution = {ds.resolution}: the generator draws 32 to 256 pixels a side"
        )
    if ds.kind == "synthetic" and ds.buildings < 3:
        raise ValueError(
            f"[dataset] buildings = {ds.buildings}: the generator needs at least 3, one for each "
            "of the train, val and test splits"
        )
    if ds.kind in ("ingest", "store") and not ds.source:
        raise ValueError(f'[dataset] kind = "{ds.kind}" needs source = the folder to read')
    scheduler = cfg.compute.scheduler
    if scheduler not in ("serial", "local") and "://" not in scheduler:
        raise ValueError(
            f"[compute] scheduler = {scheduler!r}: use 'serial', 'local' or a Dask scheduler "
            "address such as tcp://10.0.0.5:8786"
        )
    bad_orders = [o for o in cfg.taxonomy.orders if not isinstance(o, int) or o < 1]
    if not cfg.taxonomy.orders or bad_orders:
        raise ValueError(
            f"[taxonomy] orders = {list(cfg.taxonomy.orders)}: give whole numbers >= 1, e.g. [1, 2]"
        )
    seeds = list(cfg.taxonomy.seeds)
    if seeds:
        if any(not isinstance(s, int) or s < 0 for s in seeds) or len(set(seeds)) < len(seeds):
            raise ValueError(
                f"[taxonomy] seeds = {seeds}: give distinct whole numbers >= 0, e.g. [1, 2]"
            )
        if cfg.seed in seeds:
            raise ValueError(
                f"[taxonomy] seeds = {seeds} holds the run's own seed ({cfg.seed}); "
                "list only the other seeds"
            )
        if 1 not in cfg.taxonomy.orders:
            raise ValueError(
                "[taxonomy] seeds compares first-order taxonomies: add 1 to [taxonomy] orders, "
                "or set seeds = []"
            )


def profile(name: str) -> RunConfig:
    """A named profile: `demo` (the default, CPU), `tiny` (tests), `full` (all tasks, GPU)."""
    if name not in PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose one of {sorted(PROFILES)}")
    return build(PROFILES[name])


def load(path: Path) -> RunConfig:
    """Read a TOML run configuration: an optional `profile = "..."` plus overriding tables."""
    data = read_toml(path)
    return build(data, profile(data.get("profile", "demo")))


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables, or one ValueError naming the file and what is wrong with it."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"configuration file {path} does not exist") from None
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}; give a TOML file") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text ({error.reason}): give a TOML file") from None
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path} is not valid TOML: {error}") from None

"""One-factor-at-a-time ablations of a run: what moves the task tree, Quality and Gain.

Each variant changes one setting of a base configuration. Its run folder starts as a copy of
the base run, so the pipeline reruns only the stages downstream of the change (a readout
setting reuses the base's networks). The figures come from each run's ``evaluation.json``:

- ``intruders``: tasks of another group inside the smallest branch holding a group (3D, 2D,
  geometric, semantic; 0 = every group in a branch of its own),
- ``rand_index``: the adjusted Rand index of the tree cut into 4 branches against the groups
  (1 = exactly the groups, as on the authors' released numbers; about 0 = chance),
- ``above_band``: budgets whose Quality is above the 95th percentile of random taxonomies,
- ``gain_over_half``: transferred targets with Gain > 0.5 at the report's middle budget.

>>> parse_vary("train.epochs=12,24")
('train.epochs', [12, 24])
"""

from __future__ import annotations

import csv
import shutil
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import config as config_module
from .compare import summary_tree
from .evaluation import TASK_GROUPS
from .pipeline import check, run_pipeline
from .rundir import atomic_path, read_json, recorded_seconds

# The base of an ablation computes what its figures need and no more: first-order transfers
# (the tree is built from them), no estimates, pruning or error bars.
TREE_ONLY: dict[str, Any] = {
    "transfer": {"max_order": 1},
    "estimates": {"methods": [], "prune_top_k": 0},
    "taxonomy": {"orders": [1], "bootstrap": 0, "seeds": []},
}


def parse_vary(text: str) -> tuple[str, list[Any]]:
    """``section.setting=v1,v2`` (or ``seed=1,2``) -> (name, [v1, v2]), values read as TOML."""
    name, sep, values = text.partition("=")
    name = name.strip()
    if not sep or not name or not values.strip() or name.count(".") > 1:
        raise ValueError(f"--vary {text!r}: write SECTION.SETTING=V1,V2, e.g. train.epochs=12,24")
    try:
        parsed = tomllib.loads(f"v = [{values}]")["v"]
    except tomllib.TOMLDecodeError:
        parsed = [v.strip() for v in values.split(",")]
    return name, parsed


def _override(name: str, value: Any) -> dict[str, Any]:
    section, _, key = name.rpartition(".")
    return {section: {key: value}} if section else {key: value}


@dataclass(frozen=True)
class Outcome:
    variant: str
    seconds: float
    intruders: int
    rand_index: float
    mixed: dict[str, list[str]]
    above_band: int
    budgets: int
    gain_over_half: int
    transferred: int
    mean_quality: float


def outcome(variant: str, run: Path, seconds: float) -> Outcome:
    """Read one run's figures from ``evaluation/evaluation.json``."""
    summary = read_json(run / "evaluation" / "evaluation.json")
    mixed = {g: v for g, v in summary["tree"]["mixed"].items() if v}
    top = max(r["max_order"] for r in summary["sweep"])
    rows = [r for r in summary["sweep"] if r["max_order"] == top and r["status"] == "optimal"]
    bands = summary["significance"]
    above = [
        r for r in rows if str(r["budget"]) in bands and r["quality"] > bands[str(r["budget"])][2]
    ]
    gains = summary["gain_at_budget"]["gain"]
    return Outcome(
        variant=variant,
        seconds=round(seconds, 1),
        intruders=sum(len(v) for v in mixed.values()),
        rand_index=round(summary_tree(summary).group_agreement(TASK_GROUPS), 3),
        mixed=mixed,
        above_band=len(above),
        budgets=len([r for r in rows if str(r["budget"]) in bands]),
        gain_over_half=sum(g > 0.5 for g in gains.values()),
        transferred=len(gains),
        mean_quality=round(sum(r["quality"] for r in rows) / max(len(rows), 1), 3),
    )


def ablate(
    base: config_module.RunConfig,
    varies: Sequence[tuple[str, list[Any]]],
    out: Path,
    log: Callable[[str], None] = print,
) -> list[Outcome]:
    """Run `base`, then each value of each varied setting alone; write ``ablation.csv``."""
    base = config_module.build(TREE_ONLY, base)
    variants: list[tuple[str, config_module.RunConfig]] = [("base", base)]
    for name, values in varies:
        for value in values:
            variants.append((f"{name}={value}", config_module.build(_override(name, value), base)))
    for _, cfg in variants:  # a bad variant is refused before any run starts
        check(cfg)
    results = []
    for name, cfg in variants:
        folder = out / name.replace("/", "_")
        if name != "base" and not folder.exists():
            shutil.copytree(out / "base", folder, ignore=shutil.ignore_patterns("report"))
        log(f"[ablation] {name}")
        run_pipeline(cfg, folder, log=log)
        # the stages' own times: a variant's stages copied from the base count at their cost
        results.append(outcome(name, folder, sum(recorded_seconds(folder).values())))
        write_table(results, out / "ablation.csv")
    return results


def write_table(results: Sequence[Outcome], path: Path) -> Path:
    fields = list(Outcome.__dataclass_fields__)
    with atomic_path(path) as tmp, tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        for r in results:
            writer.writerow(
                {
                    **r.__dict__,
                    "mixed": "; ".join(f"{g}: {' '.join(v)}" for g, v in r.mixed.items()),
                }
            )
    return path

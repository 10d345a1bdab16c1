"""Stability across seeds: the first-order analysis rerun with other seeds, in the report.

The bootstrap resamples the test images of one trained run; a seed retrains everything (and,
on the built-in data, renders other buildings). A seed run is the main run's configuration
with its seed changed, reduced to what the task tree and the first-order taxonomy need.

>>> from taskonomy_tools.config import profile
>>> cfg = seed_config(profile("demo"), 1)
>>> cfg.seed, cfg.dataset.seed, cfg.transfer.max_order, cfg.taxonomy.seeds
(1, 1, 1, ())
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.cluster.hierarchy import fcluster

from . import config as config_module
from . import plots
from .analysis import TaskTree
from .compare import agreement, summary_tree
from .evaluation import TASK_GROUPS
from .report import Section
from .rundir import read_json

BUDGET = 5  # the taxonomy whose survival is reported (clipped to the sweep's largest)
SEED_RUN: dict = {
    "transfer": {"max_order": 1, "prune_top_k": 0},
    "estimates": {"methods": [], "prune_top_k": 0},
    "taxonomy": {"orders": [1], "bootstrap": 0, "seeds": []},
    "tasks": {"novel": ""},
}


def seed_config(cfg: config_module.RunConfig, seed: int) -> config_module.RunConfig:
    """`cfg` with `seed` (and, for the built-in data, the dataset's seed) and first order only."""
    reduced = config_module.build(SEED_RUN, cfg)
    dataset = {"seed": seed} if cfg.dataset.kind == "synthetic" else {}
    return config_module.build({"seed": seed, "dataset": dataset}, reduced)


def seed_folder(out: Path, seed: int) -> Path:
    return Path(out) / "seeds" / f"seed{seed}"


def co_clustering(trees: Sequence[TaskTree], branches: int) -> tuple[np.ndarray, list[str]]:
    """Share of trees that, cut into `branches` branches, put each pair of tasks together."""
    tasks = sorted(set.intersection(*(set(t.tasks) for t in trees)))
    together = np.zeros((len(tasks), len(tasks)))
    for tree in trees:
        cut = fcluster(tree.linkage, min(branches, len(tree.tasks)), criterion="maxclust")
        label = dict(zip(tree.tasks, cut, strict=True))
        ids = np.array([label[t] for t in tasks])
        together += ids[:, None] == ids[None, :]
    return together / len(trees), tasks


def always_together(together: np.ndarray, tasks: Sequence[str]) -> list[list[str]]:
    """Groups of tasks (2 or more) that share a branch in every run: the components of the
    "always together" graph, each sorted.

    >>> together = np.array([[1, 1, 0.5], [1, 1, 0], [0.5, 0, 1]])
    >>> always_together(together, ["a", "b", "c"])
    [['a', 'b']]
    """
    graph = nx.Graph()
    graph.add_nodes_from(tasks)
    rows, cols = np.nonzero(np.triu(together >= 1.0, k=1))
    graph.add_edges_from((tasks[i], tasks[j]) for i, j in zip(rows, cols, strict=True))
    return sorted(sorted(c) for c in nx.connected_components(graph) if len(c) > 1)


def seeds_section(cfg: config_module.RunConfig, out: Path, folder: Path) -> Section | None:
    """The report's "Across seeds" section (None without seed runs); draws its picture."""
    seeds = [s for s in cfg.taxonomy.seeds if (seed_folder(out, s) / "evaluation").exists()]
    if not seeds:
        return None
    runs = [Path(out), *(seed_folder(out, s) for s in seeds)]
    summaries = [read_json(r / "evaluation" / "evaluation.json") for r in runs]
    trees = [summary_tree(summary) for summary in summaries]
    budget = min(BUDGET, max(r["budget"] for r in summaries[0]["sweep"]))
    result = agreement(runs, budget=budget, order=1)
    groups = {g: m for g, m in TASK_GROUPS.items() if set(m) & set(cfg.tasks.sources)}
    together, tasks = co_clustering(trees, len(groups))
    order = sorted(tasks, key=lambda t: ([g for g, m in groups.items() if t in m] or ["~"])[0])
    index = [tasks.index(t) for t in order]
    plots.heatmap(
        together[np.ix_(index, index)],
        order,
        order,
        f"Share of {len(runs)} seeds that put two tasks in one of {len(groups)} branches",
        folder / "seeds_together.png",
        xlabel="task",
        ylabel="task",
        colorbar_label="share of seeds",
        limits=(0.0, 1.0),
    )
    rand = [round(tree.group_agreement(groups), 3) for tree in trees]
    seeds_used = [cfg.seed, *seeds]
    group_of = {t: g for g, members in groups.items() for t in members}
    always = always_together(together, tasks)
    mixed = [c for c in always if len({group_of.get(t, t) for t in c}) > 1]
    agree = sum(share == 1.0 for share in result.same_source.values())
    return Section(
        "Across seeds",
        verdicts=[
            (
                f"{agree} of {len(result.same_source)} targets get the same source at budget "
                f"{budget} in all {len(runs)} seeds; {result.branch_share:.0%} of one seed's "
                "tree branches are in another's.",
                agree * 2 > len(result.same_source),
            )
        ],
        paragraphs=[
            f"The whole analysis was rerun with seeds {', '.join(map(str, seeds))} "
            + (
                "(new networks, readouts and buildings), "
                if cfg.dataset.kind == "synthetic"
                else "(new networks and readouts on the same images), "
            )
            + "first-order transfers only: what the task tree is built from. The bootstrap "
            "above resamples test images of one trained run; this retrains everything, so it "
            "shows how much of the result is chance.",
            result.sentence(),
            "Branches in every seed's tree: "
            + ("; ".join(", ".join(b) for b in result.common_branches) or "none")
            + ".",
            f"Cut into {len(groups)} branches, every seed puts together: "
            + ("; ".join(", ".join(c) for c in always) or "nothing")
            + ". "
            + (
                "Of these, tasks of different groups that chance did not part: "
                + "; ".join(", ".join(f"{t} ({group_of.get(t, '-')})" for t in c) for c in mixed)
                + "."
                if mixed
                else "None of these mixes groups."
            ),
        ],
        figures=[
            (
                "seeds_together.png",
                "Each tree cut into as many branches as there are task groups; a cell is the "
                "share of seeds in which the two tasks share a branch (1 = always).",
            )
        ],
        tables=[
            (
                ("seed", "adjusted Rand index of the tree against the groups"),
                list(zip(seeds_used, rand, strict=True)),
            ),
            (
                ("target", f"share of seeds agreeing on its source (budget {budget}, order 1)"),
                [(t, round(s, 2)) for t, s in result.same_source.items()],
            ),
        ],
    )

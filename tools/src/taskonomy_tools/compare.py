"""How much of the task tree and of one budget's taxonomy survives across runs (e.g. seeds).

Read from each run's ``evaluation/evaluation.json``:

- tree: the branches (clades of 2 or more tasks, short of all of them) each run's tree has,
  the share of one run's branches that another run has too (averaged over ordered pairs), and
  the branches every run has;
- taxonomy at one budget and order: the roots every run chose, and per target the share of
  runs that agree with the most common choice of source.

>>> a = TaskTree(["x", "y", "z"], np.array([[0, 1, 1.0, 2], [2, 3, 2.0, 3]]))
>>> sorted(sorted(c) for c in branches(a))
[['x', 'y']]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import permutations
from pathlib import Path
from typing import Any

import numpy as np

from .analysis import TaskTree
from .rundir import read_json


def branches(tree: TaskTree) -> set[frozenset[str]]:
    """The tree's clades of 2 or more tasks, short of the whole tree."""
    return {c for c in tree.clades() if 2 <= len(c) < len(tree.tasks)}


@dataclass(frozen=True)
class Agreement:
    runs: list[str]
    budget: int
    order: int
    branch_share: float  # mean over ordered pairs: share of A's branches that B has too
    common_branches: list[list[str]]
    separated: list[bool]  # per run: every group in a branch of its own
    same_roots: bool
    common_roots: list[str]
    same_source: dict[str, float]  # per target: share of runs choosing the modal source

    def sentence(self) -> str:
        n = len(self.runs)
        agree = [t for t, s in self.same_source.items() if s == 1.0]
        return (
            f"Across {n} runs, {self.branch_share:.0%} of one run's tree branches are in another's "
            f"({len(self.common_branches)} in all {n}); the groups are separated in "
            f"{sum(self.separated)} of {n}. At budget {self.budget} (order <= {self.order}) "
            + ("every run chose the same roots" if self.same_roots else "the roots differ")
            + f" ({', '.join(self.common_roots) or 'none'} in all), and {len(agree)} of "
            f"{len(self.same_source)} targets get the same source in every run."
        )


def summary_tree(summary: dict[str, Any]) -> TaskTree:
    tree = summary["tree"]
    return TaskTree(list(tree["tasks"]), np.asarray(tree["linkage"], float))


def agreement(runs: Sequence[Path], budget: int = 5, order: int | None = None) -> Agreement:
    """Compare the trees and the (budget, order) taxonomies of two or more finished runs."""
    if len(runs) < 2:
        raise ValueError("compare needs at least two run folders")
    summaries = []
    for run in runs:
        path = Path(run) / "evaluation" / "evaluation.json"
        if not path.is_file():
            raise ValueError(f"{run} has no evaluation/evaluation.json: finish that run first")
        summaries.append(read_json(path))
    if order is None:
        order = min(max(r["max_order"] for r in s["sweep"]) for s in summaries)
    rows = []
    for run, summary in zip(runs, summaries, strict=True):
        found = [r for r in summary["sweep"] if r["budget"] == budget and r["max_order"] == order]
        if not found or found[0]["status"] != "optimal":
            raise ValueError(f"{run} has no solved taxonomy at budget {budget}, order {order}")
        rows.append(found[0])
    trees = [branches(summary_tree(s)) for s in summaries]
    shares = [len(a & b) / len(a) for a, b in permutations(trees, 2) if a]
    common = set.intersection(*trees)
    targets = sorted(set.intersection(*(set(r["choices"]) for r in rows)))
    same_source = {}
    for target in targets:
        counts = Counter(r["choices"][target] for r in rows)
        same_source[target] = counts.most_common(1)[0][1] / len(rows)
    return Agreement(
        runs=[str(r) for r in runs],
        budget=budget,
        order=order,
        branch_share=float(np.mean(shares)) if shares else 1.0,
        common_branches=sorted(sorted(c) for c in common),
        separated=[not any(s["tree"]["mixed"].values()) for s in summaries],
        same_roots=len({tuple(sorted(r["roots"])) for r in rows}) == 1,
        common_roots=sorted(set.intersection(*(set(r["roots"]) for r in rows))),
        same_source=same_source,
    )

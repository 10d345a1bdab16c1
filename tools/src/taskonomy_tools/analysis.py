"""Taskonomy's evaluation (TASKONOMY.md section 3) on affinities and win rates as plain dicts.

Everything here works on the released key format (`s1__s2__t` -> value), so the same code
analyses the authors' numbers and the output of our own pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.special import comb

SPECIAL_SOURCES = ("self", "random", "pixels")


def split_key(key: str) -> tuple[tuple[str, ...], str]:
    """`"a__b__t"` -> `(("a", "b"), "t")`.

    >>> split_key("rgb2depth__reshade__rgb2sfnorm")
    (('rgb2depth', 'reshade'), 'rgb2sfnorm')
    """
    *sources, target = key.split("__")
    if not sources or not target or any(not s for s in sources):
        raise ValueError(f"{key!r} is not a transfer key of the form 'source__...__target'")
    return tuple(sources), target


def first_order_matrix(
    affinities: Mapping[str, float],
    targets: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
) -> tuple[np.ndarray, list[str], list[str]]:
    """The (target x source) matrix of first-order affinities; NaN where no transfer was measured.

    `self` and `random` are left out of the default sources.

    >>> m, ts, ss = first_order_matrix({"a__b": 0.7, "self__b": 0.3, "b__a": 1.0})
    >>> ts, ss, m.tolist()
    (['a', 'b'], ['a', 'b'], [[nan, 1.0], [0.7, nan]])
    """
    first = {}
    for key, value in affinities.items():
        srcs, target = split_key(key)
        if len(srcs) == 1:
            first[srcs[0], target] = float(value)
    if targets is None:
        targets = sorted({t for _, t in first})
    if sources is None:
        sources = sorted({s for s, _ in first if s not in SPECIAL_SOURCES})
    matrix = np.array([[first.get((s, t), np.nan) for s in sources] for t in targets], dtype=float)
    return matrix, list(targets), list(sources)


def normalised_transfer_profiles(matrix: np.ndarray) -> np.ndarray:
    """Per target, log-affinities standardised to zero mean and unit variance (NaN kept).

    Affinities span orders of magnitude and each target's tournament has its own spread, so a
    source's column is only comparable across targets after this normalisation.
    """
    with np.errstate(divide="ignore"):
        logs = np.log(np.where(matrix > 0, matrix, np.nan))
    mean = np.nanmean(logs, axis=1, keepdims=True)
    std = np.nanstd(logs, axis=1, keepdims=True)
    return (logs - mean) / np.where(std > 0, std, 1.0)


@dataclass(frozen=True)
class TaskTree:
    """Agglomerative clustering of tasks by how they transfer out (paper Fig. 13)."""

    tasks: list[str]
    linkage: np.ndarray  # scipy linkage matrix

    def clades(self) -> list[frozenset[str]]:
        """Every subtree's set of leaves, the root first."""
        members: list[frozenset[str]] = [frozenset([t]) for t in self.tasks]
        for left, right, *_ in self.linkage:
            members.append(members[int(left)] | members[int(right)])
        return members[len(self.tasks) :][::-1]

    def smallest_clade(self, tasks: Iterable[str]) -> frozenset[str]:
        wanted = set(tasks)
        return min((c for c in self.clades() if wanted <= c), key=len)

    def separates(self, groups: Mapping[str, Iterable[str]]) -> dict[str, list[str]]:
        """For each group, the other groups' tasks inside the group's smallest subtree.

        All lists empty means every group sits in a branch of its own.
        """
        present = set(self.tasks)
        sets = {name: set(g) & present for name, g in groups.items()}
        out = {}
        for name, members in sets.items():
            others = set().union(*(m for n, m in sets.items() if n != name))
            out[name] = sorted(self.smallest_clade(members) & others) if members else []
        return out

    def group_agreement(self, groups: Mapping[str, Iterable[str]]) -> float:
        """Adjusted Rand index between the groups and the tree cut into as many branches.

        1 = the cut is exactly the groups; about 0 = no better than chance. Unlike `separates`,
        one misplaced task costs a little, not a whole group. Tasks in no group are left out.

        >>> tree = TaskTree(list("abcd"), np.array([[0, 1, 1, 2], [2, 3, 1, 2], [4, 5, 2, 4.0]]))
        >>> round(tree.group_agreement({"x": "ab", "y": "cd"}), 3)
        1.0
        >>> round(tree.group_agreement({"x": "ac", "y": "bd"}), 3)
        -0.5
        """
        label = {t: g for g, members in groups.items() for t in members}
        keep = [i for i, t in enumerate(self.tasks) if t in label]
        names = sorted({label[self.tasks[i]] for i in keep})
        cut = fcluster(self.linkage, len(names), criterion="maxclust")[keep]
        truth = np.array([names.index(label[self.tasks[i]]) for i in keep])
        table = np.zeros((len(names), cut.max() + 1))
        np.add.at(table, (truth, cut), 1)
        pairs = comb(table, 2).sum()
        rows, cols = comb(table.sum(1), 2).sum(), comb(table.sum(0), 2).sum()
        expected = rows * cols / comb(len(keep), 2)
        best = (rows + cols) / 2
        return float((pairs - expected) / (best - expected)) if best != expected else 1.0


def task_tree(affinities: Mapping[str, float], tasks: Sequence[str] | None = None) -> TaskTree:
    """Cluster tasks by their normalised transfer-out profiles (Ward linkage).

    A task's feature vector is its column of the first-order affinity matrix (its affinity as a
    source for every target), after `normalised_transfer_profiles`. Missing entries (a task is never
    its own source) take the target's highest value, as a task transfers best to itself.
    """
    matrix, _, sources = first_order_matrix(affinities)
    if tasks is not None:
        unknown = sorted(set(tasks) - set(sources))
        if unknown:
            raise ValueError(f"no first-order transfers out of {unknown}; cannot place them")
        keep = [sources.index(t) for t in tasks]
        matrix, sources = matrix[:, keep], list(tasks)
    if len(sources) < 2:
        raise ValueError("a task tree needs at least two source tasks")
    profiles = normalised_transfer_profiles(matrix)
    fill = np.nanmax(profiles, axis=1, keepdims=True)
    profiles = np.where(np.isnan(profiles), fill, profiles)
    profiles = profiles[~np.isnan(profiles).any(axis=1)]
    return TaskTree(tasks=list(sources), linkage=linkage(profiles.T, method="ward"))


def score_choices(
    choices: Mapping[str, str], win_rates: Mapping[str, float], targets: Sequence[str]
) -> float:
    """Mean win rate of the chosen competitor (a released-format key) over `targets`.

    A target with no chosen competitor, or whose competitor has no win rate, is an error: a
    silently dropped target would inflate the score.
    """
    values = []
    for target in targets:
        key = choices.get(target)
        if key is None or key not in win_rates:
            raise ValueError(f"no win rate for target {target!r} (chosen: {key!r})")
        values.append(win_rates[key])
    return float(np.mean(values))

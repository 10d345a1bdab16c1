"""Hierarchies of any depth: goal -> criteria -> ... -> alternatives."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ._consistency import evaluate
from ._priorities import Method


@dataclass(frozen=True)
class Criterion:
    """A node of the hierarchy: its `children` (sub-criteria or alternative names) and the
    pairwise comparison `matrix` among them, in the order of `children`."""

    name: str
    children: Sequence[Criterion | str]
    matrix: ArrayLike = field(repr=False)


@dataclass(frozen=True)
class HierarchyResult:
    """Global priorities of the alternatives (sum to 1), and per criterion its global weight,
    its local priorities over its children and the consistency ratio of its matrix."""

    priorities: dict[str, float]
    criterion_weights: dict[str, float]
    local_priorities: dict[str, dict[str, float]]
    consistency_ratios: dict[str, float]


def evaluate_hierarchy(
    goal: Criterion, method: Method = "eigenvector", random_index: str | float = "saaty1980"
) -> HierarchyResult:
    """Synthesise a hierarchy: each alternative's global priority is the sum, over every path from
    the goal, of the product of local priorities along the path (Saaty's distributive mode).

    >>> price = Criterion("price", ["a", "b"], [[1, 3], [1 / 3, 1]])
    >>> looks = Criterion("looks", ["a", "b"], [[1, 1 / 2], [2, 1]])
    >>> result = evaluate_hierarchy(Criterion("goal", [price, looks], [[1, 1], [1, 1]]))
    >>> {k: round(v, 4) for k, v in result.priorities.items()}
    {'a': 0.5417, 'b': 0.4583}
    """
    result = HierarchyResult({}, {}, {}, {})
    _visit(goal, 1.0, result, method, random_index)
    return result


def _visit(
    node: Criterion, weight: float, out: HierarchyResult, method: Method, table: str | float
) -> None:
    if node.name in out.local_priorities:
        raise ValueError(
            f"criterion name {node.name!r} appears twice; criteria names must be unique"
        )
    names = [c.name if isinstance(c, Criterion) else c for c in node.children]
    shape = np.shape(node.matrix)
    if shape != (len(names), len(names)):
        raise ValueError(
            f"criterion {node.name!r} has {len(names)} children but a {shape} matrix; "
            "give one row and one column per child, in the order of children"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"criterion {node.name!r} lists a child twice: {names}")
    try:
        evaluation = evaluate(node.matrix, method, table)
    except ValueError as error:
        raise ValueError(f"criterion {node.name!r}: {error}") from None
    out.criterion_weights[node.name] = weight
    out.local_priorities[node.name] = dict(zip(names, evaluation.priorities.tolist(), strict=True))
    out.consistency_ratios[node.name] = evaluation.consistency_ratio
    for child, local in zip(node.children, evaluation.priorities.tolist(), strict=True):
        if isinstance(child, Criterion):
            _visit(child, weight * local, out, method, table)
        else:
            out.priorities[child] = out.priorities.get(child, 0.0) + weight * local

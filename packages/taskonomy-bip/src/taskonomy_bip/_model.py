"""The BIP of TASKONOMY.md Step IV in index form, shared by every solver backend.

Variables: ``y[v]`` for every source (v is a root), ``x[e]`` for every transfer. Rows:

- cover, per target t: ``y[t] + sum_{e into t} x[e] = 1`` (no ``y[t]`` when t is target-only);
- link, per (target t, source s): ``sum_{e into t using s} x[e] <= y[s]``. This aggregated
  form is exact because t takes at most one incoming transfer, it is at least as tight as the
  per-(transfer, source) rows ``x[e] <= y[s]``, and it solves ~70x faster with GLPK (KNOWN.md);
- budget: ``sum_v cost[v] y[v] + sum_e cost[e] x[e] <= budget``.

Source-only tasks never receive transfers, so their ``y[v] + sum x <= 1`` row is void.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from ._problem import Problem, Transfer


@dataclass(frozen=True)
class Model:
    """Index form of a problem: columns ``y`` (sources) then ``x`` (transfers).

    ``aggregated=False`` gives the textbook rows ``x[e] <= y[s]`` instead (for comparisons).
    """

    problem: Problem
    aggregated: bool = True

    @cached_property
    def roots(self) -> tuple[str, ...]:
        return self.problem.sources

    @cached_property
    def transfers(self) -> tuple[Transfer, ...]:
        return self.problem.transfers

    @cached_property
    def root_gain(self) -> list[float]:
        p = self.problem
        return [p.importance.get(v, 0.0) * p.self_value.get(v, 0.0) for v in self.roots]

    @cached_property
    def transfer_gain(self) -> list[float]:
        return [self.problem.importance[t.target] * t.performance for t in self.transfers]

    @cached_property
    def root_cost(self) -> list[float]:
        return [self.problem.supervision_cost[v] for v in self.roots]

    def columns(self, max_order: int) -> list[int]:
        """Indices of the transfers allowed at this maximum order."""
        return [i for i, t in enumerate(self.transfers) if t.order <= max_order]

    def rows(self, max_order: int) -> tuple[dict[str, list[int]], dict[tuple, list[int]]]:
        """Cover rows (target -> transfer indices) and link rows ((target, source) -> indices)."""
        cover: dict[str, list[int]] = {t: [] for t in self.problem.targets}
        link: dict[tuple, list[int]] = defaultdict(list)
        for i in self.columns(max_order):
            t = self.transfers[i]
            cover[t.target].append(i)
            for s in t.sources:
                link[(t.target if self.aggregated else i), s].append(i)
        return cover, dict(link)

    def value(self, roots: set[str], chosen: dict[str, int | None]) -> float:
        """Objective of a taxonomy given as roots and target -> transfer index (None = self)."""
        total = 0.0
        for target, index in chosen.items():
            if index is None:
                total += self.root_gain[self.roots.index(target)]
            else:
                total += self.transfer_gain[index]
        return total

    def cheapest(self, max_order: int) -> dict[str, float]:
        """Per target, the least budget that reaches it alone (its own cost or a transfer's)."""
        p = self.problem
        sources = set(p.sources)
        best = {t: p.supervision_cost[t] if t in sources else float("inf") for t in p.targets}
        for i in self.columns(max_order):
            t = self.transfers[i]
            need = t.cost + sum(p.supervision_cost[s] for s in t.sources)
            best[t.target] = min(best[t.target], need)
        return best


def unreachable(model: Model, budget: float, max_order: int) -> list[str]:
    """Targets that no affordable set of roots can reach, even alone."""
    return sorted(t for t, need in model.cheapest(max_order).items() if need > budget + 1e-9)

"""Provably safe preprocessing: drop transfers that no optimal taxonomy needs."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ._problem import Problem, Transfer


@dataclass(frozen=True)
class Reduction:
    """What `reduce_problem` removed, by reason."""

    before: int
    self_loops: int
    dominated: int

    @property
    def after(self) -> int:
        return self.before - self.self_loops - self.dominated

    def __str__(self) -> str:
        share = 100.0 * (self.before - self.after) / self.before if self.before else 0.0
        return (
            f"{self.before} transfers -> {self.after} ({share:.1f}% removed: "
            f"{self.dominated} dominated, {self.self_loops} using their own target)"
        )


def reduce_problem(problem: Problem) -> tuple[Problem, Reduction]:
    """Remove transfers that cannot change the optimum, for every budget and maximum order.

    - A transfer into ``t`` that uses ``t`` itself as a source can never be chosen: it needs
      ``t`` as a root, and a root target takes no incoming transfer.
    - A transfer ``e`` is dominated by ``f`` into the same target when ``sources(f)`` is a subset
      of ``sources(e)``, ``performance(f) >= performance(e)`` and ``cost(f) <= cost(e)``: in any
      solution using ``e``, ``f`` is affordable (its sources are roots too) and no worse, and it
      never needs a higher maximum order. Among exact duplicates, the first one is kept.

    >>> from taskonomy_bip import demo_problem
    >>> reduced, report = reduce_problem(demo_problem())
    >>> report.after == len(reduced.transfers) < report.before
    True
    """
    by_target: dict[str, list[Transfer]] = defaultdict(list)
    loops = 0
    for t in problem.transfers:
        if t.target in t.sources:
            loops += 1
        else:
            by_target[t.target].append(t)
    kept_all: list[Transfer] = []
    dominated = 0
    for target in problem.targets:
        # Dominators have fewer sources, so visiting by order lets each transfer be compared
        # with the already-kept ones only (a dominated dominator is itself dominated by a kept one).
        candidates = sorted(by_target[target], key=lambda t: (t.order, -t.performance, t.cost))
        kept: list[tuple[frozenset[str], Transfer]] = []
        for t in candidates:
            sources = frozenset(t.sources)
            if any(
                s <= sources and k.performance >= t.performance and k.cost <= t.cost
                for s, k in kept
            ):
                dominated += 1
            else:
                kept.append((sources, t))
        kept_all.extend(t for _, t in kept)
    order = {id(t): i for i, t in enumerate(problem.transfers)}
    kept_all.sort(key=lambda t: order[id(t)])
    report = Reduction(len(problem.transfers), loops, dominated)
    return problem.with_transfers(kept_all), report

"""Random feasible taxonomies (the significance baseline) and synthetic problems for scale tests."""

from __future__ import annotations

import itertools
import time

import numpy as np

from ._model import Model, unreachable
from ._problem import Problem
from ._solution import Solution


def random_taxonomies(
    problem: Problem, budget: float, max_order: int, n: int, seed: int = 0, max_tries: int = 10_000
) -> list[Solution]:
    """``n`` random feasible taxonomies spending the budget (TASKONOMY.md section 3).

    Roots are drawn in random order and added while they fit (a maximal affordable set); every
    target then takes a uniformly random option among those the roots allow (its own supervision
    when it is a root, or a transfer of order <= ``max_order`` from roots). Draws where some
    target has no option are rejected. Status is ``feasible``, solver ``random``.

    >>> from taskonomy_bip import demo_problem
    >>> draws = random_taxonomies(demo_problem(), budget=2, max_order=2, n=3, seed=0)
    >>> [len(s.roots) for s in draws], all(len(s.transfers) == 4 for s in draws)
    ([2, 2, 2], True)
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    model = Model(problem)
    if out := unreachable(model, budget, max_order):
        raise ValueError(
            f"no feasible taxonomy at budget {budget:g}, order {max_order}: "
            f"{', '.join(out)} cannot be reached; raise the budget"
        )
    rng = np.random.default_rng(seed)
    roots, cost = list(model.roots), model.root_cost
    into: dict[str, list[int]] = {t: [] for t in problem.targets}
    for i in model.columns(max_order):
        into[model.transfers[i].target].append(i)
    draws: list[Solution] = []
    for _ in range(max_tries * max(n, 1)):
        if len(draws) == n:
            break
        start = time.perf_counter()
        chosen, spent = set(), 0.0
        for j in rng.permutation(len(roots)):
            if spent + cost[j] <= budget + 1e-9:
                chosen.add(roots[j])
                spent += cost[j]
        picks: dict[str, int | None] = {}
        for target in problem.targets:
            options: list[int | None] = [None] if target in chosen else []
            options += [
                i
                for i in into[target]
                if set(model.transfers[i].sources) <= chosen
                and spent + model.transfers[i].cost <= budget + 1e-9
            ]
            if not options:
                break
            picks[target] = options[rng.integers(len(options))]
            if picks[target] is not None:
                spent += model.transfers[picks[target]].cost  # type: ignore[index]
        else:
            draws.append(_as_solution(model, chosen, picks, budget, max_order, spent, start))
    if len(draws) < n:
        raise ValueError(
            f"only {len(draws)} of {n} random taxonomies were feasible after {max_tries * n} "
            "draws: the budget leaves very few feasible root sets; raise it"
        )
    return draws


def _as_solution(model, chosen, picks, budget, max_order, spent, start) -> Solution:
    transfers, values = {}, {}
    for target, index in picks.items():
        if index is None:
            transfers[target] = ("self",)
            values[target] = model.root_gain[model.roots.index(target)]
        else:
            transfers[target] = model.transfers[index].sources
            values[target] = model.transfer_gain[index]
    roots = tuple(v for v in model.roots if v in chosen)
    return Solution(
        status="feasible",
        solver="random",
        budget=budget,
        max_order=max_order,
        objective=sum(values.values()),
        gap=float("nan"),
        roots=roots,
        transfers=transfers,
        values=values,
        cost=spent,
        seconds=time.perf_counter() - start,
    )


def synthetic_problem(
    n_tasks: int, max_order: int = 3, beam: int = 5, seed: int = 0, dim: int = 8
) -> Problem:
    """A synthetic dictionary shaped like Taskonomy's, for scale tests.

    Tasks are random points on a unit sphere in ``dim`` dimensions; a first-order transfer's
    affinity grows with the similarity of its source and target. Higher orders combine the
    target's ``beam`` best first-order sources (all k-subsets), each worth a little more than
    its best member, with noise. Every task is both target and source; affinities are normalised
    per target like AHP's, and ``self`` is worth more than any transfer on average.

    >>> p = synthetic_problem(10, max_order=2, beam=3)
    >>> len(p.targets), max(t.order for t in p.transfers)
    (10, 2)
    """
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n_tasks, dim))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    names = [f"task{i:03d}" for i in range(n_tasks)]
    first = np.exp(3.0 * points @ points.T + 0.3 * rng.normal(size=(n_tasks, n_tasks)))
    affinities: dict[str, float] = {}
    for t in range(n_tasks):
        others = [s for s in range(n_tasks) if s != t]
        scores = {(s,): first[s, t] for s in others}
        top = sorted(others, key=lambda s: -first[s, t])[:beam]
        for k in range(2, max_order + 1):
            for combo in itertools.combinations(top, k):
                ranked = sorted((first[s, t] for s in combo), reverse=True)
                bonus = sum(v * 0.35**rank for rank, v in enumerate(ranked[1:], start=1))
                scores[combo] = (ranked[0] + bonus) * np.exp(0.15 * rng.normal())
        scores[("self",)] = 1.5 * max(scores.values()) * np.exp(0.3 * rng.normal())
        total = sum(scores.values())
        for combo, value in scores.items():
            key = "__".join([("self" if s == "self" else names[s]) for s in combo] + [names[t]])
            affinities[key] = float(value / total)
    return Problem.from_affinities(affinities)

"""The optimum equals brute-force enumeration of the textbook model on 300 small problems."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from taskonomy_bip import Problem, Solution, Taxonomy, Transfer, solve


def random_problem(seed: int) -> tuple[Problem, float, int]:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 6))
    tasks = [f"t{i}" for i in range(n)]
    roles = rng.choice(["both", "target", "source"], size=n, p=[0.6, 0.2, 0.2])
    roles[0] = "both"
    targets = tuple(t for t, r in zip(tasks, roles, strict=True) if r != "source")
    sources = tuple(t for t, r in zip(tasks, roles, strict=True) if r != "target")
    candidates = [
        (c, t)
        for t in targets
        for k in (1, 2)
        for c in itertools.combinations([s for s in sources if s != t], k)
    ]
    picked = rng.permutation(len(candidates))[: int(rng.integers(1, 9))]
    with_costs = rng.random() < 0.3
    transfers = tuple(
        Transfer(*candidates[i], float(rng.random()), float(rng.integers(0, 2)) * with_costs)
        for i in picked
    )
    problem = Problem(
        targets=targets,
        sources=sources,
        transfers=transfers,
        self_value={t: float(rng.random()) for t in targets if t in sources},
        supervision_cost={s: float(rng.integers(0, 3)) for s in sources},
        importance={t: float(rng.choice([0.5, 1.0, 2.0])) for t in targets},
    )
    return problem, float(rng.integers(0, 5)), int(rng.integers(1, 3))


def brute_force(problem: Problem, budget: float, max_order: int) -> float:
    """Best objective over every 0/1 vector, with one x_e <= y_s row per (transfer, source)."""
    ts = [t for t in problem.transfers if t.order <= max_order]
    ns, nt = len(problem.sources), len(ts)
    grid = np.array(list(itertools.product((0, 1), repeat=ns + nt)), dtype=float)
    y, x = grid[:, :ns], grid[:, ns:]
    ok = np.ones(len(grid), dtype=bool)
    for i, t in enumerate(ts):
        for s in t.sources:
            ok &= x[:, i] <= y[:, problem.sources.index(s)]
    for v in problem.targets:
        into = sum(x[:, i] for i, t in enumerate(ts) if t.target == v) + np.zeros(len(grid))
        own = y[:, problem.sources.index(v)] if v in problem.sources else 0
        ok &= (own + into) == 1
    cost = y @ [problem.supervision_cost[s] for s in problem.sources] + x @ [t.cost for t in ts]
    ok &= cost <= budget + 1e-9
    value = x @ [problem.importance[t.target] * t.performance for t in ts]
    value = value + y @ [
        problem.importance.get(s, 0) * problem.self_value.get(s, 0) for s in problem.sources
    ]
    return float(value[ok].max()) if ok.any() else -math.inf


def check_feasible(problem: Problem, s: Solution) -> None:
    assert set(s.transfers) == set(problem.targets)
    for target, sources in s.transfers.items():
        if sources == ("self",):
            assert target in s.roots
        else:
            assert set(sources) <= set(s.roots) and target not in s.roots
            assert len(sources) <= s.max_order
    assert s.cost <= s.budget + 1e-9
    assert s.objective == pytest.approx(sum(s.values.values()))


@pytest.mark.parametrize("block", range(6))
def test_glpk_matches_brute_force(block: int) -> None:
    infeasible = 0
    for seed in range(block * 50, block * 50 + 50):
        problem, budget, order = random_problem(seed)
        best = brute_force(problem, budget, order)
        s = solve(problem, budget, order)
        if best == -math.inf:
            assert s.status == "infeasible" and s.message, seed
            infeasible += 1
        else:
            assert s.status == "optimal", (seed, s.message)
            assert s.objective == pytest.approx(best, abs=1e-9), seed
            check_feasible(problem, s)
    assert infeasible < 50  # the generator exercises both outcomes


def test_preprocessing_and_aggregation_never_change_the_optimum() -> None:
    for seed in range(60):
        problem, budget, order = random_problem(seed)
        a = Taxonomy(problem, reduce=True).solve(budget, order)
        b = Taxonomy(problem, reduce=False).solve(budget, order)
        c = Taxonomy(problem, reduce=False, aggregated=False).solve(budget, order)
        assert a.status == b.status == c.status
        if a.status == "optimal":
            assert a.objective == pytest.approx(b.objective, abs=1e-9)
            assert a.objective == pytest.approx(c.objective, abs=1e-9)


@pytest.mark.parametrize("solver", ["highs", "pyomo-glpk"])
def test_pyomo_backends_match_brute_force(solver: str) -> None:
    if solver == "highs":
        pytest.importorskip("highspy")
    for seed in range(40):
        problem, budget, order = random_problem(seed)
        best = brute_force(problem, budget, order)
        s = solve(problem, budget, order, solver=solver)
        assert s.solver == solver
        if best == -math.inf:
            assert s.status == "infeasible"
        else:
            assert s.status == "optimal" and s.objective == pytest.approx(best, abs=1e-7)
            check_feasible(problem, s)

"""The full sweep on the released 16k affinities: ours (Pyomo-shaped model, glpsol) vs the
authors' stack (cvxpy + GLPK_MI, one model built per solve), on the same 130 problems.

Run: .venv/bin/pytest packages/taskonomy-bip/benchmarks --benchmark-only -k sweep
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from taskonomy_bip import Problem, released_problem, sweep

BUDGETS, ORDERS = range(1, 27), range(1, 6)
RESULTS: dict[str, list[float]] = {}


def authors_solve(problem: Problem, budget: float, max_order: int) -> float:
    """The web solver's model in cvxpy: |sources(e)| x_e <= sum_{s in e} y_s, solved by GLPK_MI."""
    cp = pytest.importorskip("cvxpy")
    sparse = pytest.importorskip("scipy.sparse")
    sources = {s: j for j, s in enumerate(problem.sources)}
    ts = [t for t in problem.transfers if t.order <= max_order]
    x, y = cp.Variable(len(ts), boolean=True), cp.Variable(len(sources), boolean=True)
    use = sparse.lil_matrix((len(ts), len(sources)))
    into = sparse.lil_matrix((len(problem.targets), len(ts)))
    own = sparse.lil_matrix((len(problem.targets), len(sources)))
    for i, t in enumerate(ts):
        for s in t.sources:
            use[i, sources[s]] = 1
        into[problem.targets.index(t.target), i] = 1
    for r, t in enumerate(problem.targets):
        if t in sources:
            own[r, sources[t]] = 1
    order = np.array([t.order for t in ts], dtype=float)
    gain = np.array([problem.importance[t.target] * t.performance for t in ts])
    self_gain = np.array(
        [problem.importance.get(s, 0) * problem.self_value.get(s, 0) for s in problem.sources]
    )
    cost = np.array([problem.supervision_cost[s] for s in problem.sources])
    constraints = [
        cp.multiply(order, x) <= use.tocsr() @ y,
        own.tocsr() @ y + into.tocsr() @ x == 1,
        cost @ y <= budget,
    ]
    model = cp.Problem(cp.Maximize(gain @ x + self_gain @ y), constraints)
    model.solve(solver=cp.GLPK_MI)
    return float(model.value)


@pytest.fixture(scope="module")
def problem(released_16k: Path) -> Problem:
    return released_problem(released_16k)


def test_sweep_ours_glpk(benchmark, problem: Problem) -> None:
    out = benchmark.pedantic(lambda: sweep(problem, BUDGETS, ORDERS), rounds=3, iterations=1)
    assert all(s.status == "optimal" for s in out)
    RESULTS["ours"] = [s.objective for s in out]


@pytest.mark.parametrize("solver", ["pyomo-glpk", "highs"])
def test_sweep_through_pyomo(benchmark, problem: Problem, solver: str) -> None:
    """The same sweep with the model in Pyomo, rewritten and handed over on every solve."""
    if solver == "highs":
        pytest.importorskip("highspy")
    out = benchmark.pedantic(
        lambda: sweep(problem, BUDGETS, ORDERS, solver=solver), rounds=1, iterations=1
    )
    if "ours" in RESULTS:
        np.testing.assert_allclose([s.objective for s in out], RESULTS["ours"], atol=1e-7)


def test_sweep_authors_cvxpy_glpk_mi(benchmark, problem: Problem) -> None:
    cp = pytest.importorskip("cvxpy")
    if "GLPK_MI" not in cp.installed_solvers():
        pytest.skip("cvxpy has no GLPK_MI: pip install cvxopt")
    run = lambda: [authors_solve(problem, b, k) for b in BUDGETS for k in ORDERS]  # noqa: E731
    values = benchmark.pedantic(run, rounds=1, iterations=1)
    if "ours" in RESULTS:  # same optima: the comparison is between equal answers
        np.testing.assert_allclose(values, RESULTS["ours"], atol=1e-7)

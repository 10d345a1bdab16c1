"""Solving: one reusable model per problem, any backend, sweeps over budgets x orders."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable

from ._glpk import GlpkModel, RawResult
from ._model import Model, unreachable
from ._problem import Problem
from ._reduce import Reduction, reduce_problem
from ._solution import Solution


def _pyomo_backend(solver: str) -> Callable[[Model], object]:
    def make(model: Model) -> object:
        from ._pyomo import PyomoModel

        return PyomoModel(model, solver)

    return make


# Solver name -> factory of a reusable backend (add a solver here).
SOLVERS: dict[str, Callable[[Model], object]] = {
    "glpk": GlpkModel,
    "highs": _pyomo_backend("highs"),
    "pyomo-glpk": _pyomo_backend("pyomo-glpk"),
}


class Taxonomy:
    """A problem prepared once (preprocessed, modelled) and solved for many budgets and orders.

    >>> from taskonomy_bip import demo_problem
    >>> tx = Taxonomy(demo_problem())
    >>> [tx.solve(b, 2).status for b in (1, 2)]
    ['infeasible', 'optimal']
    """

    def __init__(
        self,
        problem: Problem,
        solver: str = "glpk",
        *,
        reduce: bool = True,
        aggregated: bool = True,
    ) -> None:
        if solver not in SOLVERS:
            raise ValueError(f"unknown solver {solver!r}: use one of {', '.join(SOLVERS)}")
        self.problem, self.solver = problem, solver
        if reduce:
            reduced, self.reduction = reduce_problem(problem)
        else:
            reduced, self.reduction = problem, Reduction(len(problem.transfers), 0, 0)
        self.model = Model(reduced, aggregated)
        self._backend = SOLVERS[solver](self.model)

    def solve(self, budget: float, max_order: int, time_limit: float | None = None) -> Solution:
        _check_arguments(budget, max_order, time_limit)
        start = time.perf_counter()
        out_of_reach = unreachable(self.model, budget, max_order)
        if out_of_reach:
            raw = RawResult("infeasible")
            message = (
                f"infeasible: no affordable set of roots reaches {', '.join(out_of_reach)} "
                f"at budget {budget:g} and maximum order {max_order}; raise the budget or "
                "the maximum order, make them sources, or add transfers into them"
            )
        else:
            raw = self._backend.solve(budget, max_order, time_limit)  # type: ignore[attr-defined]
            message = self._explain(raw, budget, max_order)
        return self._solution(raw, budget, max_order, time.perf_counter() - start, message)

    def _explain(self, raw: RawResult, budget: float, max_order: int) -> str:
        if raw.status == "infeasible":
            need = self.model.cheapest(max_order)
            hardest = sorted(need, key=need.get, reverse=True)[:5]  # type: ignore[arg-type]
            return (
                f"infeasible: every target is reachable alone, but no set of roots within budget "
                f"{budget:g} covers all {len(need)} targets together (costliest to reach: "
                f"{', '.join(f'{t} {need[t]:g}' for t in hardest)}); raise the budget"
            )
        if raw.status == "time_limit" and not raw.x and not raw.y:
            return "stopped at the time limit before any feasible taxonomy was found"
        return ""

    def _solution(
        self, raw: RawResult, budget: float, max_order: int, seconds: float, message: str
    ) -> Solution:
        m = self.model
        if not raw.y and not raw.x:
            return Solution(
                raw.status, self.solver, budget, max_order, seconds=seconds, message=message
            )
        roots = tuple(v for v, on in zip(m.roots, raw.y, strict=True) if on > 0.5)
        transfers: dict[str, tuple[str, ...]] = {}
        values: dict[str, float] = {}
        for t in set(m.problem.targets) & set(roots):
            transfers[t], values[t] = ("self",), m.root_gain[m.roots.index(t)]
        for i, on in raw.x.items():
            if on > 0.5:
                e = m.transfers[i]
                transfers[e.target], values[e.target] = e.sources, m.transfer_gain[i]
        order = {t: k for k, t in enumerate(m.problem.targets)}
        transfers = dict(sorted(transfers.items(), key=lambda kv: order[kv[0]]))
        values = {t: values[t] for t in transfers}
        objective = sum(values.values())
        cost = sum(m.problem.supervision_cost[v] for v in roots)
        cost += sum(m.transfers[i].cost for i, on in raw.x.items() if on > 0.5)
        gap = 0.0 if raw.status == "optimal" else _gap(objective, raw.bound)
        return Solution(
            status=raw.status,
            solver=self.solver,
            budget=budget,
            max_order=max_order,
            objective=objective,
            gap=gap,
            roots=roots,
            transfers=transfers,
            values=values,
            cost=cost,
            seconds=seconds,
            message=message,
        )


def _gap(objective: float, bound: float) -> float:
    if math.isnan(bound):
        return math.nan
    return max(0.0, bound - objective) / max(abs(objective), 1e-10)


def _check_arguments(budget: float, max_order: int, time_limit: float | None) -> None:
    if not isinstance(budget, int | float) or not math.isfinite(budget) or budget < 0:
        raise ValueError(f"budget must be a finite number >= 0, got {budget!r}")
    if isinstance(max_order, bool) or not isinstance(max_order, int) or max_order < 1:
        raise ValueError(f"max_order must be an integer >= 1, got {max_order!r}")
    if time_limit is not None and not (time_limit > 0):
        raise ValueError(f"time_limit must be > 0 seconds (or None), got {time_limit!r}")


def solve(
    problem: Problem,
    budget: float,
    max_order: int,
    solver: str = "glpk",
    time_limit: float | None = None,
) -> Solution:
    """Solve the taxonomy BIP exactly (or until ``time_limit`` seconds, reporting the gap).

    >>> from taskonomy_bip import demo_problem
    >>> s = solve(demo_problem(), budget=2, max_order=2)
    >>> s.status, s.roots
    ('optimal', ('autoencoder', 'rgb2sfnorm'))
    """
    return Taxonomy(problem, solver).solve(budget, max_order, time_limit)


def sweep(
    problem: Problem,
    budgets: Iterable[float],
    max_orders: Iterable[int],
    solver: str = "glpk",
    time_limit: float | None = None,
    progress: bool | None = None,
) -> list[Solution]:
    """Solve every (budget, maximum order) pair with one model; budget-major order.

    >>> from taskonomy_bip import demo_problem
    >>> [s.status for s in sweep(demo_problem(), budgets=[1, 2], max_orders=[1])]
    ['infeasible', 'optimal']
    """
    taxonomy = Taxonomy(problem, solver)
    pairs = [(b, k) for b in budgets for k in max_orders]
    return [taxonomy.solve(b, k, time_limit) for b, k in _progress(pairs, progress)]


def _progress(pairs: list, progress: bool | None) -> Iterable:
    """A tqdm bar when tqdm is installed (it is optional) and the output is a terminal."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return pairs
    disable = None if progress is None else not progress
    return tqdm(pairs, desc="taxonomy sweep", unit="solve", disable=disable, leave=False)

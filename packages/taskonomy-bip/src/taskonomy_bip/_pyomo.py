"""The same BIP as a Pyomo model, solved by HiGHS (persistent) or by GLPK through Pyomo.

One Pyomo model serves a whole sweep: the budget is a mutable parameter and transfers above the
maximum order are fixed to 0, so HiGHS' persistent interface only receives the changes.
"""

from __future__ import annotations

import math
import os
from contextlib import contextmanager

import pyomo.environ as pyo

from ._glpk import RawResult, glpsol_command
from ._model import Model


def build_pyomo(model: Model) -> pyo.ConcreteModel:
    """A Pyomo ``ConcreteModel`` of the taxonomy BIP (all orders; budget as a mutable Param)."""
    m = model
    cover, link = m.rows(m.problem.max_order)
    root_index = {v: j for j, v in enumerate(m.roots)}
    pm = pyo.ConcreteModel(name="taxonomy")
    pm.Y = pyo.RangeSet(0, len(m.roots) - 1)
    pm.X = pyo.RangeSet(0, len(m.transfers) - 1)
    pm.y = pyo.Var(pm.Y, domain=pyo.Binary)
    pm.x = pyo.Var(pm.X, domain=pyo.Binary)
    pm.budget = pyo.Param(mutable=True, initialize=0.0)
    pm.value = pyo.Objective(
        expr=sum(g * pm.y[j] for j, g in enumerate(m.root_gain) if g)
        + sum(g * pm.x[i] for i, g in enumerate(m.transfer_gain) if g),
        sense=pyo.maximize,
    )
    pm.cover = pyo.ConstraintList()
    for target, members in cover.items():
        if not members and target not in root_index:
            continue  # unreachable at any order: Taxonomy reports it before solving
        own = pm.y[root_index[target]] if target in root_index else 0
        pm.cover.add(own + sum(pm.x[i] for i in members) == 1)
    pm.link = pyo.ConstraintList()
    for (_, source), members in link.items():
        pm.link.add(sum(pm.x[i] for i in members) <= pm.y[root_index[source]])
    pm.spend = pyo.Constraint(
        expr=sum(c * pm.y[j] for j, c in enumerate(m.root_cost) if c)
        + sum(t.cost * pm.x[i] for i, t in enumerate(m.transfers) if t.cost)
        <= pm.budget
    )
    return pm


class PyomoModel:
    """A reusable Pyomo model plus a solver: ``highs`` (persistent) or ``pyomo-glpk``."""

    def __init__(self, model: Model, solver: str) -> None:
        self.model, self.solver = model, solver
        self.pm = build_pyomo(model)
        if solver == "highs":
            try:
                import highspy  # noqa: F401
            except ImportError:
                raise ImportError(
                    "the HiGHS backend needs highspy: pip install 'taskonomy-bip[highs]'"
                ) from None
            from pyomo.contrib.solver.solvers.highs import Highs

            self._highs = Highs()

    def _configure(self, budget: float, max_order: int) -> None:
        self.pm.budget.set_value(float(budget))
        for i, t in enumerate(self.model.transfers):
            if t.order > max_order:
                self.pm.x[i].fix(0)
            elif self.pm.x[i].fixed:
                self.pm.x[i].unfix()

    def solve(self, budget: float, max_order: int, time_limit: float | None = None) -> RawResult:
        self._configure(budget, max_order)
        if self.solver == "highs":
            return self._solve_highs(time_limit)
        return self._solve_glpk(time_limit)

    def _solve_highs(self, time_limit: float | None) -> RawResult:
        from pyomo.contrib.solver.common.results import SolutionStatus, TerminationCondition

        res = self._highs.solve(
            self.pm,
            time_limit=time_limit,
            load_solutions=False,
            raise_exception_on_nonoptimal_result=False,
            solver_options={"mip_rel_gap": 0.0, "mip_abs_gap": 0.0},
        )
        tc, done = res.termination_condition, TerminationCondition
        if tc in (done.provenInfeasible, done.infeasibleOrUnbounded):
            return RawResult("infeasible")
        status = "optimal" if tc == done.convergenceCriteriaSatisfied else "time_limit"
        if res.solution_status not in (SolutionStatus.optimal, SolutionStatus.feasible):
            return RawResult(status if status == "time_limit" else "infeasible")
        res.solution_loader.load_vars()
        bound = res.objective_bound if res.objective_bound is not None else math.nan
        return self._raw(status, float(res.incumbent_objective), float(bound))

    def _solve_glpk(self, time_limit: float | None) -> RawResult:
        program, env = glpsol_command()
        opt = pyo.SolverFactory("glpk", executable=program)
        if time_limit is not None:
            opt.options["tmlim"] = max(1, math.ceil(time_limit))
        with _environment(env):
            res = opt.solve(self.pm, load_solutions=False)
        tc = res.solver.termination_condition
        if tc in (pyo.TerminationCondition.infeasible, pyo.TerminationCondition.noSolution):
            return RawResult("infeasible")
        if not len(res.solution):
            return RawResult("time_limit")
        self.pm.solutions.load_from(res)
        status = "optimal" if tc == pyo.TerminationCondition.optimal else "time_limit"
        objective = float(pyo.value(self.pm.value))
        return self._raw(status, objective, objective if status == "optimal" else math.nan)

    def _raw(self, status: str, objective: float, bound: float) -> RawResult:
        y = tuple(float(self.pm.y[j].value or 0.0) for j in self.pm.Y)
        x = {i: float(self.pm.x[i].value or 0.0) for i in self.pm.X}
        return RawResult(status, objective, bound, y, x)


@contextmanager
def _environment(env: dict[str, str]):
    """Run Pyomo's glpsol call with the library path the real binary needs."""
    saved = os.environ.get("LD_LIBRARY_PATH")
    os.environ["LD_LIBRARY_PATH"] = env.get("LD_LIBRARY_PATH", "")
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("LD_LIBRARY_PATH", None)
        else:
            os.environ["LD_LIBRARY_PATH"] = saved

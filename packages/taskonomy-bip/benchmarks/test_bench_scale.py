"""Scale: synthetic dictionaries of 100 tasks (order <= 3) and 300 tasks (order 2), budget 5.

Status, gap and the number of transfers are recorded in each benchmark's extra_info.
Run: .venv/bin/pytest packages/taskonomy-bip/benchmarks --benchmark-only -k scale
"""

from __future__ import annotations

import pytest

from taskonomy_bip import Taxonomy, synthetic_problem


@pytest.fixture(scope="module")
def problem_100():
    return synthetic_problem(100, max_order=3, beam=5, seed=0)


@pytest.fixture(scope="module")
def problem_300():
    return synthetic_problem(300, max_order=2, beam=5, seed=0)


def record(benchmark, taxonomy: Taxonomy, solution) -> None:
    benchmark.extra_info.update(
        transfers=taxonomy.reduction.before,
        after_preprocessing=taxonomy.reduction.after,
        status=solution.status,
        gap=solution.gap,
        objective=solution.objective,
    )


@pytest.mark.parametrize(
    ("reduce", "aggregated"),
    [(True, True), (False, True), (False, False)],
    ids=["preprocessed", "raw", "raw-textbook-rows"],
)
def test_scale_100_tasks_order_3_glpk(benchmark, problem_100, reduce: bool, aggregated) -> None:
    def run():
        taxonomy = Taxonomy(problem_100, "glpk", reduce=reduce, aggregated=aggregated)
        return taxonomy, taxonomy.solve(5, 3, time_limit=120)

    taxonomy, solution = benchmark.pedantic(run, rounds=1, iterations=1)
    record(benchmark, taxonomy, solution)


@pytest.mark.parametrize("solver", ["glpk", "highs"])
def test_scale_300_tasks_order_2(benchmark, problem_300, solver: str) -> None:
    if solver == "highs":
        pytest.importorskip("highspy")

    def run():
        taxonomy = Taxonomy(problem_300, solver)
        return taxonomy, taxonomy.solve(5, 2, time_limit=60)

    taxonomy, solution = benchmark.pedantic(run, rounds=1, iterations=1)
    record(benchmark, taxonomy, solution)

"""Solutions: consistency, JSON round trip, DOT and networkx export, random taxonomies."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from taskonomy_bip import (
    Problem,
    Solution,
    Taxonomy,
    demo_problem,
    random_taxonomies,
    solve,
    sweep,
    synthetic_problem,
)
from taskonomy_bip._released import DEMO_AFFINITIES


@pytest.fixture(scope="module")
def best() -> Solution:
    return solve(demo_problem(), budget=2, max_order=2)


def test_demo_optimum(best: Solution) -> None:
    assert best.status == "optimal" and best.solver == "glpk" and best.gap == 0.0
    assert best.roots == ("autoencoder", "rgb2sfnorm")
    assert best.transfers["rgb2depth"] == ("rgb2sfnorm", "autoencoder")
    assert best.choices == {
        "autoencoder": "self__autoencoder",
        "class_1000": "autoencoder__class_1000",
        "rgb2depth": "rgb2sfnorm__autoencoder__rgb2depth",
        "rgb2sfnorm": "self__rgb2sfnorm",
    }
    assert best.objective == pytest.approx(0.7 + 0.8 + 0.6 + 0.4)
    assert best.cost == 2 and best.seconds > 0


def test_lower_order_gives_the_pair_up(best: Solution) -> None:
    first = solve(demo_problem(), budget=2, max_order=1)
    assert first.transfers["rgb2depth"] == ("rgb2sfnorm",)
    assert first.objective == pytest.approx(best.objective - 0.1)


def test_infeasibility_names_the_unreachable_target() -> None:
    # rgb2sfnorm is rgb2depth's only source: at cost 5 nothing within budget 2 reaches rgb2depth.
    problem = Problem.from_affinities(
        DEMO_AFFINITIES,
        target_only=("rgb2depth", "class_1000"),
        source_only=("jigsaw",),
        supervision_cost={"rgb2sfnorm": 5.0},
    )
    out = solve(problem, 2, 2)
    assert out.status == "infeasible" and not out.transfers
    assert "reaches rgb2depth at budget 2" in out.message
    assert solve(problem, 6, 2).status == "optimal"


def test_joint_infeasibility_is_explained() -> None:
    s = solve(demo_problem(), budget=1, max_order=2)
    assert s.status == "infeasible"
    assert "covers all 4 targets together" in s.message and math.isnan(s.objective)


def test_json_round_trip(best: Solution) -> None:
    data = json.loads(json.dumps(best.to_dict()))
    assert {"status", "objective", "roots", "transfers", "choices"} <= set(data)
    assert Solution.from_dict(data) == best
    with pytest.raises(ValueError, match="not a taxonomy solution"):
        Solution.from_dict({"roots": []})


def test_dot_has_roots_edges_and_a_hyperedge(best: Solution) -> None:
    dot = best.to_dot()
    assert dot.startswith("digraph taxonomy {") and dot.rstrip().endswith("}")
    assert '"autoencoder" -> "class_1000"' in dot
    assert '"rgb2sfnorm__autoencoder__rgb2depth" -> "rgb2depth"' in dot
    assert '"rgb2sfnorm" [shape=box' in dot


def test_networkx_graph(best: Solution) -> None:
    pytest.importorskip("networkx")
    g = best.to_networkx()
    assert set(g.predecessors("rgb2depth")) == {"rgb2sfnorm", "autoencoder"}
    assert g.nodes["autoencoder"]["root"] and not g.nodes["class_1000"]["root"]
    assert g.edges["autoencoder", "class_1000"]["transfer"] == "autoencoder__class_1000"


def test_sweep_is_budget_major_and_monotone() -> None:
    problem = synthetic_problem(8, max_order=2, beam=3, seed=1)
    out = sweep(problem, budgets=[1, 2, 3, 8], max_orders=[1, 2])
    assert [(s.budget, s.max_order) for s in out][:3] == [(1, 1), (1, 2), (2, 1)]
    grid = np.array([s.objective for s in out]).reshape(4, 2)
    assert (np.diff(grid, axis=0) >= -1e-12).all() and (np.diff(grid, axis=1) >= -1e-12).all()


def test_random_taxonomies_are_feasible_and_no_better_than_optimal() -> None:
    problem = synthetic_problem(10, max_order=2, beam=3, seed=2)
    optimum = solve(problem, 3, 2).objective
    draws = random_taxonomies(problem, budget=3, max_order=2, n=30, seed=5)
    assert len(draws) == 30 and len({s.roots for s in draws}) > 5
    for s in draws:
        assert s.status == "feasible" and len(s.roots) == 3 and s.cost <= 3
        assert set(s.transfers) == set(problem.targets)
        for sources in s.transfers.values():
            assert sources == ("self",) or (set(sources) <= set(s.roots) and len(sources) <= 2)
        assert s.objective <= optimum + 1e-9
    again = random_taxonomies(problem, budget=3, max_order=2, n=30, seed=5)
    assert [s.choices for s in again] == [s.choices for s in draws]


def test_random_taxonomies_refuse_an_impossible_budget() -> None:
    with pytest.raises(ValueError, match="cannot be reached"):
        random_taxonomies(demo_problem(), budget=0, max_order=2, n=3)


@pytest.mark.slow
def test_time_limit_reports_best_solution_and_a_valid_gap() -> None:
    problem = synthetic_problem(100, max_order=3, beam=5, seed=0)
    taxonomy = Taxonomy(problem)
    limited = taxonomy.solve(budget=5, max_order=3, time_limit=2)
    optimum = taxonomy.solve(budget=5, max_order=3)
    assert optimum.status == "optimal"
    # Proving this optimum takes GLPK a few seconds here; a fast machine may finish in time,
    # and a busy one may stop before its first integer solution (then there is none to report).
    if limited.status == "time_limit" and not limited.transfers:
        assert not limited.choices and not limited.roots
    elif limited.status == "time_limit":
        assert limited.gap > 0
        assert limited.objective <= optimum.objective + 1e-9
        assert limited.objective * (1 + limited.gap) >= optimum.objective - 1e-9
    else:
        assert limited.objective == pytest.approx(optimum.objective)


def test_glpsol_time_limit_output_is_read_as_incumbent_and_bound() -> None:
    from taskonomy_bip._glpk import _parse

    log = (
        "+  1200: mip =   1.500000000e+00 <=   1.600000000e+00   6.7% (35; 2)\n"
        "TIME LIMIT EXCEEDED; SEARCH TERMINATED\n"
    )
    raw = _parse("s mip 3 3 f 1.5\nj 1 1\nj 2 0\nj 3 1\ne o f\n", log, 2, [7])
    assert (raw.status, raw.objective, raw.bound) == ("time_limit", 1.5, 1.6)
    assert raw.y == (1.0, 0.0) and raw.x == {7: 1.0}
    none = _parse("s mip 3 3 u 0\nj 1 0\nj 2 0\nj 3 0\ne o f\n", "TIME LIMIT EXCEEDED", 2, [7])
    assert none.status == "time_limit" and not none.x


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget": -1, "max_order": 1}, "budget must be"),
        ({"budget": 2, "max_order": 0}, "max_order must be"),
        ({"budget": 2, "max_order": 1, "solver": "cplex"}, "unknown solver 'cplex'"),
        ({"budget": 2, "max_order": 1, "time_limit": 0}, "time_limit must be > 0"),
    ],
)
def test_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        solve(demo_problem(), **kwargs)

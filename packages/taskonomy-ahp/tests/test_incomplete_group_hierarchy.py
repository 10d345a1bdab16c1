"""Harker's completion, group aggregation and hierarchies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import taskonomy_ahp as ahp

NAN = np.nan


def consistent(w):
    w = np.asarray(w, dtype=float)
    return w[:, None] / w[None, :]


# ---------------------------------------------------------------- Harker's method


@settings(max_examples=100, deadline=None)
@given(st.integers(3, 12), st.integers(0, 2**32 - 1))
def test_completing_a_consistent_matrix_recovers_it(n, seed):
    rng = np.random.default_rng(seed)
    w = rng.uniform(0.1, 10, n)
    full = consistent(w)
    holed = full.copy()
    # Drop random pairs but keep a spanning path 0-1-...-(n-1), so the judgements stay connected.
    for i, j in zip(*np.triu_indices(n, 2), strict=True):
        if rng.random() < 0.6:
            holed[i, j] = holed[j, i] = NAN
    completed = ahp.complete_matrix(holed)
    np.testing.assert_allclose(completed, full, rtol=1e-9)
    np.testing.assert_allclose(ahp.priorities(completed), w / w.sum(), rtol=1e-9)


def test_completion_follows_harkers_definition():
    holed = np.array(
        [[1, 2, NAN, 4], [1 / 2, 1, 3, NAN], [NAN, 1 / 3, 1, 1 / 2], [1 / 4, NAN, 2, 1]]
    )
    completed = ahp.complete_matrix(holed)
    known = ~np.isnan(holed)
    np.testing.assert_array_equal(completed[known], holed[known])
    # Harker: zeros for the gaps, 1 + (number of gaps in the row) on the diagonal.
    harker = np.where(known, holed, 0.0) + np.diag((~known).sum(axis=1))
    values, vectors = np.linalg.eig(harker)
    w = np.abs(vectors[:, np.argmax(values.real)].real)
    np.testing.assert_allclose(ahp.priorities(completed), w / w.sum(), rtol=1e-10)
    assert ahp.lambda_max(completed) == pytest.approx(values.real.max(), rel=1e-12)
    np.testing.assert_allclose(completed * completed.T, 1.0, rtol=1e-12)


def test_complete_matrix_leaves_a_complete_matrix_alone():
    full = consistent([1, 2, 3])
    np.testing.assert_array_equal(ahp.complete_matrix(full), full)


def test_disconnected_judgements_are_an_error():
    holed = np.array(
        [[1, 2, NAN, NAN], [1 / 2, 1, NAN, NAN], [NAN, NAN, 1, 3], [NAN, NAN, 1 / 3, 1]]
    )
    with pytest.raises(ValueError, match=r"alternatives \[2, 3\] are not linked"):
        ahp.complete_matrix(holed)


def test_from_judgements_then_complete():
    matrix, names = ahp.from_judgements({("a", "b"): 2, ("b", "c"): 3})
    assert names == ["a", "b", "c"]
    assert ahp.complete_matrix(matrix)[0, 2] == pytest.approx(6.0)


# ---------------------------------------------------------------- group decisions


def test_aggregating_judgements_is_the_weighted_geometric_mean():
    a = np.array([[1, 4], [1 / 4, 1]])
    b = np.array([[1, 1 / 2], [2, 1]])
    group = ahp.aggregate_judgements([a, b], weights=[3, 1])
    assert group[0, 1] == pytest.approx(4**0.75 * 0.5**0.25)
    np.testing.assert_allclose(group * group.T, 1.0)


def test_aggregating_identical_consistent_judgements_changes_nothing():
    w = np.array([0.5, 0.3, 0.2])
    group = ahp.aggregate_judgements([consistent(w)] * 3)
    np.testing.assert_allclose(ahp.priorities(group), w)


def test_aggregating_priorities():
    p = [[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]]
    np.testing.assert_allclose(ahp.aggregate_priorities(p, method="arithmetic"), [0.4, 0.25, 0.35])
    geometric = np.sqrt(np.prod(p, axis=0))
    np.testing.assert_allclose(ahp.aggregate_priorities(p), geometric / geometric.sum())
    np.testing.assert_allclose(ahp.aggregate_priorities(p, [1, 0]), p[0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ahp.aggregate_judgements([]), "no matrices"),
        (lambda: ahp.aggregate_judgements([np.ones((2, 2)), consistent([1, 2, 3])]), "differ"),
        (lambda: ahp.aggregate_judgements([consistent([1, 2])], weights=[1, 1]), "one weight"),
        (lambda: ahp.aggregate_judgements([consistent([1, 2])], weights=[-1]), "non-negative"),
        (lambda: ahp.aggregate_priorities([[0.5, 0.5], [1.0]]), "differ in length"),
        (lambda: ahp.aggregate_priorities([[0.5, 0.5]], method="median"), "unknown"),
        (lambda: ahp.aggregate_priorities([[1.0, 0.0]]), "positive"),
    ],
)
def test_group_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------- hierarchies


def test_three_level_hierarchy_multiplies_down_every_path():
    alternatives = ["x", "y"]
    leaf = {
        "price": consistent([3, 1]),
        "running": consistent([1, 1]),
        "looks": consistent([1, 4]),
    }
    cost = ahp.Criterion(
        "cost",
        [ahp.Criterion(k, alternatives, leaf[k]) for k in ("price", "running")],
        consistent([2, 1]),
    )
    looks = ahp.Criterion("looks", alternatives, leaf["looks"])
    goal = ahp.Criterion("goal", [cost, looks], consistent([3, 1]))
    result = ahp.evaluate_hierarchy(goal)
    x = 0.75 * (2 / 3 * 0.75 + 1 / 3 * 0.5) + 0.25 * 0.2
    assert result.priorities["x"] == pytest.approx(x)
    assert result.priorities["y"] == pytest.approx(1 - x)
    assert result.criterion_weights == pytest.approx(
        {"goal": 1.0, "cost": 0.75, "price": 0.5, "running": 0.25, "looks": 0.25}
    )
    assert result.local_priorities["cost"] == pytest.approx({"price": 2 / 3, "running": 1 / 3})
    assert set(result.consistency_ratios) == {"goal", "cost", "price", "running", "looks"}
    assert all(cr == pytest.approx(0, abs=1e-9) for cr in result.consistency_ratios.values())


def test_hierarchy_errors_name_the_criterion():
    with pytest.raises(ValueError, match=r"criterion 'c' has 2 children but a \(3, 3\) matrix"):
        ahp.evaluate_hierarchy(ahp.Criterion("c", ["a", "b"], np.eye(3)))
    with pytest.raises(ValueError, match="criterion 'c': entries"):
        ahp.evaluate_hierarchy(ahp.Criterion("c", ["a", "b"], [[1, 2], [2, 1]]))
    leaf = ahp.Criterion("c", ["a", "b"], np.ones((2, 2)))
    nested = ahp.Criterion("a", [leaf], [[1]])
    with pytest.raises(ValueError, match="'c' appears twice"):
        ahp.evaluate_hierarchy(ahp.Criterion("g", [nested, leaf], np.ones((2, 2))))
    with pytest.raises(ValueError, match="lists a child twice"):
        ahp.evaluate_hierarchy(ahp.Criterion("g", ["a", "a"], np.ones((2, 2))))

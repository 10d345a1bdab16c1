"""Priorities, lambda_max and consistency on textbook examples and by property."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import taskonomy_ahp as ahp

weights = arrays(
    np.float64,
    st.integers(1, 40),
    elements=st.floats(1e-3, 1e3, allow_nan=False, allow_infinity=False),
)


def random_reciprocal(rng: np.random.Generator, n: int) -> np.ndarray:
    scale = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
    a = np.ones((n, n))
    upper = np.triu_indices(n, 1)
    a[upper] = rng.choice(scale, size=len(upper[0]))
    a[upper[::-1]] = 1 / a[upper]
    return a


@pytest.mark.parametrize("example", ["drinks", "philadelphia", "wealth"])
def test_textbook_priorities_match_what_saaty_printed(textbook, example):
    _, matrix, printed = textbook[example]
    np.testing.assert_allclose(ahp.priorities(matrix), printed, atol=1.5e-3)


def test_wealth_of_nations_lambda_max_and_cr(textbook):
    _, matrix, _ = textbook["wealth"]
    evaluation = ahp.evaluate(matrix)
    assert evaluation.lambda_max == pytest.approx(7.6077, abs=1e-4)  # Saaty: 7.61
    assert evaluation.consistency_index == pytest.approx((evaluation.lambda_max - 7) / 6)
    assert evaluation.consistency_ratio == pytest.approx(evaluation.consistency_index / 1.32)


@settings(max_examples=200, deadline=None)
@given(weights)
def test_consistent_matrix_gives_back_its_weights_and_zero_cr(w):
    matrix = w[:, None] / w[None, :]
    expected = w / w.sum()
    for method in ("eigenvector", "geometric"):
        np.testing.assert_allclose(ahp.priorities(matrix, method), expected, rtol=1e-9, atol=1e-12)
    evaluation = ahp.evaluate(matrix, random_index="alonso_lamata2006")
    assert evaluation.lambda_max == pytest.approx(len(w), rel=1e-9)
    assert evaluation.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    if len(w) <= 15:
        assert ahp.consistency_ratio(matrix) == pytest.approx(0.0, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 30), st.integers(0, 2**32 - 1), st.sampled_from(["eigenvector", "geometric"]))
def test_priorities_are_invariant_to_permuting_the_alternatives(n, seed, method):
    rng = np.random.default_rng(seed)
    matrix = random_reciprocal(rng, n)
    order = rng.permutation(n)
    permuted = matrix[np.ix_(order, order)]
    np.testing.assert_allclose(
        ahp.priorities(permuted, method), ahp.priorities(matrix, method)[order], rtol=1e-10
    )
    cr = ahp.consistency_ratio(matrix, "alonso_lamata2006")
    assert ahp.consistency_ratio(permuted, "alonso_lamata2006") == pytest.approx(cr, rel=1e-10)


@pytest.mark.parametrize("n", [2, 3, 10, 50, 150])
def test_eigenvector_satisfies_the_eigen_equation_to_machine_precision(n):
    matrix = random_reciprocal(np.random.default_rng(n), n)
    lam, w = ahp.principal_eigenpair(matrix)
    assert w.sum() == pytest.approx(1.0, abs=1e-14) and (w > 0).all()
    np.testing.assert_allclose(matrix @ w, lam * w, rtol=1e-12, atol=1e-15)
    assert lam >= n - 1e-9
    assert ahp.lambda_max(matrix) == lam


def test_one_and_two_alternatives():
    assert ahp.priorities([[1]]).tolist() == [1.0]
    assert ahp.consistency_ratio([[1]]) == 0.0
    np.testing.assert_allclose(ahp.priorities([[1, 4], [1 / 4, 1]]), [0.8, 0.2], rtol=1e-14)
    np.testing.assert_allclose(ahp.priorities([[1, 4], [1 / 4, 1]], "geometric"), [0.8, 0.2])
    assert ahp.consistency_ratio([[1, 4], [1 / 4, 1]]) == 0.0


def test_geometric_differs_from_eigenvector_on_an_inconsistent_matrix(textbook):
    _, matrix, _ = textbook["philadelphia"]
    geometric = ahp.priorities(matrix, "geometric")
    logs = np.log(np.array(matrix, dtype=float)).mean(axis=1)
    np.testing.assert_allclose(geometric, np.exp(logs) / np.exp(logs).sum(), rtol=1e-12)
    assert not np.allclose(geometric, ahp.priorities(matrix), atol=1e-4)


def test_unknown_method_is_named():
    with pytest.raises(ValueError, match=r"unknown priority method 'power'.*eigenvector"):
        ahp.priorities([[1]], method="power")
    with pytest.raises(ValueError, match="unknown priority method"):
        ahp.evaluate([[1]], method="power")


def test_priorities_sum_to_one_for_extreme_judgements():
    matrix = np.array([[1, 999.0, 999.0], [1 / 999, 1, 999.0], [1 / 999, 1 / 999, 1]])
    w = ahp.priorities(matrix)
    assert w.sum() == pytest.approx(1.0) and (w > 0).all() and w[0] > w[1] > w[2]


def test_a_stack_is_evaluated_matrix_by_matrix():
    rng = np.random.default_rng(7)
    stack = np.stack([random_reciprocal(rng, 6) for _ in range(5)])
    together = ahp.evaluate(stack, random_index="saaty2005")
    for k, matrix in enumerate(stack):
        alone = ahp.evaluate(matrix, random_index="saaty2005")
        np.testing.assert_allclose(together.priorities[k], alone.priorities, rtol=1e-12)
        assert together.lambda_max[k] == pytest.approx(alone.lambda_max, rel=1e-13)
        assert together.consistency_ratio[k] == pytest.approx(alone.consistency_ratio, rel=1e-12)
    np.testing.assert_allclose(
        ahp.priorities(stack, "geometric")[2], ahp.priorities(stack[2], "geometric")
    )
    stack[3, 1, 4] = 2.0
    with pytest.raises(
        ValueError, match=r"entries \(1, 4\) = 2 and \(4, 1\) = .* of matrix \(3,\)"
    ):
        ahp.evaluate(stack)


def test_lapack_fallback_gives_the_same_eigenpair(monkeypatch):
    from taskonomy_ahp import _priorities

    matrix = random_reciprocal(np.random.default_rng(3), 12)
    lam, w = ahp.principal_eigenpair(matrix)
    monkeypatch.setattr(_priorities, "_MAX_PASSES", 0)
    lam_lapack, w_lapack = ahp.principal_eigenpair(matrix)
    assert lam_lapack == pytest.approx(lam, rel=1e-13)
    np.testing.assert_allclose(w_lapack, w, rtol=1e-11)

"""Validation and construction of pairwise comparison matrices."""

from __future__ import annotations

import numpy as np
import pytest

import taskonomy_ahp as ahp

GOOD = [[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]]


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ([[1, 2, 3], [1 / 2, 1, 4]], r"square"),
        ([], r"square"),
        ([1, 2, 3], r"square"),
        ([[1, np.nan], [np.nan, 1]], r"entry \(0, 1\) is NaN.*complete_matrix"),
        ([[1, np.inf], [0, 1]], r"entry \(0, 1\) is infinite"),
        ([[1, 0.0], [0.0, 1]], r"entry \(0, 1\) is 0.0.*positive"),
        ([[1, -2], [-0.5, 1]], r"entry \(0, 1\) is -2.0.*positive"),
        ([[1, 3], [1 / 2, 1]], r"entries \(0, 1\) = 3 and \(1, 0\) = 0.5 are not reciprocal"),
        ([[2, 1], [1, 1]], r"entries \(0, 0\) = 2 and \(0, 0\) = 2 are not reciprocal"),
        ([["a", "b"], ["c", "d"]], r"numbers only"),
    ],
)
def test_bad_matrices_raise_one_clear_error(matrix, message):
    with pytest.raises(ValueError, match=message):
        ahp.priorities(matrix)
    with pytest.raises(ValueError, match=message):
        ahp.consistency_ratio(matrix)


def test_reciprocity_tolerance_is_configurable():
    rounded = [[1, 3], [0.33, 1]]
    with pytest.raises(ValueError, match="not reciprocal"):
        ahp.validate_matrix(rounded)
    assert ahp.validate_matrix(rounded, rtol=0.02)[1, 0] == 0.33


def test_missing_judgements_must_be_symmetric():
    with pytest.raises(ValueError, match="both sides"):
        ahp.validate_matrix([[1, np.nan], [1, 1]], allow_missing=True)
    with pytest.raises(ValueError, match="both sides"):
        ahp.validate_matrix([[np.nan, 1], [1, 1]], allow_missing=True)


def test_validate_returns_a_float_copy():
    source = np.array(GOOD)
    checked = ahp.validate_matrix(source)
    checked[0, 1] = 7
    assert source[0, 1] == 3 and checked.dtype == np.float64


def test_from_judgements_builds_the_reciprocal_matrix_in_first_seen_order():
    matrix, names = ahp.from_judgements([("a", "b", 3), ("a", "c", 5), ("b", "c", 2)])
    assert names == ["a", "b", "c"]
    np.testing.assert_allclose(matrix, GOOD)


def test_from_judgements_respects_names_and_leaves_gaps_as_nan():
    matrix, names = ahp.from_judgements({("b", "a"): 2}, names=["a", "b", "c"])
    assert names == ["a", "b", "c"]
    assert matrix[1, 0] == 2 and matrix[0, 1] == 0.5
    assert np.isnan(matrix[0, 2]) and np.isnan(matrix[2, 1])
    assert np.all(np.diag(matrix) == 1)


@pytest.mark.parametrize(
    ("judgements", "names", "message"),
    [
        ({("a", "b"): 2, ("b", "a"): 1 / 2}, None, "judged twice"),
        ({("a", "a"): 2}, None, "with itself"),
        ({("a", "b"): 0}, None, "positive"),
        ({("a", "b"): float("nan")}, None, "positive"),
        ({("a", "b"): float("inf")}, None, "finite"),
        ({("a", "z"): 2}, ["a", "b"], r"mention \['z'\]"),
        ({("a", "b"): 2}, ["a", "a", "b"], "unique"),
        ({}, None, "no judgements"),
    ],
)
def test_from_judgements_rejects_bad_input(judgements, names, message):
    with pytest.raises(ValueError, match=message):
        ahp.from_judgements(judgements, names)


def test_saaty_scale_covers_one_to_nine():
    assert sorted(ahp.SAATY_SCALE) == list(range(1, 10))
    assert ahp.SAATY_SCALE[1] == "equal importance"
    assert ahp.SAATY_SCALE[9] == "extreme importance"

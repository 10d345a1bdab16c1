"""Random-index tables and the consistency ratio, at every size."""

from __future__ import annotations

import numpy as np
import pytest

import taskonomy_ahp as ahp

INCONSISTENT_3 = [[1, 3, 1 / 2], [1 / 3, 1, 4], [2, 1 / 4, 1]]


def test_every_table_is_named_and_increases_with_n():
    assert set(ahp.RANDOM_INDEX_NAMES) == {
        "saaty1980",
        "saaty2005",
        "donegan_dodd1991",
        "alonso_lamata2006",
    }
    for name in ahp.RANDOM_INDEX_NAMES:
        values = [ahp.random_index(n, name) for n in range(3, 16)]
        assert all(0.4 < v < 1.8 for v in values), name
        assert values[-1] > values[0]


@pytest.mark.parametrize(
    ("n", "table", "expected"),
    [
        (3, "saaty1980", 0.58),
        (10, "saaty1980", 1.49),
        (12, "saaty1980", 1.48),
        (15, "saaty2005", 1.59),
        (7, "donegan_dodd1991", 1.2519),
        (22, "donegan_dodd1991", 1.5371 + 2 * (1.5619 - 1.5371) / 5),
        (100, "donegan_dodd1991", 1.6339),
        (3, "alonso_lamata2006", (1.7699 * 3 - 4.3513) / 2),
        (500, "alonso_lamata2006", (1.7699 * 500 - 4.3513) / 499),
    ],
)
def test_random_index_values(n, table, expected):
    assert ahp.random_index(n, table) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("table", ahp.RANDOM_INDEX_NAMES)
@pytest.mark.parametrize("n", [1, 2])
def test_tiny_matrices_have_zero_random_index_and_zero_cr(n, table):
    assert ahp.random_index(n, table) == 0.0
    assert ahp.consistency_ratio(np.ones((n, n)), table) == 0.0


@pytest.mark.parametrize(("table", "limit"), [("saaty1980", 15), ("saaty2005", 15)])
def test_a_size_beyond_the_table_is_an_error_not_nan(table, limit):
    with pytest.raises(ValueError, match=rf"stops at n = {limit}.*donegan_dodd1991"):
        ahp.random_index(limit + 1, table)
    with pytest.raises(ValueError, match=r"stops at n = 100.*alonso_lamata2006"):
        ahp.random_index(101, "donegan_dodd1991")


@pytest.mark.parametrize("n", [16, 40, 99, 100, 250])
def test_large_matrices_get_a_finite_cr(n):
    rng = np.random.default_rng(n)
    w = rng.uniform(1, 9, n)
    upper = np.triu_indices(n, 1)
    matrix = np.ones((n, n))
    matrix[upper] = (w[:, None] / w[None, :] * np.exp(rng.normal(0, 0.1, (n, n))))[upper]
    matrix[upper[::-1]] = 1 / matrix[upper]
    cr = ahp.consistency_ratio(matrix, "alonso_lamata2006")
    assert np.isfinite(cr) and 0 < cr < 0.1
    if n <= 100:
        assert np.isfinite(ahp.consistency_ratio(matrix, "donegan_dodd1991"))


def test_the_same_matrix_gets_a_different_cr_from_each_table():
    crs = {t: ahp.consistency_ratio(INCONSISTENT_3, t) for t in ahp.RANDOM_INDEX_NAMES}
    ci = ahp.consistency_index(ahp.lambda_max(INCONSISTENT_3), 3)
    for table, cr in crs.items():
        assert cr == pytest.approx(ci / ahp.random_index(3, table))
    assert len(set(np.round(list(crs.values()), 6))) == 4


def test_random_index_as_a_number_and_bad_names():
    ci = ahp.consistency_index(ahp.lambda_max(INCONSISTENT_3), 3)
    assert ahp.consistency_ratio(INCONSISTENT_3, 0.5) == pytest.approx(ci / 0.5)
    with pytest.raises(ValueError, match="unknown random-index table 'saaty'"):
        ahp.consistency_ratio(INCONSISTENT_3, "saaty")
    with pytest.raises(ValueError, match="must be positive"):
        ahp.consistency_ratio(INCONSISTENT_3, 0.0)
    with pytest.raises(ValueError, match="at least 1 row"):
        ahp.random_index(0)


def test_consistency_index_is_never_negative():
    assert ahp.consistency_index(3 - 1e-13, 3) == 0.0
    assert ahp.consistency_index(3.2, 3) == pytest.approx(0.1)


def test_drinks_cr_matches_saatys_table(textbook):
    _, matrix, _ = textbook["drinks"]
    # AHPy's documentation prints CR 0.022 for this matrix with Saaty's 2005 table.
    assert ahp.consistency_ratio(matrix, "saaty2005") == pytest.approx(0.022, abs=5e-4)

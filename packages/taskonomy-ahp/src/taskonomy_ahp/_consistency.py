"""Consistency of a comparison matrix: random-index tables, CI, CR, and a one-call evaluation."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._matrix import RECIPROCAL_RTOL, _checked
from ._priorities import Method, _eigenpair, _method, _single

#: Published random indices RI(n): the mean consistency index of random reciprocal matrices whose
#: entries are drawn from Saaty's scale. The same matrix gets a different CR from each table.
RANDOM_INDEX_TABLES: dict[str, dict[int, float]] = {
    # Saaty, The Analytic Hierarchy Process (1980): Saaty's printed examples and pyDecision use it.
    "saaty1980": {
        3: 0.58,
        4: 0.90,
        5: 1.12,
        6: 1.24,
        7: 1.32,
        8: 1.41,
        9: 1.45,
        10: 1.49,
        11: 1.51,
        12: 1.48,
        13: 1.56,
        14: 1.57,
        15: 1.59,
    },
    # Saaty, Theory and Applications of the Analytic Network Process (2005), p. 31 (AHPy's "saaty").
    "saaty2005": {
        3: 0.52,
        4: 0.89,
        5: 1.11,
        6: 1.25,
        7: 1.35,
        8: 1.40,
        9: 1.45,
        10: 1.49,
        11: 1.52,
        12: 1.54,
        13: 1.56,
        14: 1.58,
        15: 1.59,
    },
    # Donegan & Dodd, Math. Comput. Modelling 15(10), 1991 (AHPy's default "dd", values as AHPy
    # prints them); sizes between two tabulated ones are interpolated linearly, as AHPy does.
    "donegan_dodd1991": {
        3: 0.4914,
        4: 0.8286,
        5: 1.0591,
        6: 1.1797,
        7: 1.2519,
        8: 1.3171,
        9: 1.3733,
        10: 1.4055,
        11: 1.4213,
        12: 1.4497,
        13: 1.4643,
        14: 1.4822,
        15: 1.4969,
        16: 1.5078,
        17: 1.5153,
        18: 1.5262,
        19: 1.5313,
        20: 1.5371,
        25: 1.5619,
        30: 1.5772,
        40: 1.5976,
        50: 1.6102,
        60: 1.6178,
        70: 1.6237,
        80: 1.6277,
        90: 1.6213,
        100: 1.6339,
    },
}

#: Alonso & Lamata (2006), Int. J. Uncertainty, Fuzziness and Knowledge-Based Systems 14(4): the
#: regression lambda_max = 2.7699 n - 4.3513 of random matrices, so RI(n) = (1.7699 n - 4.3513) /
#: (n - 1) for any n >= 3 (R's `ahp` package).
ALONSO_LAMATA = "alonso_lamata2006"

RANDOM_INDEX_NAMES = (*RANDOM_INDEX_TABLES, ALONSO_LAMATA)

_RANDOM_INDICES: dict[tuple[str, int], float] = {}  # (table, n) -> RI, as looked up so far


def random_index(n: int, table: str = "saaty1980") -> float:
    """RI(n) from a named published table (see ``RANDOM_INDEX_NAMES``); 0 for n <= 2.

    A size beyond a table's range is an error, never NaN: Saaty's tables stop at 15,
    Donegan & Dodd's at 100; Alonso & Lamata's formula covers every n.

    >>> random_index(3), random_index(45, "donegan_dodd1991"), random_index(22, "alonso_lamata2006")
    (0.58, 1.6039, 1.6469761904761906)
    """
    if n < 1:
        raise ValueError(f"a comparison matrix has at least 1 row, got n = {n}")
    if table not in RANDOM_INDEX_NAMES:
        raise ValueError(
            f"unknown random-index table {table!r}; choose one of {RANDOM_INDEX_NAMES}"
        )
    if n <= 2:
        return 0.0
    if table == ALONSO_LAMATA:
        return (1.7699 * n - 4.3513) / (n - 1)
    values = RANDOM_INDEX_TABLES[table]
    if n in values:
        return values[n]
    sizes = sorted(values)
    if n > sizes[-1]:
        covering = [name for name in RANDOM_INDEX_TABLES if max(RANDOM_INDEX_TABLES[name]) >= n]
        raise ValueError(
            f"the {table!r} random-index table stops at n = {sizes[-1]}, the matrix has n = {n}; "
            f"use random_index= one of {[*covering, ALONSO_LAMATA]} or pass RI as a number"
        )
    above = bisect.bisect_left(sizes, n)
    lo, hi = sizes[above - 1], sizes[above]
    return round(values[lo] + (values[hi] - values[lo]) * (n - lo) / (hi - lo), 12)


def consistency_index(lambda_max: Any, n: int) -> Any:
    """Saaty's CI = (lambda_max - n) / (n - 1); 0 for n <= 2, and never negative from rounding.

    >>> round(consistency_index(3.1, 3), 12)
    0.05
    """
    if type(lambda_max) is float and n > 2:
        return max(0.0, (lambda_max - n) / (n - 1))
    if n <= 2:
        return 0.0 if np.ndim(lambda_max) == 0 else np.zeros(np.shape(lambda_max))
    ci = np.maximum(0.0, (np.asarray(lambda_max, dtype=np.float64) - n) / (n - 1))
    return float(ci) if ci.ndim == 0 else ci


@dataclass(frozen=True)
class Evaluation:
    """Priorities and consistency of one comparison matrix (arrays, one entry per matrix, for a
    stack)."""

    priorities: np.ndarray
    lambda_max: Any
    consistency_index: Any
    consistency_ratio: Any


def _evaluation(w: np.ndarray, lam: Any, ci: Any, cr: Any) -> Evaluation:
    """Evaluation(w, lam, ci, cr) without the frozen dataclass's __init__ (a third of a
    microsecond per field, a tenth of a small matrix's whole evaluation)."""
    evaluation = _new(Evaluation)
    fields = evaluation.__dict__
    fields["priorities"] = w
    fields["lambda_max"] = lam
    fields["consistency_index"] = ci
    fields["consistency_ratio"] = cr
    return evaluation


_new = object.__new__


def evaluate(
    matrix: ArrayLike,
    method: Method = "eigenvector",
    random_index: str | float = "saaty1980",
    *,
    rtol: float = RECIPROCAL_RTOL,
) -> Evaluation:
    """Priorities, lambda_max, CI and CR of a comparison matrix in one eigen-computation.

    `random_index` is a table name (see :func:`random_index`) or RI itself as a number.
    CR = CI / RI always uses the true lambda_max, whatever the priority `method`. A stack of
    matrices (``k x n x n``) is evaluated in one vectorised pass.

    >>> e = evaluate([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    >>> e.priorities.round(4).tolist(), round(e.consistency_ratio, 4)
    ([0.637, 0.2583, 0.1047], 0.0332)
    """
    single = _single(matrix, rtol)
    if single is None:
        a, well_scaled = _checked(matrix, rtol)
        lam, w = _eigenpair(a, well_scaled)
    else:
        a, lam, w = single
    if method != "eigenvector":
        w = _method(method)(a)
    n = a.shape[-1]
    ci = consistency_index(lam, n)
    return _evaluation(w, lam, ci, _ratio(ci, n, random_index))


def consistency_ratio(
    matrix: ArrayLike, random_index: str | float = "saaty1980", *, rtol: float = RECIPROCAL_RTOL
) -> Any:
    """Saaty's consistency ratio CR = CI / RI(n); below 0.1 is conventionally acceptable.

    `random_index` names the RI table ("saaty1980", "saaty2005", "donegan_dodd1991",
    "alonso_lamata2006") or gives RI as a number. CR is 0 for n <= 2 and for consistent matrices.

    >>> round(consistency_ratio([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]), 4)
    0.0332
    """
    single = _single(matrix, rtol)
    if single is None:
        a, well_scaled = _checked(matrix, rtol)
        lam = _eigenpair(a, well_scaled)[0]
    else:
        a, lam, _ = single
    n = a.shape[-1]
    return _ratio(consistency_index(lam, n), n, random_index)


def _ratio(ci: Any, n: int, table: str | float) -> Any:
    if isinstance(table, str):
        ri = _RANDOM_INDICES.get((table, n))
        if ri is None:
            ri = _RANDOM_INDICES[table, n] = random_index(n, table)
    else:
        ri = float(table)
        if not ri > 0:
            raise ValueError(f"a random index given as a number must be positive, got {table!r}")
    if n <= 2:
        return ci  # zero
    return ci / ri

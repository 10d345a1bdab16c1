"""Pairwise comparison matrices: Saaty's scale, construction from judgements, validation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

#: Saaty's fundamental 1-9 scale: how much more important (or preferred) the row is than the column.
#: Reciprocals (1/3, 1/5, ...) express the opposite judgement.
SAATY_SCALE: dict[int, str] = {
    1: "equal importance",
    2: "weak or slight",
    3: "moderate importance",
    4: "moderate plus",
    5: "strong importance",
    6: "strong plus",
    7: "very strong or demonstrated importance",
    8: "very, very strong",
    9: "extreme importance",
}

#: Default relative tolerance on reciprocity, |a_ij * a_ji - 1| <= RECIPROCAL_RTOL.
RECIPROCAL_RTOL = 1e-6

Judgements = Mapping[tuple[str, str], float] | Iterable[tuple[str, str, float]]


def validate_matrix(
    matrix: ArrayLike, *, rtol: float = RECIPROCAL_RTOL, allow_missing: bool = False
) -> np.ndarray:
    """Check that `matrix` is a positive reciprocal comparison matrix; return it as float64.

    Square, finite, positive and reciprocal (``a[i, j] * a[j, i] == 1`` within `rtol`, hence a unit
    diagonal). A stack of matrices (``k x n x n``) is checked matrix by matrix. With
    ``allow_missing=True``, NaN marks a missing judgement (both ``a[i, j]`` and ``a[j, i]``); see
    :func:`complete_matrix`. The error names the first offending entry.

    >>> validate_matrix([[1, 3], [1 / 3, 1]]).tolist()
    [[1.0, 3.0], [0.3333333333333333, 1.0]]
    """
    return _checked(matrix, rtol, allow_missing, copy=True)[0]


#: ||A||_F ** 2 below this bound: A's entries are below 1e9, so no product of a few of them (the
#: validation's a[i, j] * a[j, i], the eigen-solver's A ** 32 of a reciprocal matrix) can overflow
#: or underflow.
WELL_SCALED_NORM2 = 1e18


def _checked(
    matrix: ArrayLike, rtol: float, allow_missing: bool = False, copy: bool = False
) -> tuple[np.ndarray, bool]:
    """validate_matrix, and whether it is one well-scaled matrix (see WELL_SCALED_NORM2). With
    ``copy=False`` a float64 array comes back as it is (for read-only use)."""
    try:
        a = np.array(matrix, dtype=np.float64) if copy else np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"the comparison matrix must hold numbers only: {error}") from None
    shape = a.shape
    if len(shape) < 2 or shape[-1] != shape[-2] or a.size == 0:
        raise ValueError(
            f"the comparison matrix must be square and non-empty, got shape {shape}; "
            "pass an n x n array with a[i, j] = how much i is preferred to j"
        )
    if allow_missing:
        _diagnose(a, rtol, allow_missing)
        return a, False
    # The common case in a few whole-array operations; the exact test, and the diagnosis naming
    # the offending entry, only when that fails.
    if _quick_check(a, rtol):
        return a, len(shape) == 2
    if a.min() > 0 and np.abs(a * np.swapaxes(a, -1, -2) - 1.0).max() <= rtol:
        return a, False
    _diagnose(a, rtol, allow_missing)
    return a, False


def _quick_check(a: np.ndarray, rtol: float) -> bool:
    """A sufficient test in five numpy calls: finite and well scaled (NaN fails too), and positive
    and reciprocal within rtol. d = |a| * a.T - 1 is zero for a positive reciprocal matrix, while
    a non-positive entry makes some |d| >= 1; sum(d ** 2) <= rtol ** 2 gives max |d| <= rtol."""
    d = abs(a)
    flat = d.ravel()  # a view: sums of squares by BLAS, the cheapest reduction for small n
    if not flat.dot(flat) < WELL_SCALED_NORM2:
        return False
    d *= (a.T if a.ndim == 2 else np.swapaxes(a, -1, -2)).copy()  # copied: contiguous is faster
    d -= _ONE
    return flat.dot(flat) <= rtol * rtol


_ONE = np.array(1.0)  # a 0-d array: cheaper to combine with an array than the float 1.0


def _diagnose(a: np.ndarray, rtol: float, allow_missing: bool) -> None:
    missing = np.isnan(a)
    mirrored = np.swapaxes(missing, -1, -2)
    if missing.any():
        if not allow_missing:
            raise ValueError(
                f"{_entry(missing)} is NaN (a missing judgement); "
                "fill it in, or use complete_matrix() to complete the matrix by Harker's method"
            )
        bad = missing & (~mirrored | np.eye(a.shape[-1], dtype=bool))
        if bad.any():
            raise ValueError(
                f"{_entry(bad)}: a missing judgement must be NaN on both sides of the diagonal "
                "and never on it"
            )
    if np.isinf(a).any():
        raise ValueError(f"{_entry(np.isinf(a))} is infinite; judgements must be finite")
    known = ~missing
    with np.errstate(invalid="ignore"):
        if (known & (a <= 0)).any():
            where = _first(known & (a <= 0))
            raise ValueError(
                f"{_entry(known & (a <= 0))} is {a[where]}; judgements must be positive "
                "(use 1/x, not -x or 0, for the opposite preference)"
            )
        off = known & ~(np.abs(a * np.swapaxes(a, -1, -2) - 1.0) <= rtol)
    if off.any():
        *stack, i, j = _first(off)
        of = f" of matrix {tuple(stack)}" if stack else ""
        x, y = a[(*stack, i, j)], a[(*stack, j, i)]
        raise ValueError(
            f"entries ({i}, {j}) = {x:.6g} and ({j}, {i}) = {y:.6g}{of} are not reciprocal "
            f"(their product must be 1 within {rtol:g}); set a[{j}, {i}] = 1 / a[{i}, {j}]"
        )


def from_judgements(
    judgements: Judgements, names: Sequence[str] | None = None
) -> tuple[np.ndarray, list[str]]:
    """Build a reciprocal comparison matrix from judgements ``(a, b) -> x`` ("a is x times b").

    `judgements` is a mapping ``{(a, b): x}`` or an iterable of ``(a, b, x)``; each unordered pair
    at most once. `names` fixes the order (default: order of first appearance). Pairs never
    judged are NaN: complete them with :func:`complete_matrix`.

    >>> matrix, names = from_judgements({("price", "quality"): 3, ("price", "speed"): 5})
    >>> names, matrix[0].tolist()
    (['price', 'quality', 'speed'], [1.0, 3.0, 5.0])
    """
    items = judgements.items() if isinstance(judgements, Mapping) else judgements
    triples = [(a, b, x) for (a, b), x in items] if isinstance(judgements, Mapping) else list(items)
    seen = list(dict.fromkeys(name for a, b, _ in triples for name in (a, b)))
    order = list(names) if names is not None else seen
    index = {name: k for k, name in enumerate(order)}
    if len(index) != len(order):
        raise ValueError(f"names must be unique, got {order}")
    unknown = [name for name in seen if name not in index]
    if unknown:
        raise ValueError(f"judgements mention {unknown}, which are not in names {order}")
    n = len(order)
    if n == 0:
        raise ValueError("no judgements given; pass {(a, b): x, ...} with at least one pair")
    rows = np.array([index[a] for a, _, _ in triples], dtype=np.intp)
    cols = np.array([index[b] for _, b, _ in triples], dtype=np.intp)
    try:
        values = np.array([x for _, _, x in triples], dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("judgements must be numbers, e.g. {('a', 'b'): 3}") from None
    pairs = np.minimum(rows, cols) * n + np.maximum(rows, cols)
    valid = (rows != cols).all() and len(np.unique(pairs)) == len(pairs)
    if not (valid and ((values > 0) & (values < np.inf)).all()):
        _diagnose_judgements(triples, rows, cols, pairs, values)
    matrix = np.full((n, n), np.nan)
    np.fill_diagonal(matrix, 1.0)
    matrix[rows, cols] = values
    matrix[cols, rows] = 1.0 / values
    return matrix, order


def _diagnose_judgements(
    triples: list, rows: np.ndarray, cols: np.ndarray, pairs: np.ndarray, values: np.ndarray
) -> None:
    _, first = np.unique(pairs, return_index=True)
    problems = {
        "compares {a!r} with itself": rows == cols,
        "is judged twice; give each pair once": ~np.isin(np.arange(len(pairs)), first),
        "= {x!r}; judgements must be positive and finite": ~(np.isfinite(values) & (values > 0)),
    }
    for message, bad in problems.items():
        if bad.any():
            a, b, x = triples[int(np.argmax(bad))]
            raise ValueError(f"judgement ({a!r}, {b!r}) " + message.format(a=a, x=x))


def _first(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(k) for k in np.argwhere(mask)[0])


def _entry(mask: np.ndarray) -> str:
    """'entry (i, j)' of the first True in mask, naming the matrix of a stack."""
    *stack, i, j = _first(mask)
    return f"entry ({i}, {j})" + (f" of matrix {tuple(stack)}" if stack else "")

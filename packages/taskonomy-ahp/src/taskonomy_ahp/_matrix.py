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
    """Check that `matrix` is a positive reciprocal pairwise comparison matrix; return it as float64.

    Square, finite, positive and reciprocal (``a[i, j] * a[j, i] == 1`` within `rtol`, hence a unit
    diagonal). With ``allow_missing=True``, NaN marks a missing judgement (both ``a[i, j]`` and
    ``a[j, i]``); see :func:`complete_matrix`. The error names the first offending entry.

    >>> validate_matrix([[1, 3], [1 / 3, 1]]).tolist()
    [[1.0, 3.0], [0.3333333333333333, 1.0]]
    """
    try:
        a = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"the comparison matrix must hold numbers only: {error}") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ValueError(
            f"the comparison matrix must be square and non-empty, got shape {a.shape}; "
            "pass an n x n array with a[i, j] = how much i is preferred to j"
        )
    missing = np.isnan(a)
    if missing.any():
        i, j = _first(missing)
        if not allow_missing:
            raise ValueError(
                f"entry ({i}, {j}) is NaN (a missing judgement); "
                "fill it in, or use complete_matrix() to complete the matrix by Harker's method"
            )
        if missing.diagonal().any() or (missing != missing.T).any():
            i, j = _first(missing != missing.T) if (missing != missing.T).any() else (i, i)
            raise ValueError(
                f"entry ({i}, {j}): a missing judgement must be NaN on both sides of the diagonal "
                "and never on it"
            )
    known = ~missing
    if np.isinf(a).any():
        i, j = _first(np.isinf(a))
        raise ValueError(f"entry ({i}, {j}) is infinite ({a[i, j]}); judgements must be finite")
    if (a[known] <= 0).any():
        i, j = _first(known & (a <= 0))
        raise ValueError(
            f"entry ({i}, {j}) is {a[i, j]}; judgements must be positive "
            "(use 1/x, not -x or 0, for the opposite preference)"
        )
    with np.errstate(invalid="ignore"):
        off = known & ~np.isclose(a * a.T, 1.0, rtol=0.0, atol=rtol)
    if off.any():
        i, j = _first(off)
        raise ValueError(
            f"entries ({i}, {j}) = {a[i, j]:.6g} and ({j}, {i}) = {a[j, i]:.6g} are not reciprocal "
            f"(their product must be 1 within {rtol:g}); set a[{j}, {i}] = 1 / a[{i}, {j}]"
        )
    return a


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
    matrix = np.full((n, n), np.nan)
    np.fill_diagonal(matrix, 1.0)
    for a, b, x in triples:
        i, j = index[a], index[b]
        if i == j:
            raise ValueError(f"judgement ({a!r}, {b!r}) compares {a!r} with itself")
        if not np.isnan(matrix[i, j]):
            raise ValueError(f"the pair ({a!r}, {b!r}) is judged twice; give each pair once")
        value = float(x)
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"judgement ({a!r}, {b!r}) = {x!r}; judgements must be positive")
        matrix[i, j], matrix[j, i] = value, 1.0 / value
    return matrix, order


def _first(mask: np.ndarray) -> tuple[int, int]:
    i, j = np.argwhere(mask)[0]
    return int(i), int(j)

"""Incomplete comparison matrices (missing judgements) completed by Harker's method."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ._matrix import RECIPROCAL_RTOL, validate_matrix
from ._priorities import principal_eigenpair


def complete_matrix(matrix: ArrayLike, *, rtol: float = RECIPROCAL_RTOL) -> np.ndarray:
    """Fill the missing (NaN) judgements of a comparison matrix by Harker's method (1987).

    Harker replaces each missing pair by 0 and adds the number of missing entries of a row to its
    diagonal; the Perron vector w of that matrix gives the priorities. Filling the gaps with
    ``w[i] / w[j]`` yields a complete reciprocal matrix with the same Perron vector and the same
    lambda_max, so :func:`priorities` and :func:`consistency_ratio` of the result are Harker's.
    The known judgements must connect every alternative, else the priorities are not determined.

    >>> nan = float("nan")
    >>> complete_matrix([[1, 2, nan], [1 / 2, 1, 2], [nan, 1 / 2, 1]])[0, 2].round(12)
    np.float64(4.0)
    """
    a = validate_matrix(matrix, rtol=rtol, allow_missing=True)
    missing = np.isnan(a)
    if not missing.any():
        return a
    _check_connected(~missing)
    harker = np.where(missing, 0.0, a)
    harker[np.diag_indices_from(harker)] += missing.sum(axis=1)
    w = principal_eigenpair(harker)[1]
    return np.where(missing, w[:, None] / w[None, :], a)


def _check_connected(known: np.ndarray) -> None:
    reached = np.zeros(len(known), dtype=bool)
    frontier = np.zeros(len(known), dtype=bool)
    frontier[0] = True
    while frontier.any():
        reached |= frontier
        frontier = known[frontier].any(axis=0) & ~reached
    if not reached.all():
        cut = np.flatnonzero(~reached).tolist()
        raise ValueError(
            f"alternatives {cut} are not linked to alternative 0 by any chain of judgements; "
            "add at least one judgement between the two groups"
        )

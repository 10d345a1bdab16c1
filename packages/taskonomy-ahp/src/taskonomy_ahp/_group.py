"""Group decisions: aggregation of individual judgements (AIJ) or individual priorities (AIP)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ._matrix import RECIPROCAL_RTOL, validate_matrix


def aggregate_judgements(
    matrices: Sequence[ArrayLike],
    weights: ArrayLike | None = None,
    *,
    rtol: float = RECIPROCAL_RTOL,
) -> np.ndarray:
    """Aggregate individual comparison matrices by the weighted geometric mean, entry by entry.

    The geometric mean (Aczél & Saaty 1983) is the aggregate that keeps the result reciprocal.
    `weights` (one per decision maker, default equal) are normalised to sum to 1.

    >>> aggregate_judgements([[[1, 4], [1 / 4, 1]], [[1, 1], [1, 1]]])[0, 1].round(12)
    np.float64(2.0)
    """
    stack = [validate_matrix(m, rtol=rtol) for m in matrices]
    if not stack:
        raise ValueError("no matrices to aggregate; pass one comparison matrix per decision maker")
    shapes = {m.shape for m in stack}
    if len(shapes) != 1:
        raise ValueError(
            f"the matrices differ in size {sorted(shapes)}; all must compare the same n"
        )
    w = _weights(weights, len(stack))
    return np.exp(np.tensordot(w, np.log(np.stack(stack)), axes=1))


def aggregate_priorities(
    priority_vectors: Sequence[ArrayLike],
    weights: ArrayLike | None = None,
    method: Literal["geometric", "arithmetic"] = "geometric",
) -> np.ndarray:
    """Aggregate individual priority vectors into group priorities that sum to 1.

    ``method="geometric"`` is the weighted geometric mean, renormalised (Forman & Peniwati 1998,
    the choice when individuals act as one unit); ``"arithmetic"`` the weighted mean.

    >>> aggregate_priorities([[0.5, 0.5], [0.9, 0.1]], method="arithmetic").round(12).tolist()
    [0.7, 0.3]
    """
    try:
        p = np.array(priority_vectors, dtype=np.float64)
    except ValueError:
        raise ValueError(
            "the priority vectors differ in length; each must rank the same n"
        ) from None
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] == 0:
        raise ValueError(f"pass a non-empty list of priority vectors, got shape {p.shape}")
    if not np.isfinite(p).all() or (p <= 0).any():
        raise ValueError("priorities must be finite and positive")
    w = _weights(weights, p.shape[0])
    if method == "geometric":
        logs = w @ np.log(p)
        group = np.exp(logs - logs.max())
    elif method == "arithmetic":
        group = w @ p
    else:
        raise ValueError(f"unknown aggregation method {method!r}; use 'geometric' or 'arithmetic'")
    return group / group.sum()


def _weights(weights: ArrayLike | None, k: int) -> np.ndarray:
    if weights is None:
        return np.full(k, 1.0 / k)
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (k,):
        raise ValueError(f"give one weight per decision maker: {k} expected, got shape {w.shape}")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"decision-maker weights must be non-negative with a positive sum: {w}")
    return w / w.sum()

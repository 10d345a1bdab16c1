"""Priorities of a pairwise comparison matrix: principal eigenvector and row geometric mean."""

from __future__ import annotations

from collections.abc import Callable
from operator import truediv as _truediv
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._matrix import RECIPROCAL_RTOL, WELL_SCALED_NORM2, _checked, _quick_check

Method = Literal["eigenvector", "geometric"]

#: Largest accepted relative residual ||A w - lambda w||_inf / (lambda * max(w)) of the eigenpair.
EIGEN_RESIDUAL_TOL = 1e-9

#: Convergence: the Collatz-Wielandt bounds on lambda_max must agree to CONVERGENCE_RTOL relative
#: (plus 8 n machine epsilons, what rounding leaves of an n-term sum); see principal_eigenpair.
CONVERGENCE_RTOL = 1e-13

_FIRST_SQUARINGS = 5  # A ** 32 before the first check: enough for near-consistent judgements
_MORE_SQUARINGS = 2  # each further pass: A ** 128, A ** 512, ...
_MAX_PASSES = 16  # checks before falling back to LAPACK (A ** (2 ** 35) by then)

_EPS = float(np.finfo(np.float64).eps)


def principal_eigenpair(matrix: np.ndarray) -> tuple[Any, np.ndarray]:
    """The Perron root lambda_max and its eigenvector (positive, summing to 1) of a positive matrix,
    or of each matrix of a stack (``k x n x n``).

    Method: the power method by repeated squaring. Squaring ``B <- B @ B`` turns ``B = A`` into
    ``A ** (2 ** k)``, whose columns converge to the Perron vector w at the rate
    ``(lambda_2 / lambda_max) ** (2 ** k)``: doubly exponential, and for a positive matrix
    ``|lambda_2| < lambda_max`` (Perron-Frobenius). Convergence check: for a positive matrix M and
    any positive x, the Collatz-Wielandt bounds ``min_i (M x)_i / x_i <= rho(M) <= max_i (M x)_i /
    x_i`` hold, and the bounds they give on lambda_max must agree to ``1e-13`` relative (plus
    ``8 n`` machine epsilons, the rounding of an n-term sum).

    - One matrix with ``||A||_F < 1e9`` (no scaling needed, ``A ** 32`` cannot overflow): four
      squarings give ``M = A ** 16``; x = column 0 of M and ``M x`` = column 0 of ``A ** 32``
      bound ``lambda_max ** 16``. Returned: ``w = M x`` (a power step closer to the Perron vector
      than x) and ``lambda_max = (sum(M x) / sum(x)) ** (1 / 16)``, between the bounds.
    - Otherwise (a stack, a badly scaled matrix, or the check above failed): squarings
      renormalised at each step, five (``A ** 32``) and then two per pass; x = column 0 of
      ``A ** (2 ** k)`` and M = A, so that the check also bounds the residual
      ``||A w - lambda w||_inf <= 1e-13 * lambda * max(w)``; ``lambda_max = sum(A @ w)`` for w
      summing to 1. After 16 passes (``A ** (2 ** 35)``) LAPACK's dense eigensolver
      (``numpy.linalg.eig``) takes over, and its pair must satisfy ``||A w - lambda w||_inf <=
      1e-9 * lambda * max(w)``, else ArithmeticError.

    The matrix is not validated here; see :func:`validate_matrix`.

    >>> lam, w = principal_eigenpair(np.array([[1.0, 2.0], [0.5, 1.0]]))
    >>> round(lam, 12), w.round(12).tolist()
    (2.0, [0.666666666667, 0.333333333333])
    """
    a = np.asarray(matrix, dtype=np.float64)
    return _eigenpair(a, a.ndim == 2 and _norm2(a) < WELL_SCALED_NORM2)


def _eigenpair(a: np.ndarray, well_scaled: bool) -> tuple[Any, np.ndarray]:
    """principal_eigenpair of a float64 array; `well_scaled`: one matrix with ||A||_F < 1e9."""
    if well_scaled:
        pair = _power32(a)
        if pair is not None:
            return pair
    return _squaring(a, CONVERGENCE_RTOL + 8 * a.shape[-1] * _EPS)


def _power32(a: np.ndarray) -> tuple[float, np.ndarray] | None:
    """The first pass for one well-scaled matrix in as few numpy calls as possible (for small n
    the cost is numpy's per-call overhead): no scaling is needed, ||A ** 32|| <= ||A||_F ** 32 <
    1e288. The Collatz-Wielandt bounds are those of M = A ** 16 (its Perron root is lambda_max **
    16, its Perron vector w) at w0 = column 0 of M: w1 = M w0 gives lambda_max ** 16 between
    min(w1 / w0) and max(w1 / w0); the pair returned is (sum(w1) / sum(w0)) ** (1 / 16), between
    the bounds, and w1, a power step closer to w than w0. On Python floats; None if the bounds on
    lambda_max differ by more than the tolerance."""
    if _MAX_PASSES <= 0:
        return None
    at = a.T
    b = at.dot(at)  # (A ** 2).T: its rows are A's columns, and row 0 tends to w
    b = b.dot(b)
    b = b.dot(b)
    b = b.dot(b)  # M.T
    w0 = b[0]  # column 0 of M
    w1 = w0.dot(b)  # column 0 of A ** 32
    ones = w0.tolist()
    twos = w1.tolist()
    try:
        ratios = sorted(map(_truediv, twos, ones))
    except ZeroDivisionError:  # w0 has a zero (A is not positive): the general path decides
        return None
    lo = ratios[0]
    if not ratios[-1] - lo <= 16 * (CONVERGENCE_RTOL + 8 * len(ones) * _EPS) * lo:
        return None
    total = sum(twos)
    return (total / sum(ones)) ** 0.0625, w1 / total


def _single(matrix: ArrayLike, rtol: float) -> tuple[np.ndarray, float, np.ndarray] | None:
    """Validation and eigenpair of one matrix in a dozen numpy calls: the common case of
    evaluate(), priorities() and consistency_ratio(). None where the general path must decide
    (not one square matrix, badly scaled, not clearly reciprocal, not converged in one pass); it
    then repeats the validation and gives the errors."""
    try:
        a = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    shape = a.shape
    if len(shape) != 2 or shape[0] != shape[1] or not shape[0]:
        return None
    pair = _power32(a) if _quick_check(a, rtol) else None
    return None if pair is None else (a, *pair)


def _norm2(a: np.ndarray) -> float:
    flat = a.reshape(-1)
    return flat.dot(flat)


def _squaring(a: np.ndarray, tol: float) -> tuple[Any, np.ndarray]:
    """Repeated squaring of a matrix or a stack, renormalised at every step (any scale)."""
    b = np.swapaxes(a, -1, -2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        for step in range(_MAX_PASSES):
            for _ in range(_FIRST_SQUARINGS if step == 0 else _MORE_SQUARINGS):
                b = b / b.sum(axis=(-2, -1), keepdims=True)
                b = b @ b
            w = b[..., 0, :]
            image = (a @ w[..., None])[..., 0]
            ratios = image / w
            lo = ratios.min(axis=-1)
            if np.all(ratios.max(axis=-1) - lo <= tol * lo):
                total = w.sum(axis=-1)
                lam = image.sum(axis=-1) / total
                return (float(lam) if lam.ndim == 0 else lam), w / total[..., None]
    w = _lapack_perron_vector(a)
    w /= w.sum(axis=-1, keepdims=True)
    image = (a @ w[..., None])[..., 0]
    lam = image.sum(axis=-1)
    residual = np.abs(image - lam[..., None] * w).max(axis=-1)
    bad = ~(residual <= EIGEN_RESIDUAL_TOL * lam * w.max(axis=-1))
    if np.any(bad):
        raise ArithmeticError(
            "the principal eigenvector did not converge (relative residual "
            f"{np.max(residual / (lam * w.max(axis=-1))):.3g}); rescale the judgements"
        )
    return (float(lam) if lam.ndim == 0 else lam), w


def _lapack_perron_vector(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eig(matrix)
    k = np.argmax(values.real, axis=-1)
    chosen = np.take_along_axis(vectors, k[..., None, None], axis=-1)[..., 0]
    return np.abs(chosen.real)


def _eigenvector(matrix: np.ndarray) -> np.ndarray:
    return _eigenpair(matrix, matrix.ndim == 2 and _norm2(matrix) < WELL_SCALED_NORM2)[1]


def _geometric(matrix: np.ndarray) -> np.ndarray:
    logs = np.log(matrix).mean(axis=-1)
    w = np.exp(logs - logs.max(axis=-1, keepdims=True))
    return w / w.sum(axis=-1, keepdims=True)


#: Priority methods by name; add one here to make it available to every function taking `method`.
PRIORITY_METHODS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "eigenvector": _eigenvector,
    "geometric": _geometric,
}


def priorities(
    matrix: ArrayLike, method: Method = "eigenvector", *, rtol: float = RECIPROCAL_RTOL
) -> np.ndarray:
    """Priority weights (summing to 1) of a positive reciprocal comparison matrix (or of each
    matrix of a ``k x n x n`` stack, one row of weights per matrix).

    ``method="eigenvector"`` (Saaty, the default) is the principal eigenvector, see
    :func:`principal_eigenpair`; ``method="geometric"`` is the normalised row geometric mean
    (Crawford & Williams' logarithmic least squares). Both return ``w`` exactly for a consistent
    matrix ``a[i, j] = w[i] / w[j]``.

    >>> priorities([[1, 3, 5], [1 / 3, 1, 5 / 3], [1 / 5, 3 / 5, 1]]).round(6).tolist()
    [0.652174, 0.217391, 0.130435]
    """
    compute = _method(method)
    if compute is _eigenvector:
        single = _single(matrix, rtol)
        if single is not None:
            return single[2]
    a, well_scaled = _checked(matrix, rtol)
    if compute is _eigenvector:
        return _eigenpair(a, well_scaled)[1]
    return compute(a)


def lambda_max(matrix: ArrayLike, *, rtol: float = RECIPROCAL_RTOL) -> Any:
    """The principal eigenvalue of a comparison matrix (n for a consistent one, larger otherwise).

    >>> round(lambda_max([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]), 12)
    3.0
    """
    single = _single(matrix, rtol)
    return single[1] if single is not None else _eigenpair(*_checked(matrix, rtol))[0]


def _method(method: str) -> Callable[[np.ndarray], np.ndarray]:
    try:
        return PRIORITY_METHODS[method]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown priority method {method!r}; choose one of {sorted(PRIORITY_METHODS)}"
        ) from None

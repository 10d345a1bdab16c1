"""Priorities of a pairwise comparison matrix: principal eigenvector and row geometric mean."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from ._matrix import RECIPROCAL_RTOL, validate_matrix

Method = Literal["eigenvector", "geometric"]

#: Largest accepted relative residual ||A w - lambda w||_inf / (lambda * max(w)) of the eigenpair.
EIGEN_RESIDUAL_TOL = 1e-9


def principal_eigenpair(matrix: np.ndarray) -> tuple[Any, np.ndarray]:
    """The Perron root lambda_max and its eigenvector (positive, summing to 1) of a positive matrix,
    or of each matrix of a stack (``k x n x n``).

    Method: the power method by repeated squaring. ``B <- B @ B`` (renormalised) turns B into
    ``A ** (2 ** k)``, whose rows converge to the rank-one Perron projector at the rate
    ``(lambda_2 / lambda_max) ** (2 ** k)``: doubly exponential, and for a positive matrix
    ``|lambda_2| < lambda_max`` (Perron-Frobenius). The row sums are w; squaring stops when two
    passes (``A ** 8`` apart) agree to 1e-13 relative, and falls back to LAPACK's dense
    eigensolver (``numpy.linalg.eig``) if that has not happened by ``A ** (2 ** 48)``. Then
    ``lambda_max = sum(A @ w)``, and the pair must satisfy ``||A w - lambda w||_inf <= 1e-9 *
    lambda * max(w)``, else ArithmeticError. The matrix is not validated here; see
    :func:`validate_matrix`.

    >>> lam, w = principal_eigenpair(np.array([[1.0, 2.0], [0.5, 1.0]]))
    >>> round(lam, 12), w.round(12).tolist()
    (2.0, [0.666666666667, 0.333333333333])
    """
    b = matrix / matrix.sum(axis=(-2, -1), keepdims=True)
    previous = None
    for _ in range(_MAX_PASSES):
        b = b @ b  # the spectral radius of b is below 1, so three squarings cannot overflow
        b = b @ b
        b = b @ b
        w = b.sum(axis=-1)
        total = w.sum(axis=-1, keepdims=True)
        w /= total
        b /= total[..., None]
        if previous is not None and np.max(np.abs(w - previous) / w) <= 1e-13:
            break
        previous = w
    else:
        w = _lapack_perron_vector(matrix)
        w /= w.sum(axis=-1, keepdims=True)
    image = (matrix @ w[..., None])[..., 0]
    lam = image.sum(axis=-1)
    residual = np.abs(image - lam[..., None] * w).max(axis=-1)
    bad = ~(residual <= EIGEN_RESIDUAL_TOL * lam * w.max(axis=-1))
    if np.any(bad):
        raise ArithmeticError(
            "the principal eigenvector did not converge (relative residual "
            f"{np.max(residual / (lam * w.max(axis=-1))):.3g}); rescale the judgements"
        )
    return (float(lam) if lam.ndim == 0 else lam), w


_MAX_PASSES = 16


def _lapack_perron_vector(matrix: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eig(matrix)
    k = np.argmax(values.real, axis=-1)
    chosen = np.take_along_axis(vectors, k[..., None, None], axis=-1)[..., 0]
    return np.abs(chosen.real)


def _eigenvector(matrix: np.ndarray) -> np.ndarray:
    return principal_eigenpair(matrix)[1]


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
    a = validate_matrix(matrix, rtol=rtol)
    return _method(method)(a)


def lambda_max(matrix: ArrayLike, *, rtol: float = RECIPROCAL_RTOL) -> Any:
    """The principal eigenvalue of a comparison matrix (n for a consistent one, larger otherwise).

    >>> round(lambda_max([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]), 12)
    3.0
    """
    return principal_eigenpair(validate_matrix(matrix, rtol=rtol))[0]


def _method(method: str) -> Callable[[np.ndarray], np.ndarray]:
    try:
        return PRIORITY_METHODS[method]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown priority method {method!r}; choose one of {sorted(PRIORITY_METHODS)}"
        ) from None

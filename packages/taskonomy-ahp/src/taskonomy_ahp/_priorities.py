"""Priorities of a pairwise comparison matrix: principal eigenvector and row geometric mean."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ._matrix import RECIPROCAL_RTOL, validate_matrix

Method = Literal["eigenvector", "geometric"]

#: Largest accepted relative residual ||A w - lambda w||_inf / (lambda * max(w)) of the eigenpair.
EIGEN_RESIDUAL_TOL = 1e-9


def principal_eigenpair(matrix: np.ndarray) -> tuple[float, np.ndarray]:
    """The Perron root lambda_max and its eigenvector (positive, summing to 1) of a positive matrix.

    Method: LAPACK's dense eigensolver (``numpy.linalg.eig``, Hessenberg QR, backward stable to
    machine precision). By Perron-Frobenius the eigenvalue of largest real part of a positive
    matrix is real, simple and has a positive eigenvector, so it is selected by its real part.
    Convergence check: the pair must satisfy ``||A w - lambda w||_inf <= 1e-9 * lambda * max(w)``
    and lambda must be real to the same tolerance, else ArithmeticError. The matrix is not checked
    here; call :func:`validate_matrix` first.

    >>> lam, w = principal_eigenpair(np.array([[1.0, 2.0], [0.5, 1.0]]))
    >>> round(lam, 12), w.round(12).tolist()
    (2.0, [0.666666666667, 0.333333333333])
    """
    n = matrix.shape[0]
    if n == 1:
        return 1.0, np.ones(1)
    values, vectors = np.linalg.eig(matrix)
    k = int(np.argmax(values.real))
    lam = float(values[k].real)
    w = np.abs(vectors[:, k].real)
    w /= w.sum()
    residual = np.abs(matrix @ w - lam * w).max()
    if not (residual <= EIGEN_RESIDUAL_TOL * lam * w.max() and abs(values[k].imag) <= 1e-9 * lam):
        raise ArithmeticError(
            f"the principal eigenvector did not converge (relative residual "
            f"{residual / (lam * w.max()):.3g}); the matrix is badly scaled - rescale the judgements"
        )
    return lam, w


def _eigenvector(matrix: np.ndarray) -> np.ndarray:
    return principal_eigenpair(matrix)[1]


def _geometric(matrix: np.ndarray) -> np.ndarray:
    logs = np.log(matrix).mean(axis=1)
    w = np.exp(logs - logs.max())
    return w / w.sum()


#: Priority methods by name; add one here to make it available to every function taking `method`.
PRIORITY_METHODS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "eigenvector": _eigenvector,
    "geometric": _geometric,
}


def priorities(
    matrix: ArrayLike, method: Method = "eigenvector", *, rtol: float = RECIPROCAL_RTOL
) -> np.ndarray:
    """Priority weights (summing to 1) of a positive reciprocal comparison matrix.

    ``method="eigenvector"`` (Saaty, the default) is the principal eigenvector, see
    :func:`principal_eigenpair`; ``method="geometric"`` is the normalised row geometric mean
    (Crawford & Williams' logarithmic least squares). Both return ``w`` exactly for a consistent
    matrix ``a[i, j] = w[i] / w[j]``.

    >>> priorities([[1, 3, 5], [1 / 3, 1, 5 / 3], [1 / 5, 3 / 5, 1]]).round(6).tolist()
    [0.652174, 0.217391, 0.130435]
    """
    a = validate_matrix(matrix, rtol=rtol)
    return _method(method)(a)


def lambda_max(matrix: ArrayLike, *, rtol: float = RECIPROCAL_RTOL) -> float:
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

"""Camera orientations and relative poses: Euler angles "XYZ" (``R = Rz @ Ry @ Rx``), as the
original ``point_info`` files store them. A relative pose of view b seen from view a is
``(euler(Ra.T @ Rb), Ra.T @ (cb - ca))``: the rotation and the translation of b in a's frame.

>>> import numpy as np
>>> R = matrix_from_euler(np.array([0.1, -0.2, 0.3]))
>>> bool(np.allclose(euler_from_matrix(R), [0.1, -0.2, 0.3]))
True
"""

from __future__ import annotations

import numpy as np


def matrix_from_euler(angles: np.ndarray) -> np.ndarray:
    """Rotation matrix of Euler angles (x, y, z) in the "XYZ" order: ``Rz @ Ry @ Rx``."""
    a, b, c = np.asarray(angles, float)
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rz @ ry @ rx


def euler_from_matrix(rotation: np.ndarray) -> np.ndarray:
    """Euler angles (x, y, z), "XYZ" order, of a rotation matrix (inverse of matrix_from_euler)."""
    r = np.asarray(rotation, float)
    b = -np.arcsin(np.clip(r[2, 0], -1.0, 1.0))
    a = np.arctan2(r[2, 1], r[2, 2])
    c = np.arctan2(r[1, 0], r[0, 0])
    return np.array([a, b, c])


def relative_pose(ra: np.ndarray, ca: np.ndarray, rb: np.ndarray, cb: np.ndarray) -> np.ndarray:
    """6-vector pose of camera b in camera a's frame: Euler angles, then translation (metres).

    >>> import numpy as np
    >>> R = np.array([[0.0, 0, -1], [-1, 0, 0], [0, 1, 0]])  # looking along +x
    >>> (relative_pose(R, np.zeros(3), R, np.array([0.0, 0.0, 1.0])) + 0.0).round(6).tolist()
    [0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    """
    rotation = ra.T @ rb
    return np.concatenate([euler_from_matrix(rotation), ra.T @ (np.asarray(cb) - ca)])

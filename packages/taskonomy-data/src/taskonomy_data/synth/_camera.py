"""Pinhole cameras: the Blender convention of the original (looks down -z, y up, x right).

A camera is a position ``c`` and a camera-to-world rotation ``R`` whose columns are the camera's
x, y, z axes in the world. Orientations are stored as Euler angles "XYZ" (``R = Rz @ Ry @ Rx``),
as the original ``point_info`` files do. A relative pose of view b seen from view a is
``(euler(Ra.T @ Rb), Ra.T @ (cb - ca))``: the rotation and the translation of b in a's frame.

>>> import numpy as np
>>> R = look_at(np.zeros(3), np.array([0.0, 1.0, 0.0]))
>>> np.round(R @ [0, 0, -1], 6).tolist()  # the camera looks at the target
[0.0, 1.0, 0.0]
>>> bool(np.allclose(matrix_from_euler(euler_from_matrix(R)), R))
True
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from taskonomy_data._poses import euler_from_matrix, matrix_from_euler, relative_pose

__all__ = [
    "camera_rays",
    "compose_poses",
    "euler_from_matrix",
    "look_at",
    "matrix_from_euler",
    "project",
    "relative_pose",
    "unit_rays",
]

UP = np.array([0.0, 0.0, 1.0])


def look_at(position: np.ndarray, target: np.ndarray, roll: float = 0.0) -> np.ndarray:
    """Camera-to-world rotation of a camera at ``position`` looking at ``target``."""
    forward = np.asarray(target, float) - np.asarray(position, float)
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, UP)
    norm = np.linalg.norm(right)
    right = right / norm if norm > 1e-6 else np.array([1.0, 0.0, 0.0])
    up = np.cross(right, forward)
    rotation = np.stack([right, up, -forward], axis=1)
    c, s = np.cos(roll), np.sin(roll)
    return rotation @ np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def compose_poses(ab: np.ndarray, bc: np.ndarray) -> np.ndarray:
    """Pose of c in a's frame from the poses of b in a and of c in b."""
    rab, rbc = matrix_from_euler(ab[:3]), matrix_from_euler(bc[:3])
    return np.concatenate([euler_from_matrix(rab @ rbc), ab[3:] + rab @ bc[3:]])


@lru_cache(maxsize=16)
def unit_rays(resolution: int) -> np.ndarray:
    """(H*W, 3) camera-frame rays for a field of view of 90 degrees: (u, v, -1), u, v in (-1, 1).

    Scale the first two columns by ``tan(fov / 2)`` for another field of view. z-depth is the ray
    parameter t of ``c + t * R @ ray``; the Euclidean distance is ``t * |ray|``.
    """
    centres = (np.arange(resolution, dtype=np.float64) + 0.5) / resolution * 2 - 1
    v, u = np.meshgrid(-centres, centres, indexing="ij")
    rays = np.stack([u, v, -np.ones_like(u)], axis=-1).reshape(-1, 3)
    rays.flags.writeable = False
    return rays


def camera_rays(resolution: int, fov: float) -> np.ndarray:
    """(H*W, 3) float64 camera-frame rays of a square image with field of view ``fov`` (rad)."""
    rays = unit_rays(resolution).copy()
    rays[:, :2] *= np.tan(fov / 2)
    return rays


def project(points_cam: np.ndarray, fov: float, resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (column, row) of camera-frame points, and whether they are in front."""
    points_cam = np.asarray(points_cam, float)
    front = points_cam[..., 2] < -1e-6
    z = np.where(front, -points_cam[..., 2], 1.0)
    scale = resolution / (2 * np.tan(fov / 2))
    col = points_cam[..., 0] / z * scale + resolution / 2
    row = -points_cam[..., 1] / z * scale + resolution / 2
    return np.stack([col, row], axis=-1), front

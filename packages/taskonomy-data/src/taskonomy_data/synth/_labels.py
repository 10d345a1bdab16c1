"""Semantic and low-dimensional labels: semantic segmentation, object and scene class
distributions, vanishing points, room layout and the camera record.

Class distributions stand in for the original's distilled ImageNet / Places classifiers: the
object distribution is the share of each object class among the visible object pixels, weighted
towards the image centre (invalid when no object is visible); the scene distribution is 0.8 on
the room type plus 0.2 spread over the room types whose furniture is visible. Synthetic object
class k sits at channel k of ``class_1000`` and ``class_selected``; room type k at channel k of
``class_places`` (the other channels are 0).

>>> import numpy as np
>>> vanishing_points(np.eye(3)).tolist()
[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
"""

from __future__ import annotations

import numpy as np

from taskonomy_data.synth._camera import euler_from_matrix
from taskonomy_data.synth._scene import _FURNISHING, OBJECT_CLASSES, ROOM_TYPES, Scene

UNCERTAIN, BACKGROUND, FIRST_OBJECT = 0, 1, 2
SCENE_CONFIDENCE = 0.8

# How typical each object class is of each room type, from the furnishing lists.
ROOM_AFFINITY = np.array(
    [
        [max([hi for c, _, hi in _FURNISHING[r] if c == cls], default=0) for cls in OBJECT_CLASSES]
        for r in ROOM_TYPES
    ],
    float,
)
ROOM_AFFINITY /= np.maximum(ROOM_AFFINITY.sum(0, keepdims=True), 1)


def semantic_labels(scene: Scene, kind: np.ndarray, obj: np.ndarray) -> np.ndarray:
    """Per-pixel labels: 0 uncertain (no surface), 1 background (room), 2 + object class."""
    cls = scene.object_class[np.maximum(obj, 0)] + FIRST_OBJECT if len(scene.object_class) else 0
    labels = np.where(obj >= 0, cls, BACKGROUND)
    return np.where(kind >= 0, labels, UNCERTAIN).astype(np.int64)


def _centre_weights(resolution: int) -> np.ndarray:
    c = (np.arange(resolution) + 0.5) / resolution - 0.5
    return np.exp(-(c[:, None] ** 2 + c[None] ** 2) / (2 * 0.3**2))


def object_distribution(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(B, n_classes) centre-weighted visible object-class shares and (B,) validity."""
    b, h, _ = labels.shape
    weights = np.broadcast_to(_centre_weights(h), labels.shape).reshape(b, -1)
    index = (labels - FIRST_OBJECT).reshape(b, -1)
    n = len(OBJECT_CLASSES)
    hist = np.zeros((b, n))
    rows = np.repeat(np.arange(b), index.shape[1]).reshape(index.shape)
    is_object = index >= 0
    np.add.at(hist, (rows[is_object], index[is_object]), weights[is_object])
    total = hist.sum(1, keepdims=True)
    valid = total[:, 0] > 0.002 * weights.sum(1)
    return hist / np.maximum(total, 1e-12), valid


def scene_distribution(room_type: int, objects: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(B, n_room_types) soft scene class from the room type and the visible objects."""
    evidence = objects @ ROOM_AFFINITY.T
    evidence = np.where(valid[:, None], evidence, 1.0)
    evidence /= np.maximum(evidence.sum(1, keepdims=True), 1e-12)
    onehot = np.eye(len(ROOM_TYPES))[room_type]
    return SCENE_CONFIDENCE * onehot + (1 - SCENE_CONFIDENCE) * evidence


def padded(values: np.ndarray, channels: int) -> np.ndarray:
    """Values (B, k) placed in the first k of ``channels`` channels (zeros elsewhere)."""
    out = np.zeros((len(values), channels), np.float32)
    out[:, : values.shape[1]] = values
    return out


def vanishing_points(rotation: np.ndarray) -> np.ndarray:
    """The room's x, y and z axes in the camera frame (9,): the Manhattan vanishing directions."""
    return np.asarray(rotation, float).reshape(3, 3).ravel()  # rows of R = columns of R.T


def room_layout(scene: Scene, position: np.ndarray, rotation: np.ndarray) -> np.ndarray:
    """(9,) room box centre relative to the camera, camera Euler angles, box extents."""
    size = scene.size.astype(float)
    return np.concatenate([size / 2 - position, euler_from_matrix(rotation), size])


def camera_record(position, rotation, fov, point) -> np.ndarray:
    """(10,) the store's CAMERA_FIELDS: location, Euler rotation, field of view, fixation point."""
    return np.concatenate([position, euler_from_matrix(rotation), [fov], point])

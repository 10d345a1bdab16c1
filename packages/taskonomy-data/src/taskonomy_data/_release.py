"""The original release's files: every domain's folder, file token, extension and encoding.

One table, :data:`RELEASE_DOMAINS`, says how each domain of the Taskonomy release is laid out
and encoded, and its codec turns a file's pixels into the registry's decoded values and back:

=====================  ======================  =====  ============================================
folder                 file token(s)           ext    encoding in the file
=====================  ======================  =====  ============================================
rgb                    rgb                     png    8-bit RGB
depth_zbuffer          depth_zbuffer           png    uint16, 1/512 m, 65535 = no hit (>= 64500)
depth_euclidean        depth_euclidean         png    same as depth_zbuffer
normal                 normal                  png    8-bit RGB, 127-centred, step 1/128
principal_curvature    principal_curvature     png    8-bit RGB, 2 curvatures 127-centred (1/m)
edge_texture           edge_texture            png    16-bit grey, 0..65535 = 0..1
edge_occlusion         edge_occlusion          png    16-bit grey
keypoints2d            keypoints2d             png    16-bit grey
keypoints3d            keypoints3d             png    16-bit grey
reshading              reshading               png    8-bit grey (or RGB: channel 0)
segment_unsup2d        segment_unsup2d         png    16-bit segment ids
segment_unsup25d       segment_unsup25d        png    16-bit segment ids
segment_semantic       segmentsemantic         png    8-bit labels, 0 = uncertain
class_object           class_1000              npy    1000 class probabilities (all 0 = none)
class_scene            class_places            npy    scene class probabilities (all 0 = none)
point_info             fixatedpose             json   camera, fixation point, room, vanishing
                                                      points, bounding box, non-fixated points
mask_valid             mask_valid              png    8-bit, 255 = valid pixel (omnidata)
=====================  ======================  =====  ============================================

Other tokens are accepted where loaders disagree (``segment_semantic``, ``class_object``,
``class_scene``, ``point_info``). ``class_selected`` (folder and token) is this toolkit's: the
release derives it from ``class_object``. Curvature is stored in 1/m with a step of 0.6 (so
-76.2 to 76.8 1/m, radii down to 1.3 cm): the release's scaling is undocumented, hence a codec
of its own.

>>> DOMAIN_OF_TASK["segmentsemantic"].folder, DOMAIN_OF_TASK["segmentsemantic"].tokens[0]
('segment_semantic', 'segmentsemantic')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DEPTH_SCALE = 512.0
DEPTH_MASKED_FROM = 64500
CURVATURE_STEP = 0.6  # 1/m per level of the 8-bit curvature files


@dataclass(frozen=True)
class FileCodec:
    """Decoded values <-> a file's pixel array (``(H, W)`` or ``(H, W, C)``) or ``.npy`` array.

    ``to_file(values, mask)`` takes one sample's decoded values (registry form) and its mask
    (or None); ``from_file(pixels, channels)`` returns ``(values, mask or None)``.
    """

    name: str
    to_file: Callable[[np.ndarray, np.ndarray | None], np.ndarray]
    from_file: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray | None]]
    tolerance: float = 0.0  # largest |decoded - original| after a round trip, inside the range


def _planes(pixels: np.ndarray, channels: int) -> np.ndarray:
    pixels = pixels[..., None] if pixels.ndim == 2 else pixels
    if pixels.shape[-1] < channels:
        raise ValueError(f"the file has {pixels.shape[-1]} channels, the task needs {channels}")
    return np.moveaxis(pixels[..., :channels], -1, 0)


def _image(planes: np.ndarray, grey_channels: int = 1) -> np.ndarray:
    """(C, H, W) -> (H, W) for one channel, (H, W, 3) otherwise (padded with zeros)."""
    if planes.shape[0] == 1 and grey_channels == 1:
        return planes[0]
    out = np.zeros((*planes.shape[1:], 3), planes.dtype)
    out[..., : planes.shape[0]] = np.moveaxis(planes, 0, -1)
    return out


def _unit(top: int, dtype: str, rgb: bool = False) -> FileCodec:
    def to_file(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        return _image(np.rint(np.clip(values, 0, 1) * top).astype(dtype), 3 if rgb else 1)

    def from_file(pixels: np.ndarray, channels: int) -> tuple[np.ndarray, None]:
        return _planes(pixels, channels).astype(np.float32) / np.float32(top), None

    return FileCodec(f"unit{8 * np.dtype(dtype).itemsize}", to_file, from_file)


def _depth_to_file(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    raw = np.minimum(np.rint(np.clip(values[0], 0, None) * DEPTH_SCALE), DEPTH_MASKED_FROM - 1)
    valid = np.isfinite(values[0]) if mask is None else mask[0]
    return np.where(valid, raw, 65535).astype(np.uint16)


def _depth_from_file(pixels: np.ndarray, channels: int) -> tuple[np.ndarray, np.ndarray]:
    raw = _planes(pixels.astype(np.uint16), 1)
    mask = raw < DEPTH_MASKED_FROM
    return np.where(mask, raw / np.float32(DEPTH_SCALE), 0).astype(np.float32), mask


def _centred(name: str, step: float) -> FileCodec:
    def to_file(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        return _image(np.clip(np.rint(values / step + 127), 0, 255).astype(np.uint8), 3)

    def from_file(pixels: np.ndarray, channels: int) -> tuple[np.ndarray, None]:
        planes = _planes(pixels, channels).astype(np.float32) - np.float32(127)
        return planes * np.float32(step), None

    return FileCodec(name, to_file, from_file, tolerance=step / 2)


def _ids(dtype: str, labels: bool) -> FileCodec:
    """Label ids (0 = uncertain: masked pixels are written as 0) or segment ids (kept as they
    are: a segment task's mask lives in ``mask_valid``)."""

    def to_file(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        values = np.asarray(values).reshape(values.shape[-2:])
        if labels and mask is not None:
            values = np.where(mask.reshape(values.shape), values, 0)
        return values.astype(dtype)

    def from_file(pixels: np.ndarray, channels: int) -> tuple[np.ndarray, None]:
        return (pixels[..., 0] if pixels.ndim == 3 else pixels).astype(np.int64), None

    return FileCodec(f"ids{8 * np.dtype(dtype).itemsize}", to_file, from_file)


def _distribution_to_file(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    values = np.asarray(values, np.float32)
    return np.zeros_like(values) if mask is not None and not np.all(mask) else values


def _distribution_from_file(pixels: np.ndarray, channels: int) -> tuple[np.ndarray, np.ndarray]:
    values = np.asarray(pixels, np.float32).ravel()
    if values.size != channels:
        raise ValueError(f"the file has {values.size} classes, the task needs {channels}")
    return values, np.asarray(bool(np.isfinite(values).all() and values.sum() > 0))


CODECS: dict[str, FileCodec] = {
    c.name: c
    for c in [
        _unit(255, "uint8", rgb=True),
        _unit(65535, "uint16"),
        FileCodec("depth16", _depth_to_file, _depth_from_file),
        _centred("normal8", 1 / 128),
        _centred("curvature8", CURVATURE_STEP),
        _ids("uint8", labels=True),
        _ids("uint16", labels=False),
        FileCodec("distribution", _distribution_to_file, _distribution_from_file),
    ]
}
CODECS["grey8"] = FileCodec(  # single-channel 8-bit (reshading)
    "grey8",
    lambda v, m: np.rint(np.clip(v[0], 0, 1) * 255).astype(np.uint8),
    CODECS["unit8"].from_file,
)


@dataclass(frozen=True)
class ReleaseDomain:
    """One domain of the release: where its files are and how they are encoded."""

    folder: str
    tokens: tuple[str, ...]  # the file-name token; the first is the one written
    ext: str  # "png", "npy" or "json"
    task: str | None  # the registry task it labels; None for point_info and mask_valid
    codec: str | None = None  # a key of CODECS (None: json / mask)
    in_release: bool = True

    @property
    def token(self) -> str:
        return self.tokens[0]

    def file_name(self, point: int, view: int) -> str:
        return f"point_{point}_view_{view}_domain_{self.token}.{self.ext}"


def _d(folder: str, tokens: str, ext: str, task: str | None, codec: str | None = None, **kw):
    return ReleaseDomain(folder, tuple(tokens.split()), ext, task, codec, **kw)


RELEASE_DOMAINS: tuple[ReleaseDomain, ...] = (
    _d("rgb", "rgb", "png", "rgb", "unit8"),
    _d("depth_zbuffer", "depth_zbuffer", "png", "rgb2depth", "depth16"),
    _d("depth_euclidean", "depth_euclidean", "png", "rgb2mist", "depth16"),
    _d("normal", "normal", "png", "rgb2sfnorm", "normal8"),
    _d("principal_curvature", "principal_curvature", "png", "curvature", "curvature8"),
    _d("edge_texture", "edge_texture", "png", "edge2d", "unit16"),
    _d("edge_occlusion", "edge_occlusion", "png", "edge3d", "unit16"),
    _d("keypoints2d", "keypoints2d", "png", "keypoint2d", "unit16"),
    _d("keypoints3d", "keypoints3d", "png", "keypoint3d", "unit16"),
    _d("reshading", "reshading", "png", "reshade", "grey8"),
    _d("segment_unsup2d", "segment_unsup2d", "png", "segment2d", "ids16"),
    _d("segment_unsup25d", "segment_unsup25d", "png", "segment25d", "ids16"),
    _d("segment_semantic", "segmentsemantic segment_semantic", "png", "segmentsemantic", "ids8"),
    _d("class_object", "class_1000 class_object", "npy", "class_1000", "distribution"),
    _d("class_scene", "class_places class_scene", "npy", "class_places", "distribution"),
    _d(
        "class_selected",
        "class_selected",
        "npy",
        "class_selected",
        "distribution",
        in_release=False,
    ),
    _d("point_info", "fixatedpose point_info", "json", None),
    _d("mask_valid", "mask_valid", "png", None, in_release=False),
)
DOMAIN_BY_FOLDER: dict[str, ReleaseDomain] = {d.folder: d for d in RELEASE_DOMAINS}
DOMAIN_OF_TASK: dict[str, ReleaseDomain] = {d.task: d for d in RELEASE_DOMAINS if d.task}
POINT_INFO = DOMAIN_BY_FOLDER["point_info"]
MASK_VALID = DOMAIN_BY_FOLDER["mask_valid"]
#: Tasks read from ``point_info`` rather than a file of their own.
FROM_POINT_INFO = ("vanishing_point", "room_layout")
#: Fields every ``point_info`` must have, and the tasks that need each.
POINT_INFO_FIELDS: dict[str, tuple[str, ...]] = {
    "camera_location": ("camera", "room_layout", "multi-view tasks"),
    "camera_rotation_final": ("camera", "room_layout", "multi-view tasks"),
    "field_of_view_rads": ("camera",),
    "point_location": ("camera", "point_match"),
    "vanishing_points_gaussian_sphere": ("vanishing_point",),
    "bounding_box_ranges": ("room_layout",),
}


# -- point_info -------------------------------------------------------------------------------
def point_info_record(
    camera: np.ndarray,
    vanishing_point: np.ndarray | None,
    room_layout: np.ndarray | None,
    *,
    point: int,
    view: int,
    room: str,
    resolution: int,
    nonfixated_points: list[int],
) -> dict[str, Any]:
    """The ``point_info`` JSON of one view, with the release's field names.

    ``camera`` is the store's camera record (location, Euler "XYZ" rotation, field of view,
    fixation point); the room box is written in world coordinates from ``room_layout`` (box
    centre relative to the camera, orientation, extents).
    """
    camera = np.asarray(camera, np.float64)
    location, point_location = camera[:3], camera[7:10]
    info: dict[str, Any] = {
        "camera_location": location.tolist(),
        "camera_rotation_final": camera[3:6].tolist(),
        "field_of_view_rads": float(camera[6]),
        "point_location": point_location.tolist(),
        "camera_distance": float(np.linalg.norm(point_location - location)),
        "point_uuid": str(point),
        "view_id": view,
        "room": room,
        "resolution": resolution,
        "nonfixated_points_in_view": list(nonfixated_points),
    }
    if vanishing_point is not None and np.isfinite(vanishing_point).all():
        vp = np.asarray(vanishing_point, np.float64).reshape(3, 3)
        info["vanishing_points_gaussian_sphere"] = {a: vp[i].tolist() for i, a in enumerate("xyz")}
    if room_layout is not None and np.isfinite(room_layout).all():
        rl = np.asarray(room_layout, np.float64)
        centre, extent = rl[:3] + location, rl[6:9]
        info["bounding_box_ranges"] = {
            a: [centre[i] - extent[i] / 2, centre[i] + extent[i] / 2] for i, a in enumerate("xyz")
        }
    return info


def point_info_values(info: Mapping[str, Any], path: Path | str) -> dict[str, np.ndarray]:
    """Camera record, vanishing points and room layout of one ``point_info`` (NaN if absent).

    A field the camera needs that is missing raises a ValueError naming the file and field.
    """
    missing = [f for f in POINT_INFO_FIELDS if f not in info]
    needed = [f for f in missing if "camera" in POINT_INFO_FIELDS[f]]
    if needed:
        raise ValueError(f"{path}: point_info lacks {needed}")
    try:
        location = np.asarray(info["camera_location"], float).reshape(3)
        rotation = np.asarray(info["camera_rotation_final"], float).reshape(3)
        fov = float(info["field_of_view_rads"])
        point_location = np.asarray(info["point_location"], float).reshape(3)
        out = {"camera": np.concatenate([location, rotation, [fov], point_location])}
        vp = info.get("vanishing_points_gaussian_sphere")
        out["vanishing_point"] = (
            np.concatenate([np.asarray(vp[a], float).reshape(3) for a in "xyz"])
            if vp is not None
            else np.full(9, np.nan)
        )
        box = info.get("bounding_box_ranges")
        if box is not None:
            lo = np.array([float(box[a][0]) for a in "xyz"])
            hi = np.array([float(box[a][1]) for a in "xyz"])
            out["room_layout"] = np.concatenate([(lo + hi) / 2 - location, rotation, hi - lo])
        else:
            out["room_layout"] = np.full(9, np.nan)
    except (TypeError, ValueError, KeyError, IndexError) as error:
        raise ValueError(f"{path}: point_info has a malformed field ({error})") from None
    if not all(np.isfinite(out["camera"])):
        raise ValueError(f"{path}: point_info has a non-finite camera field")
    return {k: v.astype(np.float32) for k, v in out.items()}


def room_labels(boxes: np.ndarray, tolerance: float = 1e-3) -> np.ndarray:
    """Room index of each view from its room box (world ``lo, hi`` per axis, (n, 6)): views
    whose boxes agree within ``tolerance`` metres share a room; NaN boxes get a room each.

    >>> room_labels(np.array([[0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1.0001], [2] * 6])).tolist()
    [0, 0, 1]
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 6)
    labels = np.full(len(boxes), -1, np.int64)
    seen: list[np.ndarray] = []
    for i, box in enumerate(boxes):
        for k, other in enumerate(seen):
            if np.all(np.abs(box - other) <= tolerance):
                labels[i] = k
                break
        else:
            labels[i] = len(seen)
            seen.append(box)
    return labels

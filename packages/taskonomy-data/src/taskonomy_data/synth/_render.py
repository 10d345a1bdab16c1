"""Render views and compute the labels of every requested per-view task, in memory.

Values come out decoded, exactly as :meth:`DatasetStore.write` takes them (and the reader
returns them): ``(B, C, H, W)`` float32 for images and dense labels, ``(B, H, W)`` int64 for labels
and segments, ``(B, C)`` for distributions and vectors, with masks (True = valid).

>>> out = render_sample(building=0, point=0, view=0, resolution=32, tasks=["rgb2depth"])
>>> out["rgb"].shape, out["rgb2depth"].shape, out["rgb2depth_mask"].dtype
((3, 32, 32), (1, 32, 32), dtype('bool'))
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from taskonomy_data._registry import get_task, resolve_tasks, task_names
from taskonomy_data.synth import _features as F
from taskonomy_data.synth import _labels as L
from taskonomy_data.synth._camera import unit_rays
from taskonomy_data.synth._raycast import cast
from taskonomy_data.synth._scene import Scene
from taskonomy_data.synth._selfsup import centre_masked, greyscale, jigsaw_tiles, noisy
from taskonomy_data.synth._shading import reshade, shade
from taskonomy_data.synth._views import BuildingPlan, plan_building

# Defaults of the dataset (see synthesize): 16 fixation points per building, 4 views each.
POINTS_PER_BUILDING = 16
VIEWS_PER_POINT = 4


def view_tasks(tasks: Iterable[str] | None) -> list[str]:
    """Canonical names of the per-view stored tasks that ``tasks`` need (``rgb`` first)."""
    names = task_names() if tasks is None else [get_task(t).name for t in tasks]
    specs = resolve_tasks(["rgb", *names])
    return [s.name for s in specs if s.stored and not s.multiview]


def render_views(
    scene: Scene,
    position: np.ndarray,
    rotation: np.ndarray,
    fov: np.ndarray,
    point: np.ndarray,
    resolution: int,
    tasks: Iterable[str] | None = None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Labels of B views of one scene: (values, masks, camera records (B, 10)).

    ``position`` (B, 3), ``rotation`` (B, 3, 3), ``fov`` (B,), ``point`` (B, 3) fixation points.
    ``tasks`` (names or aliases; None = every task) restricts what is computed; ``rgb`` always is.
    """
    wanted = set(view_tasks(tasks))
    b, res = len(position), resolution
    rays_cam = np.repeat(unit_rays(res)[None], b, axis=0)
    rays_cam[..., :2] *= np.tan(np.asarray(fov) / 2)[:, None, None]
    rays_world = rays_cam @ np.asarray(rotation).transpose(0, 2, 1)
    origins = np.repeat(np.asarray(position, np.float32), res * res, axis=0)
    hits = cast(scene, origins, rays_world.reshape(-1, 3))
    rgb_flat = shade(scene, hits, rays_world.reshape(-1, 3).astype(np.float32))
    image = rgb_flat.reshape(b, res, res, 3)
    valid = hits.valid.reshape(b, res, res)
    depth = np.where(valid, hits.depth.reshape(b, res, res), np.nan).astype(np.float32)
    values: dict[str, np.ndarray] = {"rgb": np.moveaxis(image, -1, 1)}
    masks: dict[str, np.ndarray] = {}
    need = set(wanted)
    if need & {"reshade", "keypoint3d", "segment25d"}:
        need.add("rgb2sfnorm")
    if "segment25d" in need:
        need.add("edge3d")
    if need & {"class_1000", "class_selected", "class_places"}:
        need.add("segmentsemantic")
    pixel_mask = valid[:, None]

    distance = depth * np.linalg.norm(rays_cam, axis=-1).reshape(b, res, res)
    if "rgb2depth" in need:
        values["rgb2depth"], masks["rgb2depth"] = depth[:, None], pixel_mask
    if "rgb2mist" in need:
        values["rgb2mist"], masks["rgb2mist"] = distance[:, None], pixel_mask
    if "rgb2sfnorm" in need:
        normals = hits.normal.reshape(b, -1, 3) @ np.asarray(rotation, np.float32)
        normals = np.where(valid.reshape(b, -1, 1), normals, 0.0).astype(np.float32)
        values["rgb2sfnorm"] = np.moveaxis(normals.reshape(b, res, res, 3), -1, 1)
        masks["rgb2sfnorm"] = pixel_mask
    if "reshade" in need:
        shading = reshade(normals, rays_cam, np.nan_to_num(distance).reshape(b, -1))
        values["reshade"] = np.where(valid, shading.reshape(b, res, res), 0)[:, None]
        masks["reshade"] = pixel_mask
    if "curvature" in need:
        curv = np.moveaxis(hits.curvature.reshape(b, res, res, 2), -1, 1)
        values["curvature"], masks["curvature"] = curv, pixel_mask
    grey = F.grey(image)
    if "edge2d" in need:
        values["edge2d"] = F.texture_edges(grey)[:, None]
    if "keypoint2d" in need:
        values["keypoint2d"] = F.keypoints2d(grey)[:, None]
    if "edge3d" in need:
        values["edge3d"] = F.occlusion_edges(depth, valid)[:, None]
        masks["edge3d"] = pixel_mask
    if "keypoint3d" in need:
        values["keypoint3d"] = F.keypoints3d(values["rgb2sfnorm"], valid)[:, None]
        masks["keypoint3d"] = pixel_mask
    if "segment2d" in need:
        values["segment2d"] = F.segment(image.astype(np.float64), F.SEGMENT2D)
    if "segment25d" in need:
        features = F.geometry_features(
            depth, values["rgb2sfnorm"], values["edge3d"][:, 0], valid, rays_cam
        )
        values["segment25d"], masks["segment25d"] = F.segment(features, F.SEGMENT25D), valid
    if "segmentsemantic" in need:
        labels = L.semantic_labels(scene, hits.kind, hits.object).reshape(b, res, res)
        values["segmentsemantic"], masks["segmentsemantic"] = labels, labels != L.UNCERTAIN
        objects, seen = L.object_distribution(labels)
        for name in ("class_1000", "class_selected"):
            values[name] = L.padded(objects, get_task(name).channels)
            masks[name] = seen
        scenes = L.scene_distribution(scene.room_type, objects, seen)
        values["class_places"] = L.padded(scenes, get_task("class_places").channels)
        masks["class_places"] = np.ones(b, bool)
    if "vanishing_point" in need:
        values["vanishing_point"] = np.stack([L.vanishing_points(r) for r in rotation])
    if "room_layout" in need:
        values["room_layout"] = np.stack(
            [L.room_layout(scene, c, r) for c, r in zip(position, rotation, strict=True)]
        )
    cameras = np.stack(
        [L.camera_record(*args) for args in zip(position, rotation, fov, point, strict=True)]
    ).astype(np.float32)
    values = {k: _as_float(v) for k, v in values.items() if k in wanted}
    masks = {k: v for k, v in masks.items() if k in wanted}
    return values, masks, cameras


def _as_float(value: np.ndarray) -> np.ndarray:
    return value.astype(np.float32) if value.dtype.kind == "f" else value


def render_plan_views(
    plan: BuildingPlan,
    views: list[tuple[int, int]],
    resolution: int,
    tasks: Iterable[str] | None = None,
    batch: int = 16,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], np.ndarray]:
    """Labels of (point, view) pairs of one building, batched by room, in the order given."""
    order = sorted(range(len(views)), key=lambda i: plan.point_room[views[i][0]])
    parts: list[tuple[list[int], Any]] = []
    for start in range(0, len(order), batch):
        chunk = order[start : start + batch]
        rooms = {plan.point_room[views[i][0]] for i in chunk}
        for room in sorted(rooms):
            idx = [i for i in chunk if plan.point_room[views[i][0]] == room]
            p = np.array([views[i][0] for i in idx])
            v = np.array([views[i][1] for i in idx])
            out = render_views(
                plan.scenes[room],
                plan.position[p, v],
                plan.rotation[p, v],
                plan.fov[p, v],
                plan.point_location[p],
                resolution,
                tasks,
            )
            parts.append((idx, out))
    inverse = np.argsort(np.concatenate([idx for idx, _ in parts]))
    values = {k: np.concatenate([o[0][k] for _, o in parts])[inverse] for k in parts[0][1][0]}
    masks = {k: np.concatenate([o[1][k] for _, o in parts])[inverse] for k in parts[0][1][1]}
    cameras = np.concatenate([o[2] for _, o in parts])[inverse]
    return values, masks, cameras


def render_sample(
    building: int = 0,
    point: int = 0,
    view: int = 0,
    *,
    resolution: int = 64,
    seed: int = 0,
    tasks: Iterable[str] | None = None,
    points_per_building: int = POINTS_PER_BUILDING,
    views_per_point: int = VIEWS_PER_POINT,
    self_supervised: bool = False,
) -> dict[str, np.ndarray]:
    """Every requested label of one view, in memory, exactly as ``synthesize`` stores it.

    Returns ``{task: value, task + "_mask": mask, "camera": (10,)}`` without the batch axis;
    with ``self_supervised`` also the inputs of the self-supervised tasks (``noisy_rgb``,
    ``grayscale``, ``center_masked``, ``jigsaw_tiles`` and its ``jigsaw`` permutation index).
    The view is the same as sample (building, point, view) of a dataset made with the same seed,
    points_per_building and views_per_point.

    >>> out = render_sample(resolution=32, tasks=["normal"])
    >>> out["rgb2sfnorm"].shape, out["camera"].shape
    ((3, 32, 32), (10,))
    """
    _check_resolution(resolution)
    if not (0 <= point < points_per_building and 0 <= view < views_per_point):
        raise ValueError(
            f"point must lie in [0, {points_per_building}) and view in [0, {views_per_point})"
        )
    plan = plan_building(seed, building, points_per_building, views_per_point)
    values, masks, cameras = render_plan_views(plan, [(point, view)], resolution, tasks)
    out = {k: v[0] for k, v in values.items()}
    for name in values:
        mask = masks.get(name)
        if mask is None:
            spec = get_task(name)
            mask = np.ones((1, resolution, resolution) if spec.pixelwise else (), bool)
        else:
            mask = mask[0][None] if mask[0].ndim == 2 else mask[0]
        out[f"{name}_mask"] = mask
    out["camera"] = cameras[0]
    if self_supervised:
        rng = np.random.default_rng([seed, building, point, view, 1])
        rgb = out["rgb"]
        out["jigsaw"] = np.int64(rng.integers(100))
        out["noisy_rgb"] = noisy(rgb, rng)
        out["grayscale"] = greyscale(rgb)
        out["center_masked"] = centre_masked(rgb)
        out["jigsaw_tiles"] = jigsaw_tiles(rgb, int(out["jigsaw"]))
    return out


def _check_resolution(resolution: int) -> None:
    if not isinstance(resolution, int | np.integer) or not 32 <= resolution <= 256:
        raise ValueError(f"resolution must be an integer from 32 to 256 pixels, got {resolution}")

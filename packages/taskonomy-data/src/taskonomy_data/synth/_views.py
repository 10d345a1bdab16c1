"""Where the cameras go: buildings of rooms, fixation points on surfaces, views along short paths.

As in the original, a *point* is a 3D fixation point on a surface and each of its *views* is a
camera that looks at it (the point is at the image centre, unoccluded, not seen at a grazing
angle). The views of one point lie along a short camera path (steps of 0.25-0.45 m), so three
consecutive views are an egomotion triplet and any two are a fixated pair. Everything is a pure
function of (seed, building, point): a rerun or another process plans exactly the same cameras.

>>> plan = plan_building(seed=0, building=1, points=2, views=3)
>>> plan.position.shape, plan.rotation.shape, len(plan.scenes) >= 1
((2, 3, 3), (2, 3, 3, 3), True)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from taskonomy_data.synth._camera import look_at
from taskonomy_data.synth._raycast import cast
from taskonomy_data.synth._scene import ROOM_TYPES, Scene, make_scene

FOV_RANGE = (np.radians(50.0), np.radians(70.0))
DISTANCE_RANGE = (0.8, 5.0)  # camera to fixation point, metres
MAX_OBLIQUENESS = np.radians(75.0)  # angle between the view ray and the surface normal
CAMERA_HEIGHT = (1.0, 1.8)


@dataclass(frozen=True)
class BuildingPlan:
    """The scenes (rooms) of one building and the cameras of its points and views."""

    scenes: tuple[Scene, ...]
    point_room: np.ndarray  # (P,) index into scenes
    point_location: np.ndarray  # (P, 3)
    point_normal: np.ndarray  # (P, 3)
    position: np.ndarray  # (P, V, 3) camera centres
    rotation: np.ndarray  # (P, V, 3, 3) camera-to-world rotations
    fov: np.ndarray  # (P, V) field of view, radians

    @property
    def points(self) -> int:
        return len(self.point_room)

    @property
    def views(self) -> int:
        return self.position.shape[1]


@lru_cache(maxsize=8)
def plan_building(seed: int, building: int, points: int, views: int) -> BuildingPlan:
    """Plan building ``building`` of the dataset with ``seed`` (cached per process)."""
    rng = np.random.default_rng([seed, building, 0])
    rooms = int(max(1, min(rng.integers(2, 4), points // 2)))  # >= 2 points per room
    types = rng.permutation(len(ROOM_TYPES))[:rooms]
    scenes = tuple(
        make_scene(np.random.default_rng([seed, building, 0, r]), int(t))
        for r, t in enumerate(types)
    )
    cams = [
        _plan_point(scenes[p % rooms], views, np.random.default_rng([seed, building, p + 1]))
        for p in range(points)
    ]
    return BuildingPlan(
        scenes=scenes,
        point_room=np.arange(points) % rooms,
        point_location=np.array([c[0] for c in cams]).reshape(points, 3),
        point_normal=np.array([c[1] for c in cams]).reshape(points, 3),
        position=np.array([c[2] for c in cams]).reshape(points, views, 3),
        rotation=np.array([c[3] for c in cams]).reshape(points, views, 3, 3),
        fov=np.array([c[4] for c in cams]).reshape(points, views),
    )


def _free_positions(scene: Scene, rng: np.random.Generator, n: int) -> np.ndarray:
    for _ in range(100):
        cand = rng.uniform([0, 0, CAMERA_HEIGHT[0]], [*scene.size[:2], CAMERA_HEIGHT[1]], (n, 3))
        ok = cand[scene.free_space(cand)]
        if len(ok):
            return ok
    raise RuntimeError("no free space for a camera in this room")  # pragma: no cover


def _fixation(scene: Scene, rng: np.random.Generator):
    """A camera position and a surface point it sees: (position, point, normal)."""
    while True:
        position = _free_positions(scene, rng, 16)[0]
        if len(scene.object_class) and rng.random() < 0.75:
            k = rng.integers(len(scene.object_class))
            target = rng.uniform(scene.object_lo[k], scene.object_hi[k])
            direction = target - position
        else:
            yaw, pitch = rng.uniform(0, 2 * np.pi), rng.uniform(np.radians(-40), np.radians(5))
            direction = np.array(
                [np.cos(yaw) * np.cos(pitch), np.sin(yaw) * np.cos(pitch), np.sin(pitch)]
            )
        direction /= np.linalg.norm(direction)
        hits = cast(scene, position[None], direction[None])
        distance = float(hits.depth[0])
        if hits.valid[0] and DISTANCE_RANGE[0] <= distance <= DISTANCE_RANGE[1]:
            normal = hits.normal[0].astype(float)
            if -direction @ normal > np.cos(MAX_OBLIQUENESS):
                return position, hits.point[0].astype(float), normal


def _sees(scene: Scene, positions: np.ndarray, point: np.ndarray, normal: np.ndarray):
    """Which candidate camera positions see ``point`` unoccluded and not too obliquely."""
    to_point = point[None] - positions
    distance = np.linalg.norm(to_point, axis=1)
    hits = cast(scene, positions, to_point)  # t = 1 at the point itself
    visible = hits.valid & (np.abs(hits.depth - 1.0) * distance < 0.01)
    facing = (-to_point / distance[:, None]) @ normal > np.cos(MAX_OBLIQUENESS)
    near = (distance >= DISTANCE_RANGE[0]) & (distance <= DISTANCE_RANGE[1])
    return visible & facing & near & scene.free_space(positions, margin=0.3)


def _plan_point(scene: Scene, views: int, rng: np.random.Generator):
    for _ in range(200):
        start, point, normal = _fixation(scene, rng)
        path = [start]
        heading = rng.uniform(0, 2 * np.pi)
        for _ in range(views - 1):
            turns = heading + rng.normal(0, 0.5, 12)
            steps = rng.uniform(0.25, 0.45, 12)
            cand = path[-1] + np.stack(
                [np.cos(turns) * steps, np.sin(turns) * steps, rng.normal(0, 0.04, 12)], axis=1
            )
            cand[:, 2] = np.clip(cand[:, 2], *CAMERA_HEIGHT)
            ok = np.flatnonzero(_sees(scene, cand, point, normal))
            if not len(ok):
                break
            path.append(cand[ok[0]])
            heading = turns[ok[0]]
        if len(path) == views:
            fov = rng.uniform(*FOV_RANGE, views)
            roll = np.clip(rng.normal(0, np.radians(2), views), -0.1, 0.1)
            rotations = [look_at(c, point, r) for c, r in zip(path, roll, strict=True)]
            return point, normal, np.array(path), np.array(rotations), fov
    raise RuntimeError("could not place the views of a point")  # pragma: no cover

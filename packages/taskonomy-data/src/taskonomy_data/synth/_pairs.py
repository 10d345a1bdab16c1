"""Multi-view samples of one building: fixated and non-fixated pose pairs, egomotion triplets,
point-matching pairs. Labels come from the planned cameras, so no rendering is needed.

* ``fix_pose``: every two views (i < j) of one point; label: pose of j in i's frame.
* ``non_fixated_pose``: each view with the nearest camera (< 2.5 m) that fixates another point
  of the same room; label: pose of the second in the first's frame.
* ``ego_motion``: three consecutive views (a, b, c) on a point's camera path; label: the poses
  of b in a, c in b and a in c (composed around the triplet they give the identity).
* ``point_match``: each fixated pair (label 1: both centre pixels see the fixation point) and
  as many pairs of views of two points at least 0.5 m apart (label 0), interleaved.

Poses are 6-vectors (Euler angles "XYZ", translation in metres), see ``_camera.relative_pose``.

>>> from taskonomy_data.synth._views import plan_building
>>> pairs = building_pairs(plan_building(0, 0, 4, 3), offset=0, seed=0)
>>> pairs["fix_pose"][0].shape, pairs["ego_motion"][1].shape
((12, 2), (4, 18))
"""

from __future__ import annotations

import numpy as np

from taskonomy_data.synth._camera import relative_pose
from taskonomy_data.synth._views import BuildingPlan

MULTIVIEW_TASKS = ("fix_pose", "non_fixated_pose", "ego_motion", "point_match")
NEARBY = 2.5  # metres between cameras of a non-fixated pair
DIFFERENT_POINTS = 0.5  # metres between the fixation points of a point-matching negative


def building_pairs(
    plan: BuildingPlan, offset: int, seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{task: (view indices (M, images), labels)} with views numbered from ``offset``."""
    n_points, n_views = plan.points, plan.views
    index = offset + np.arange(n_points * n_views).reshape(n_points, n_views)
    rng = np.random.default_rng([seed, int(offset), 7])

    def pose(a, b):
        return relative_pose(plan.rotation[a], plan.position[a], plan.rotation[b], plan.position[b])

    fixed = [
        ((p, i), (p, j))
        for p in range(n_points)
        for i in range(n_views)
        for j in range(i + 1, n_views)
    ]
    triplets = [
        ((p, v), (p, v + 1), (p, v + 2)) for p in range(n_points) for v in range(n_views - 2)
    ]

    flat = plan.position.reshape(-1, 3)
    owner = np.repeat(np.arange(n_points), n_views)
    room = plan.point_room[owner]
    distance = np.linalg.norm(flat[:, None] - flat[None], axis=-1)
    distance[(owner[:, None] == owner[None]) | (room[:, None] != room[None])] = np.inf
    nonfixed = set()
    for a in range(len(flat)):
        b = int(np.argmin(distance[a]))
        if distance[a, b] < NEARBY:
            nonfixed.add((min(a, b), max(a, b)))
    nonfixed_pairs = [(divmod(a, n_views), divmod(b, n_views)) for a, b in sorted(nonfixed)]

    apart = np.linalg.norm(plan.point_location[:, None] - plan.point_location[None], axis=-1)
    matches, labels = [], []
    for a, b in fixed:
        matches.append((a, b))
        labels.append(1)
        others = np.flatnonzero(apart[a[0]] > DIFFERENT_POINTS)
        if len(others):
            q = int(rng.choice(others))
            matches.append((a, (q, int(rng.integers(n_views)))))
            labels.append(0)

    def views(groups, images=2):
        return np.array([[index[p, v] for p, v in g] for g in groups], np.int32).reshape(
            len(groups), images
        )

    def poses(groups):
        return np.array([pose(a, b) for a, b in groups], np.float32).reshape(len(groups), 6)

    ego = np.array(
        [np.concatenate([pose(a, b), pose(b, c), pose(c, a)]) for a, b, c in triplets], np.float32
    ).reshape(len(triplets), 18)
    return {
        "fix_pose": (views(fixed), poses(fixed)),
        "non_fixated_pose": (views(nonfixed_pairs), poses(nonfixed_pairs)),
        "ego_motion": (views(triplets, 3), ego),
        "point_match": (views(matches), np.array(labels, np.int64)),
    }

"""Multi-view samples of a building from its cameras: one rule set for the generator and ingest.

* ``fix_pose``: every two views (i < j) of one point; label: pose of j in i's frame.
* ``non_fixated_pose``: each view with the nearest camera (< 2.5 m) that fixates another point
  of the same room; label: pose of the second in the first's frame.
* ``ego_motion``: three consecutive views (a, b, c: view ids v, v+1, v+2) of a point; label:
  the poses of b in a, c in b and a in c (composed around the triplet they give the identity).
* ``point_match``: each fixated pair (label 1: both centre pixels see the fixation point) and as
  many pairs of views of two points at least 0.5 m apart (label 0), interleaved; the negatives
  are drawn with ``rng``.

Poses are 6-vectors (Euler angles "XYZ", translation in metres), see ``synth._camera``. Because
the rules need only camera positions, orientations, fixation points and rooms, ingest rebuilds
the same samples from the original dataset's ``point_info`` files.

>>> import numpy as np
>>> views = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
>>> position = np.array([[0, 0, 0], [0.3, 0, 0], [0.6, 0, 0], [0, 1, 0], [0.3, 1, 0]], float)
>>> out = multiview_samples(views, position, np.tile(np.eye(3), (5, 1, 1)), np.zeros(5),
...                         np.array([[0, 0, 0]] * 3 + [[0, 2, 0]] * 2, float), 0,
...                         np.random.default_rng(0))
>>> out["fix_pose"][0].tolist(), out["ego_motion"][0].tolist()
([[0, 1], [0, 2], [1, 2], [3, 4]], [[0, 1, 2]])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from taskonomy_data._poses import relative_pose

MULTIVIEW_TASKS = ("fix_pose", "non_fixated_pose", "ego_motion", "point_match")
NEARBY = 2.5  # metres between cameras of a non-fixated pair
DIFFERENT_POINTS = 0.5  # metres between the fixation points of a point-matching negative


def multiview_samples(
    views: Sequence[tuple[int, int]],
    position: np.ndarray,
    rotation: np.ndarray,
    room: np.ndarray,
    point_location: np.ndarray,
    offset: int,
    rng: np.random.Generator,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{task: (view indices (M, images), labels)} for the views of one building.

    ``views[k]`` is view k's (point, view) pair; ``position`` (n, 3), ``rotation`` (n, 3, 3,
    camera to world), ``room`` (n,) and ``point_location`` (n, 3) are per view. Indices are
    numbered from ``offset`` in the order of ``views``.
    """
    n = len(views)
    owner = np.array([p for p, _ in views], dtype=np.int64).reshape(n)
    points = sorted(set(owner.tolist()))
    by_point = {p: sorted(range(n), key=lambda k: views[k][1]) for p in points}
    by_point = {p: [k for k in ks if owner[k] == p] for p, ks in by_point.items()}

    def pose(a: int, b: int) -> np.ndarray:
        return relative_pose(rotation[a], position[a], rotation[b], position[b])

    fixed = [(ks[i], ks[j]) for ks in by_point.values() for i in range(len(ks))
             for j in range(i + 1, len(ks))]  # fmt: skip
    triplets = [
        tuple(ks[v : v + 3])
        for ks in by_point.values()
        for v in range(len(ks) - 2)
        if views[ks[v + 2]][1] - views[ks[v]][1] == 2  # consecutive: no view missing between
    ]

    position = np.asarray(position, float)
    distance = np.linalg.norm(position[:, None] - position[None], axis=-1)
    room = np.asarray(room)
    distance[(owner[:, None] == owner[None]) | (room[:, None] != room[None])] = np.inf
    nonfixed = set()
    for a in range(n):
        b = int(np.argmin(distance[a])) if n else 0
        if n and distance[a, b] < NEARBY:
            nonfixed.add((min(a, b), max(a, b)))
    nonfixed_pairs = sorted(nonfixed)

    location = np.array([point_location[by_point[p][0]] for p in points], float).reshape(-1, 3)
    apart = np.linalg.norm(location[:, None] - location[None], axis=-1)
    slot = {p: i for i, p in enumerate(points)}
    matches, labels = [], []
    for a, b in fixed:
        matches.append((a, b))
        labels.append(1)
        others = np.flatnonzero(apart[slot[int(owner[a])]] > DIFFERENT_POINTS)
        if len(others):
            q = points[int(rng.choice(others))]
            matches.append((a, by_point[q][int(rng.integers(len(by_point[q])))]))
            labels.append(0)

    def index(groups: list, images: int = 2) -> np.ndarray:
        return (offset + np.array(groups, np.int64)).astype(np.int32).reshape(len(groups), images)

    def poses(groups: list) -> np.ndarray:
        return np.array([pose(a, b) for a, b in groups], np.float32).reshape(len(groups), 6)

    ego = np.array(
        [np.concatenate([pose(a, b), pose(b, c), pose(c, a)]) for a, b, c in triplets], np.float32
    ).reshape(len(triplets), 18)
    return {
        "fix_pose": (index(fixed), poses(fixed)),
        "non_fixated_pose": (index(nonfixed_pairs), poses(nonfixed_pairs)),
        "ego_motion": (index(triplets, 3), ego),
        "point_match": (index(matches), np.array(labels, np.int64)),
    }

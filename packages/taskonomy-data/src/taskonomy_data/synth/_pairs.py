"""Multi-view samples of one planned building (see ``taskonomy_data._multiview`` for the rules).

Labels come from the cameras as the store records them (float32 location and Euler angles), so
no rendering is needed and ingest, applying the same rules to the ``point_info`` cameras of an
export, gets the very same labels.

>>> from taskonomy_data.synth._views import plan_building
>>> pairs = building_pairs(plan_building(0, 0, 4, 3), offset=0, seed=0)
>>> pairs["fix_pose"][0].shape, pairs["ego_motion"][1].shape
((12, 2), (4, 18))
"""

from __future__ import annotations

import numpy as np

from taskonomy_data._multiview import MULTIVIEW_TASKS, multiview_samples
from taskonomy_data._poses import euler_from_matrix, matrix_from_euler
from taskonomy_data.synth._views import BuildingPlan

__all__ = ["MULTIVIEW_TASKS", "building_pairs"]


def building_pairs(
    plan: BuildingPlan, offset: int, seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{task: (view indices (M, images), labels)} with views numbered from ``offset``."""
    views = [(p, v) for p in range(plan.points) for v in range(plan.views)]
    owner = np.repeat(np.arange(plan.points), plan.views)
    recorded = np.float32(plan.position.reshape(-1, 3)).astype(np.float64)
    rotation = [
        matrix_from_euler(np.float32(euler_from_matrix(r)).astype(np.float64))
        for r in plan.rotation.reshape(-1, 3, 3)
    ]
    return multiview_samples(
        views,
        recorded,
        np.array(rotation),
        plan.point_room[owner],
        np.float32(plan.point_location[owner]).astype(np.float64),
        offset,
        np.random.default_rng([seed, int(offset), 7]),
    )

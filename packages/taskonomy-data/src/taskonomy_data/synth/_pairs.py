"""Multi-view samples of one planned building (see ``taskonomy_data._multiview`` for the rules).

Labels come from the planned cameras, so no rendering is needed; ingest applies the same rules
to the cameras of the original dataset's ``point_info`` files.

>>> from taskonomy_data.synth._views import plan_building
>>> pairs = building_pairs(plan_building(0, 0, 4, 3), offset=0, seed=0)
>>> pairs["fix_pose"][0].shape, pairs["ego_motion"][1].shape
((12, 2), (4, 18))
"""

from __future__ import annotations

import numpy as np

from taskonomy_data._multiview import MULTIVIEW_TASKS, multiview_samples
from taskonomy_data.synth._views import BuildingPlan

__all__ = ["MULTIVIEW_TASKS", "building_pairs"]


def building_pairs(
    plan: BuildingPlan, offset: int, seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{task: (view indices (M, images), labels)} with views numbered from ``offset``."""
    views = [(p, v) for p in range(plan.points) for v in range(plan.views)]
    owner = np.repeat(np.arange(plan.points), plan.views)
    return multiview_samples(
        views,
        plan.position.reshape(-1, 3),
        plan.rotation.reshape(-1, 3, 3),
        plan.point_room[owner],
        plan.point_location[owner],
        offset,
        np.random.default_rng([seed, int(offset), 7]),
    )

"""The built-in dataset: procedural indoor scenes with ground truth for every Taskonomy task.

Manhattan rooms furnished with objects of 16 classes made of boxes, spheres and cylinders, six
room types, procedural textures and several lights, rendered by vectorised ray casting. Every
label of a view comes from the same 3D scene. See the package README for how each is made.

>>> from taskonomy_data.synth import render_sample
>>> sample = render_sample(building=0, point=0, view=0, resolution=32, tasks=["normal"])
>>> sample["rgb2sfnorm"].shape
(3, 32, 32)
"""

from taskonomy_data.synth._camera import compose_poses, relative_pose
from taskonomy_data.synth._generate import split_buildings, synthesize
from taskonomy_data.synth._render import render_sample, render_views
from taskonomy_data.synth._scene import OBJECT_CLASSES, ROOM_TYPES, Scene, make_scene
from taskonomy_data.synth._selfsup import jigsaw_permutations
from taskonomy_data.synth._shading import reshade
from taskonomy_data.synth._sheet import contact_sheet
from taskonomy_data.synth._views import BuildingPlan, plan_building

__all__ = [
    "OBJECT_CLASSES",
    "ROOM_TYPES",
    "BuildingPlan",
    "Scene",
    "compose_poses",
    "contact_sheet",
    "jigsaw_permutations",
    "make_scene",
    "plan_building",
    "relative_pose",
    "render_sample",
    "render_views",
    "reshade",
    "split_buildings",
    "synthesize",
]

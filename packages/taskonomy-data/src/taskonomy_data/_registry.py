"""The task registry: what every Taskonomy task is, as plain data.

Contract (shared with the synthetic generator, the models package and the pipeline):

* Canonical ids are those of TASKONOMY.md section 4 (``rgb2depth``, ``segmentsemantic``, ...),
  plus ``rgb``, the input domain. Aliases (the released variants ``segmentsemantic_rb``,
  ``vanishing_point_well_defined`` and the original folder names ``depth_zbuffer``, ``normal``,
  ``class_object``, ...) resolve through :func:`get_task`.
* A :class:`TaskSpec` is frozen plain data with ``to_dict``/``from_dict``. A dataset may override
  a spec's size, e.g. ``dataclasses.replace(get_task("class_1000"), channels=12)``; a store's
  metadata holds the specs it was written with and is the truth for that store.
* ``kind`` fixes the decoded, training-ready form of one sample (the reader adds the batch axis N):

  ============  =================================  ===============  ========================
  kind          decoded value per sample            dtype            mask per sample
  ============  =================================  ===============  ========================
  image, dense  (C, H, W)                           float32          (1, H, W) bool
  labels        (H, W) class ids                    int64            (1, H, W) bool
  segments      (H, W) segment ids (C = embed dim)  int64            (1, H, W) bool
  class         () class index                      int64            () bool
  soft_class    (C,) distribution over C classes    float32          () bool
  vector        (C,)                                float32          () bool
  ============  =================================  ===============  ========================

* ``encoding`` (see ``_encoding.ENCODINGS``) turns decoded values into the stored dtype and back.
* ``mask`` says where validity comes from: ``"none"`` (always valid), ``"encoded"`` (the encoding
  carries it: depth 65535, label 0, NaN, class -1) or ``"array"`` (a bool array stored beside).
* ``domain`` is the stored array a task reads its label from. Self-supervised tasks (autoencoder,
  denoise, colorization, impainting_whole, jigsaw) have ``domain="rgb"`` and no array of their own;
  ``input`` names how their network input is formed from RGB (``noisy_rgb``, ``grayscale``,
  ``center_masked``, ``jigsaw_tiles``).
* ``images`` > 1 (pose, ego_motion, point_match, jigsaw tiles): multi-view tasks store, per split,
  an index array into the split's views (``(M, images)``) and their own labels (``(M, ...)``).

>>> get_task("depth_zbuffer").name
'rgb2depth'
>>> TaskSpec.from_dict(get_task("normal").to_dict()) == get_task("rgb2sfnorm")
True
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from taskonomy_data._encoding import ENCODINGS, Encoding, get_encoding

KINDS = ("image", "dense", "labels", "segments", "class", "soft_class", "vector")
PIXEL_KINDS = ("image", "dense", "labels", "segments")
MASK_RULES = ("none", "encoded", "array")
ROLES = ("input", "source", "target")
INPUTS = ("rgb", "noisy_rgb", "grayscale", "center_masked", "jigsaw_tiles")


@dataclass(frozen=True)
class TaskSpec:
    """One task: its output, its on-disk encoding and how it is trained.

    >>> spec = TaskSpec("my_edges", kind="dense", channels=1, encoding="uint16_unit", loss="l1")
    >>> spec.stored_shape(64), spec.dtype
    ((1, 64, 64), 'uint16')
    """

    name: str
    kind: str
    channels: int
    encoding: str
    loss: str
    mask: str = "none"
    images: int = 1
    role: str = "target"
    input: str = "rgb"
    domain: str = ""
    aliases: tuple[str, ...] = ()
    description: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        checks = [
            (self.kind in KINDS, f"kind must be one of {KINDS}"),
            (self.mask in MASK_RULES, f"mask must be one of {MASK_RULES}"),
            (self.role in ROLES, f"role must be one of {ROLES}"),
            (self.input in INPUTS, f"input must be one of {INPUTS}"),
            (self.encoding in ENCODINGS, f"encoding must be one of {sorted(ENCODINGS)}"),
            (self.channels >= 1 and self.images >= 1, "channels and images must be >= 1"),
            (self.name.isidentifier(), "name must be a Python identifier"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"task {self.name!r}: {message}")
        if self.mask == "encoded" and not get_encoding(self.encoding).carries_mask:
            raise ValueError(
                f"task {self.name!r}: encoding {self.encoding!r} carries no mask; "
                'use mask="array" or "none"'
            )
        if not self.domain:
            object.__setattr__(self, "domain", self.name)
        object.__setattr__(self, "aliases", tuple(self.aliases))
        object.__setattr__(self, "extra", dict(self.extra))

    @property
    def stored(self) -> bool:
        """Whether the task has its own label array (False for tasks read from RGB)."""
        return self.domain == self.name

    @property
    def pixelwise(self) -> bool:
        return self.kind in PIXEL_KINDS

    @property
    def multiview(self) -> bool:
        """Whether a sample spans several views stored as an index array (pose, matching)."""
        return self.images > 1 and self.stored

    @property
    def codec(self) -> Encoding:
        return get_encoding(self.encoding)

    @property
    def dtype(self) -> str:
        """The stored dtype."""
        return self.codec.dtype

    def stored_shape(self, resolution: int) -> tuple[int, ...]:
        """Shape of one stored sample at ``resolution`` x ``resolution`` pixels."""
        if self.kind in ("image", "dense"):
            return (self.channels, resolution, resolution)
        if self.kind in ("labels", "segments"):
            return (1, resolution, resolution)
        if self.kind == "class":
            return ()
        return (self.channels,)

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-ready data."""
        out = dataclasses.asdict(self)
        out["aliases"] = list(self.aliases)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskSpec:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown TaskSpec fields {sorted(unknown)}; known: {sorted(known)}")
        return cls(**{**data, "aliases": tuple(data.get("aliases", ()))})


def _t(name: str, kind: str, channels: int, encoding: str, loss: str, **kw: Any) -> TaskSpec:
    return TaskSpec(name, kind, channels, encoding, loss, **kw)


_BUILTIN = [
    _t("rgb", "image", 3, "uint8_unit", "l1", role="input", description="the RGB image"),
    _t(
        "autoencoder",
        "image",
        3,
        "uint8_unit",
        "l1",
        domain="rgb",
        description="reconstruct the image",
    ),
    _t(
        "denoise",
        "image",
        3,
        "uint8_unit",
        "l1",
        domain="rgb",
        input="noisy_rgb",
        description="clean image from a noisy input",
    ),
    _t(
        "colorization",
        "image",
        3,
        "uint8_unit",
        "colorization_ab_bins",
        domain="rgb",
        input="grayscale",
        role="source",
        extra={"ab_bins": 313},
        description="colour (313 ab bins) from the L channel",
    ),
    _t(
        "impainting_whole",
        "image",
        3,
        "uint8_unit",
        "l1",
        domain="rgb",
        input="center_masked",
        role="source",
        aliases=("impainting", "inpainting"),
        description="centre square masked in the input",
    ),
    _t(
        "jigsaw",
        "class",
        100,
        "int16_class",
        "cross_entropy",
        domain="rgb",
        images=9,
        input="jigsaw_tiles",
        role="source",
        description="which of 100 permutations of 3x3 tiles",
    ),
    _t(
        "class_selected",
        "soft_class",
        100,
        "float16",
        "kl_divergence",
        mask="encoded",
        role="source",
        description="object class, 100 of the 1000",
    ),
    _t(
        "curvature",
        "dense",
        2,
        "float16",
        "l2",
        mask="array",
        aliases=("principal_curvature",),
        description="principal curvatures of the surface",
    ),
    _t(
        "edge2d",
        "dense",
        1,
        "uint16_unit",
        "l1",
        aliases=("edge_texture",),
        description="Canny edges of the RGB image",
    ),
    _t(
        "edge3d",
        "dense",
        1,
        "uint16_unit",
        "l1",
        mask="array",
        aliases=("edge_occlusion",),
        description="edges of depth discontinuities",
    ),
    _t(
        "keypoint2d",
        "dense",
        1,
        "uint16_unit",
        "l1",
        aliases=("keypoints2d",),
        description="interest-point response on RGB",
    ),
    _t(
        "keypoint3d",
        "dense",
        1,
        "uint16_unit",
        "l1",
        mask="array",
        aliases=("keypoints3d",),
        description="interest-point response on 3D geometry",
    ),
    _t(
        "reshade",
        "dense",
        1,
        "uint8_unit",
        "l1",
        mask="array",
        aliases=("reshading",),
        description="shading under a point light at the camera",
    ),
    _t(
        "rgb2depth",
        "dense",
        1,
        "depth_uint16",
        "l1",
        mask="encoded",
        aliases=("depth_zbuffer", "depth"),
        description="z-buffer depth in metres",
    ),
    _t(
        "rgb2mist",
        "dense",
        1,
        "depth_uint16",
        "l1",
        mask="encoded",
        aliases=("depth_euclidean", "mist"),
        description="distance to the camera centre, metres",
    ),
    _t(
        "rgb2sfnorm",
        "dense",
        3,
        "uint8_centred",
        "l1",
        mask="array",
        aliases=("normal", "normals"),
        description="unit surface normal, camera frame",
    ),
    _t(
        "segment2d",
        "segments",
        64,
        "uint16_segments",
        "metric_embedding",
        aliases=("segment_unsup2d",),
        description="graph-based segmentation of RGB",
    ),
    _t(
        "segment25d",
        "segments",
        64,
        "uint16_segments",
        "metric_embedding",
        mask="array",
        aliases=("segment_unsup25d",),
        description="segmentation of depth, normals, edges",
    ),
    _t(
        "segmentsemantic",
        "labels",
        18,
        "uint8_label",
        "cross_entropy",
        mask="encoded",
        aliases=("segmentsemantic_rb", "segment_semantic"),
        description="0 uncertain, 1 background, 2-17 objects",
    ),
    _t(
        "class_1000",
        "soft_class",
        1000,
        "float16",
        "kl_divergence",
        mask="encoded",
        aliases=("class_object",),
        description="soft object class",
    ),
    _t(
        "class_places",
        "soft_class",
        63,
        "float16",
        "kl_divergence",
        mask="encoded",
        aliases=("class_scene",),
        description="soft scene class",
    ),
    _t(
        "vanishing_point",
        "vector",
        9,
        "float32",
        "l2",
        mask="encoded",
        aliases=("vanishing_point_well_defined",),
        description="3 Manhattan directions in the camera frame",
    ),
    _t(
        "room_layout",
        "vector",
        9,
        "float32",
        "l2",
        mask="encoded",
        description="room box centre, camera orientation, box extents",
    ),
    _t(
        "fix_pose",
        "vector",
        6,
        "float32",
        "l2",
        mask="encoded",
        images=2,
        aliases=("fixated_pose",),
        description="relative pose of two views of one point",
    ),
    _t(
        "non_fixated_pose",
        "vector",
        6,
        "float32",
        "l2",
        mask="encoded",
        images=2,
        aliases=("nonfixated_pose",),
        description="relative pose of two views of two points",
    ),
    _t(
        "ego_motion",
        "vector",
        18,
        "float32",
        "l2",
        mask="encoded",
        images=3,
        aliases=("egomotion",),
        description="three pairwise poses of an image triplet",
    ),
    _t(
        "point_match",
        "class",
        2,
        "int16_class",
        "cross_entropy",
        mask="encoded",
        images=2,
        aliases=("point_matching",),
        description="do the two centre pixels see one 3D point",
    ),
]

TASKS: dict[str, TaskSpec] = {}
_ALIASES: dict[str, str] = {}


def register_task(spec: TaskSpec, *, replace: bool = False) -> TaskSpec:
    """Add ``spec`` to the registry (under its name and aliases) and return it.

    >>> spec = register_task(TaskSpec("glossiness", "dense", 1, "uint8_unit", "l1"))
    >>> get_task("glossiness") is spec
    True
    >>> _ = unregister_task("glossiness")
    """
    taken = [n for n in (spec.name, *spec.aliases) if n in _ALIASES]
    if taken and not replace:
        raise ValueError(
            f"task names {taken} are already registered; pass replace=True to override them"
        )
    if spec.name in TASKS:
        unregister_task(spec.name)
    TASKS[spec.name] = spec
    for name in (spec.name, *spec.aliases):
        _ALIASES[name] = spec.name
    return spec


def unregister_task(name: str) -> TaskSpec:
    """Remove a task (by name or alias) from the registry and return its spec."""
    spec = TASKS.pop(get_task(name).name)
    for alias in [a for a, n in _ALIASES.items() if n == spec.name]:
        del _ALIASES[alias]
    return spec


def get_task(name: str) -> TaskSpec:
    """Return the spec of a task by canonical id or alias.

    >>> get_task("segmentsemantic_rb").kind
    'labels'
    """
    try:
        return TASKS[_ALIASES[name]]
    except KeyError:
        raise ValueError(
            f"unknown task {name!r}; known tasks: {', '.join(TASKS)} (or register_task it)"
        ) from None


def resolve_tasks(names: Iterable[str | TaskSpec]) -> list[TaskSpec]:
    """Specs for names, aliases or specs, without duplicates, in order."""
    out: dict[str, TaskSpec] = {}
    for item in names:
        spec = item if isinstance(item, TaskSpec) else get_task(item)
        out.setdefault(spec.name, spec)
    return list(out.values())


def task_names(role: str | None = None) -> list[str]:
    """Canonical ids in registry order, optionally only those with ``role``.

    >>> len(task_names()) - len(task_names("input"))
    26
    """
    return [n for n, s in TASKS.items() if role is None or s.role == role]


for _spec in _BUILTIN:
    register_task(_spec)

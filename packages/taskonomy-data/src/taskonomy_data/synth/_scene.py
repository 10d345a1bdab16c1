"""Procedural Manhattan rooms: a box room with windows, furniture built from primitives, lights.

World frame: metres, z up, the room is the axis-aligned box ``[0, size]``. Every object is a
composition of axis-aligned boxes, spheres and vertical cylinders (Manhattan world: furniture is
turned by multiples of 90 degrees only), so ray casting is analytic and curvature is exact.

>>> import numpy as np
>>> scene = make_scene(np.random.default_rng(0), room_type=1)
>>> ROOM_TYPES[scene.room_type], scene.size.shape, len(scene.object_class) > 0
('living_room', (3,), True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from taskonomy_data.synth._objects import BUILDERS, Builder

# Semantic labels: 0 uncertain (no surface), 1 background (room, lights), 2 + index: objects.
OBJECT_CLASSES = (
    "chair",
    "table",
    "sofa",
    "bed",
    "cabinet",
    "bookshelf",
    "lamp",
    "plant",
    "tv",
    "toilet",
    "bathtub",
    "sink",
    "refrigerator",
    "oven",
    "vase",
    "ball",
)
ROOM_TYPES = ("bedroom", "living_room", "kitchen", "bathroom", "office", "dining_room")

# (class, min count, max count) per room type; the order is the placement order.
_FURNISHING: dict[str, list[tuple[str, int, int]]] = {
    "bedroom": [
        ("bed", 1, 1),
        ("cabinet", 1, 2),
        ("lamp", 1, 1),
        ("bookshelf", 0, 1),
        ("chair", 0, 1),
        ("plant", 0, 1),
        ("ball", 0, 2),
    ],
    "living_room": [
        ("sofa", 1, 2),
        ("tv", 1, 1),
        ("table", 1, 1),
        ("lamp", 1, 2),
        ("plant", 1, 2),
        ("bookshelf", 0, 1),
        ("vase", 0, 2),
        ("ball", 0, 1),
    ],
    "kitchen": [
        ("refrigerator", 1, 1),
        ("oven", 1, 1),
        ("sink", 1, 1),
        ("cabinet", 2, 3),
        ("table", 0, 1),
        ("chair", 0, 2),
        ("vase", 0, 1),
    ],
    "bathroom": [
        ("bathtub", 1, 1),
        ("toilet", 1, 1),
        ("sink", 1, 1),
        ("cabinet", 0, 1),
        ("plant", 0, 1),
        ("vase", 0, 1),
    ],
    "office": [
        ("table", 1, 2),
        ("chair", 1, 2),
        ("bookshelf", 1, 2),
        ("cabinet", 0, 1),
        ("lamp", 1, 1),
        ("tv", 0, 1),
        ("plant", 0, 1),
    ],
    "dining_room": [
        ("table", 1, 1),
        ("chair", 2, 4),
        ("cabinet", 0, 1),
        ("lamp", 0, 1),
        ("vase", 0, 2),
        ("plant", 0, 1),
        ("bookshelf", 0, 1),
    ],
}
_AGAINST_WALL = {
    "bed",
    "sofa",
    "cabinet",
    "bookshelf",
    "tv",
    "toilet",
    "bathtub",
    "sink",
    "refrigerator",
    "oven",
    "lamp",
    "plant",
}

# Floor and wall looks per room type: (floor patterns, wall hue range, wall pattern choices).
_LOOK = {
    "bedroom": (("planks", "fabric"), (0.05, 0.15), ("plain", "stripes")),
    "living_room": (("planks", "fabric"), (0.08, 0.6), ("plain", "stripes")),
    "kitchen": (("tiles",), (0.1, 0.35), ("plain", "tiles")),
    "bathroom": (("tiles",), (0.45, 0.65), ("tiles", "plain")),
    "office": (("fabric", "planks"), (0.55, 0.75), ("plain",)),
    "dining_room": (("planks", "tiles"), (0.0, 0.1), ("stripes", "plain")),
}


@dataclass
class Scene:
    """One room: geometry arrays (float32) per primitive type, materials, lights.

    ``*_object`` holds the object index of each primitive (-1: part of the room, e.g. a light
    fitting); ``object_class`` maps an object index to its class in OBJECT_CLASSES.
    """

    room_type: int
    size: np.ndarray  # (3,) room extents; the room is [0, size]
    wall_material: np.ndarray  # (6,) faces -x, +x, -y, +y, floor, ceiling
    windows: np.ndarray  # (W, 5): face (0-3), u0, u1, z0, z1 (u: the other horizontal axis)
    box_lo: np.ndarray
    box_hi: np.ndarray
    box_object: np.ndarray
    box_material: np.ndarray
    sphere_centre: np.ndarray
    sphere_radius: np.ndarray
    sphere_object: np.ndarray
    sphere_material: np.ndarray
    cyl_centre: np.ndarray  # (N, 2) x, y
    cyl_z: np.ndarray  # (N, 2) bottom, top
    cyl_radius: np.ndarray
    cyl_object: np.ndarray
    cyl_material: np.ndarray
    object_class: np.ndarray  # (M,)
    object_lo: np.ndarray  # (M, 3) bounding boxes
    object_hi: np.ndarray
    material_colour: np.ndarray  # (K, 3) linear RGB
    material_colour2: np.ndarray  # (K, 3)
    material_pattern: np.ndarray  # (K,) index into PATTERNS
    material_scale: np.ndarray  # (K,) pattern period in metres
    material_gloss: np.ndarray  # (K,) specular strength
    light_position: np.ndarray  # (L, 3)
    light_colour: np.ndarray  # (L, 3)
    ambient: float = 0.25
    extras: dict = field(default_factory=dict)

    @property
    def lo(self) -> np.ndarray:
        return np.zeros(3, np.float32)

    def free_space(self, points: np.ndarray, margin: float = 0.35) -> np.ndarray:
        """Whether camera positions (N, 3) are inside the room and clear of every object."""
        points = np.asarray(points, np.float32)
        inside = np.all((points > margin) & (points < self.size - margin), axis=-1)
        lo, hi = self.object_lo - margin, self.object_hi + margin
        hit = np.all((points[:, None] > lo[None]) & (points[:, None] < hi[None]), axis=-1)
        return inside & ~hit.any(axis=1)


def _rotate(xy: np.ndarray, quarter: int) -> np.ndarray:
    x, y = xy[..., 0], xy[..., 1]
    for _ in range(quarter % 4):
        x, y = -y, x
    return np.stack([x, y], axis=-1)


def _place(b: Builder, parts, quarter: int, offset: np.ndarray, obj: int) -> tuple:
    """Turn parts by quarter * 90 degrees, move them by offset; return the object's box."""
    lo_all, hi_all = np.full(3, np.inf), np.full(3, -np.inf)
    for part in parts:
        kind = part[0]
        if kind == "box":
            lo, hi = np.array(part[1], float), np.array(part[2], float)
            corners = _rotate(np.array([lo[:2], hi[:2]]), quarter)
            lo = np.r_[corners.min(0), lo[2]] + offset
            hi = np.r_[corners.max(0), hi[2]] + offset
            b.boxes.append((lo, hi, obj, part[3]))
        elif kind == "sphere":
            c = np.array(part[1], float)
            c = np.r_[_rotate(c[:2], quarter), c[2]] + offset
            r = part[2]
            lo, hi = c - r, c + r
            b.spheres.append((c, r, obj, part[3]))
        else:
            xy = _rotate(np.array(part[1], float), quarter) + offset[:2]
            z0, z1, r = part[2] + offset[2], part[3] + offset[2], part[4]
            lo, hi = np.r_[xy - r, z0], np.r_[xy + r, z1]
            b.cyls.append((xy, (z0, z1), r, obj, part[5]))
        lo_all, hi_all = np.minimum(lo_all, lo), np.maximum(hi_all, hi)
    return lo_all, hi_all


def _overlaps(lo, hi, boxes, gap=0.08) -> bool:
    return any(
        np.all(lo[:2] < h[:2] + gap) and np.all(hi[:2] > l_[:2] - gap) and lo[2] < h[2]
        for l_, h in boxes
    )


def make_scene(rng: np.random.Generator, room_type: int | None = None) -> Scene:
    """A random furnished room of ``room_type`` (index into ROOM_TYPES; random when None)."""
    if room_type is None:
        room_type = int(rng.integers(len(ROOM_TYPES)))
    name = ROOM_TYPES[room_type]
    b = Builder(rng)
    size = np.array([rng.uniform(3.5, 6.5), rng.uniform(3.2, 5.5), rng.uniform(2.5, 3.1)])
    floors, wall_hue, wall_patterns = _LOOK[name]
    floor_pattern = str(rng.choice(floors))
    floor_colour = b.random_colour(
        (0.05, 0.12) if floor_pattern == "planks" else (0, 1), (0.1, 0.6), (0.3, 0.7)
    )
    floor = b.material(
        floor_colour,
        floor_pattern,
        colour2=floor_colour * rng.uniform(0.6, 0.85),
        scale=rng.uniform(0.15, 0.5),
        gloss=0.2,
    )
    wall_colour = b.random_colour(wall_hue, (0.05, 0.35), (0.6, 0.95))
    wall_pattern, wall_colour2 = (
        str(rng.choice(wall_patterns)),
        wall_colour * rng.uniform(0.75, 0.92),
    )
    wall = b.material(wall_colour, wall_pattern, colour2=wall_colour2, scale=rng.uniform(0.1, 0.4))
    accent = b.material(b.random_colour(wall_hue, (0.2, 0.5), (0.5, 0.85)), "plain")
    ceiling = b.material((0.93, 0.93, 0.9))
    walls = [wall, wall, wall, wall]
    walls[int(rng.integers(4))] = accent
    wall_material = np.array([*walls, floor, ceiling])

    windows = []
    for _ in range(int(rng.integers(0, 3))):
        face = int(rng.integers(4))
        length = size[1] if face < 2 else size[0]
        w = rng.uniform(0.7, min(1.6, length - 1.0))
        u0 = rng.uniform(0.4, length - w - 0.4)
        windows.append((face, u0, u0 + w, rng.uniform(0.8, 1.1), rng.uniform(1.9, 2.2)))

    placed: list[tuple] = []
    for cls, low, high in _FURNISHING[name]:
        for _ in range(int(rng.integers(low, high + 1))):
            _add_object(b, cls, size, placed)

    lights = []
    emissive = b.material((1.0, 0.97, 0.9), "emissive")
    for _ in range(int(rng.integers(2, 4))):
        p = np.array(
            [rng.uniform(0.8, size[0] - 0.8), rng.uniform(0.8, size[1] - 0.8), size[2] - 0.12]
        )
        warmth = rng.uniform(0, 0.25)
        lights.append((p, np.array([1.0, 1.0 - warmth * 0.4, 1.0 - warmth]) * rng.uniform(4, 7)))
        b.spheres.append((p + np.array([0, 0, 0.02]), 0.1, -1, emissive))
    return _assemble(
        b, room_type, size, wall_material, windows, lights, float(rng.uniform(0.2, 0.35))
    )


def _add_object(b: Builder, cls: str, size: np.ndarray, placed: list[tuple]) -> None:
    rng = b.rng
    for _ in range(20):
        parts, (hx, hy) = BUILDERS[cls](b)
        if cls in _AGAINST_WALL:
            face = int(rng.integers(4))
            quarter = (1, 3, 2, 0)[face]  # turn the back (+y) towards the wall
            along = size[1] if face < 2 else size[0]
            u = rng.uniform(hx + 0.05, along - hx - 0.05)
            depth = hy + 0.02
            xy = {0: (depth, u), 1: (size[0] - depth, u), 2: (u, depth), 3: (u, size[1] - depth)}
            offset = np.array([*xy[face], 0.0])
        else:
            quarter = int(rng.integers(4))
            reach = max(hx, hy) + 0.5
            offset = np.array(
                [rng.uniform(reach, size[0] - reach), rng.uniform(reach, size[1] - reach), 0.0]
            )
        corners = _rotate(np.array([[-hx, -hy], [hx, hy]]), quarter) + offset[:2]
        lo, hi = np.r_[corners.min(0), 0.0], np.r_[corners.max(0), 3.0]
        if np.any(lo[:2] < 0.0) or np.any(hi[:2] > size[:2]) or _overlaps(lo, hi, placed):
            continue
        obj = len(b.objects)
        box = _place(b, parts, quarter, offset, obj)
        b.objects.append(OBJECT_CLASSES.index(cls))
        b.object_boxes.append(box)
        placed.append((lo, hi))
        return


def _assemble(b, room_type, size, wall_material, windows, lights, ambient) -> Scene:
    f32 = np.float32

    def col(items, i, shape, dtype=f32):
        return np.array([it[i] for it in items], dtype).reshape(shape)

    mats = b.materials
    return Scene(
        room_type=room_type,
        size=size.astype(f32),
        wall_material=wall_material.astype(np.int32),
        windows=np.array(windows, f32).reshape(-1, 5),
        box_lo=col(b.boxes, 0, (-1, 3)),
        box_hi=col(b.boxes, 1, (-1, 3)),
        box_object=col(b.boxes, 2, (-1,), np.int32),
        box_material=col(b.boxes, 3, (-1,), np.int32),
        sphere_centre=col(b.spheres, 0, (-1, 3)),
        sphere_radius=col(b.spheres, 1, (-1,)),
        sphere_object=col(b.spheres, 2, (-1,), np.int32),
        sphere_material=col(b.spheres, 3, (-1,), np.int32),
        cyl_centre=col(b.cyls, 0, (-1, 2)),
        cyl_z=col(b.cyls, 1, (-1, 2)),
        cyl_radius=col(b.cyls, 2, (-1,)),
        cyl_object=col(b.cyls, 3, (-1,), np.int32),
        cyl_material=col(b.cyls, 4, (-1,), np.int32),
        object_class=np.array(b.objects, np.int32),
        object_lo=col(b.object_boxes, 0, (-1, 3)),
        object_hi=col(b.object_boxes, 1, (-1, 3)),
        material_colour=col(mats, 0, (-1, 3)),
        material_colour2=col(mats, 1, (-1, 3)),
        material_pattern=col(mats, 2, (-1,), np.int32),
        material_scale=col(mats, 3, (-1,)),
        material_gloss=col(mats, 4, (-1,)),
        light_position=col(lights, 0, (-1, 3)),
        light_colour=col(lights, 1, (-1, 3)),
        ambient=ambient,
    )

"""Furniture: one builder per object class, composing boxes, spheres and vertical cylinders.

A builder works in the object's own frame: footprint centred on the origin, standing on z = 0,
its back towards +y (the side put against a wall). It returns its parts and half footprint;
parts are ``("box", lo, hi, material)``, ``("sphere", centre, radius, material)`` or
``("cyl", (x, y), z0, z1, radius, material)``, with materials made by the builder.

>>> import numpy as np
>>> parts, (hx, hy) = BUILDERS["table"](Builder(np.random.default_rng(0)))
>>> sorted({p[0] for p in parts}), hx > 0
(['box', 'cyl'], True)
"""

from __future__ import annotations

import numpy as np

# Texture patterns, evaluated as solid (3D) textures in _shading.py.
PATTERNS = ("plain", "stripes", "tiles", "planks", "fabric", "emissive")


class Builder:
    """Collects primitives and materials while a scene is assembled."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.boxes: list[tuple] = []
        self.spheres: list[tuple] = []
        self.cyls: list[tuple] = []
        self.materials: list[tuple] = []
        self.objects: list[int] = []
        self.object_boxes: list[tuple] = []

    def material(self, colour, pattern="plain", colour2=None, scale=0.2, gloss=0.0) -> int:
        colour = np.clip(np.asarray(colour, float), 0, 1)
        colour2 = colour * 0.7 if colour2 is None else np.clip(np.asarray(colour2, float), 0, 1)
        self.materials.append((colour, colour2, PATTERNS.index(pattern), scale, gloss))
        return len(self.materials) - 1

    def random_colour(self, hue: tuple[float, float] = (0, 1), sat=(0.2, 0.7), val=(0.3, 0.9)):
        h, s, v = (self.rng.uniform(*r) for r in (hue, sat, val))
        return _hsv_to_rgb(h % 1.0, s, v)


def _hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return np.array([(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i])


# -- object builders: local frame, footprint centred on the origin, back towards +y ------------
# Each returns (parts, half footprint (hx, hy)); parts are ("box", lo, hi, mat) |
# ("sphere", centre, r, mat) | ("cyl", (x, y), z0, z1, r, mat).


def _legs(hx, hy, h, r, mat, inset=0.05):
    return [
        ("cyl", (sx * (hx - inset), sy * (hy - inset)), 0.0, h, r, mat)
        for sx in (-1, 1)
        for sy in (-1, 1)
    ]


def _chair(b: Builder):
    w, seat = b.rng.uniform(0.4, 0.5), b.rng.uniform(0.42, 0.48)
    main = b.material(b.random_colour(), b.rng.choice(["plain", "fabric"]), scale=0.05)
    legs = b.material(b.random_colour(val=(0.15, 0.5)), gloss=0.3)
    h = w / 2
    parts = _legs(h, h, seat, 0.022, legs, 0.04)
    parts.append(("box", (-h, -h, seat), (h, h, seat + 0.05), main))
    parts.append(("box", (-h, h - 0.05, seat + 0.05), (h, h, seat + b.rng.uniform(0.4, 0.5)), main))
    return parts, (h, h)


def _table(b: Builder):
    hx, hy = b.rng.uniform(0.4, 0.8), b.rng.uniform(0.3, 0.45)
    h = b.rng.uniform(0.45, 0.76)
    top = b.material(b.random_colour((0.05, 0.12), (0.3, 0.7)), "planks", scale=0.12, gloss=0.2)
    parts = _legs(hx, hy, h - 0.04, 0.03, top)
    parts.append(("box", (-hx, -hy, h - 0.04), (hx, hy, h), top))
    return parts, (hx, hy)


def _sofa(b: Builder):
    hx, hy = b.rng.uniform(0.8, 1.1), 0.43
    cloth = b.material(b.random_colour(), "fabric", scale=0.04)
    cushion = b.material(b.random_colour(), "fabric", scale=0.04)
    parts = [
        ("box", (-hx, -hy, 0.05), (hx, hy, 0.42), cloth),
        ("box", (-hx, hy - 0.2, 0.42), (hx, hy, 0.85), cloth),
        ("box", (-hx, -hy, 0.42), (-hx + 0.15, hy - 0.2, 0.62), cloth),
        ("box", (hx - 0.15, -hy, 0.42), (hx, hy - 0.2, 0.62), cloth),
        ("sphere", (-hx * 0.45, hy - 0.32, 0.55), 0.13, cushion),
        ("sphere", (hx * 0.45, hy - 0.32, 0.55), 0.13, cushion),
    ]
    return parts, (hx, hy)


def _bed(b: Builder):
    hx, hy = b.rng.uniform(0.7, 0.9), 1.0
    frame = b.material(b.random_colour((0.05, 0.1), val=(0.2, 0.5)), "planks", scale=0.1)
    sheet = b.material(b.random_colour(sat=(0.05, 0.4), val=(0.6, 0.95)), "stripes", scale=0.15)
    pillow = b.material(b.random_colour(sat=(0.0, 0.2), val=(0.8, 0.95)), "fabric", scale=0.03)
    return [
        ("box", (-hx, -hy, 0.0), (hx, hy - 0.06, 0.3), frame),
        ("box", (-hx + 0.03, -hy + 0.03, 0.3), (hx - 0.03, hy - 0.08, 0.5), sheet),
        ("box", (-hx, hy - 0.06, 0.0), (hx, hy, b.rng.uniform(0.9, 1.2)), frame),
        ("box", (-hx + 0.1, hy - 0.5, 0.5), (-0.05, hy - 0.12, 0.62), pillow),
        ("box", (0.05, hy - 0.5, 0.5), (hx - 0.1, hy - 0.12, 0.62), pillow),
    ], (hx, hy)


def _cabinet(b: Builder):
    hx, hy, h = b.rng.uniform(0.3, 0.6), 0.23, b.rng.uniform(0.8, 1.9)
    body = b.material(b.random_colour(), b.rng.choice(["plain", "planks"]), scale=0.1, gloss=0.2)
    metal = b.material((0.75, 0.75, 0.78), gloss=0.8)
    parts = [("box", (-hx, -hy, 0.0), (hx, hy, h), body)]
    parts += [("sphere", (sx * 0.08, -hy - 0.01, h * 0.6), 0.025, metal) for sx in (-1, 1)]
    return parts, (hx, hy)


def _bookshelf(b: Builder):
    hx, hy, h = b.rng.uniform(0.4, 0.6), 0.16, b.rng.uniform(1.6, 2.0)
    wood = b.material(b.random_colour((0.05, 0.12), val=(0.3, 0.7)), "planks", scale=0.08)
    parts = [
        ("box", (-hx, -hy, 0), (-hx + 0.03, hy, h), wood),
        ("box", (hx - 0.03, -hy, 0), (hx, hy, h), wood),
        ("box", (-hx, hy - 0.02, 0), (hx, hy, h), wood),
    ]
    shelves = 4
    for i in range(shelves + 1):
        z = i * (h - 0.03) / shelves
        parts.append(("box", (-hx, -hy, z), (hx, hy, z + 0.03), wood))
        if i < shelves:
            books = b.material(b.random_colour(sat=(0.4, 0.8)), "stripes", scale=0.03)
            x0 = b.rng.uniform(-hx + 0.03, 0)
            x1 = b.rng.uniform(x0 + 0.15, hx - 0.03)
            top = z + 0.03 + b.rng.uniform(0.15, (h - 0.03) / shelves - 0.05)
            parts.append(("box", (x0, -hy + 0.03, z + 0.03), (x1, hy - 0.02, top), books))
    return parts, (hx, hy)


def _lamp(b: Builder):
    metal = b.material(b.random_colour(val=(0.1, 0.4)), gloss=0.6)
    shade = b.material(b.random_colour(sat=(0.1, 0.4), val=(0.8, 1.0)), "fabric", scale=0.02)
    h = b.rng.uniform(1.3, 1.7)
    parts = [("cyl", (0, 0), 0, 0.03, 0.16, metal), ("cyl", (0, 0), 0.03, h, 0.015, metal)]
    if b.rng.random() < 0.5:
        parts.append(("cyl", (0, 0), h - 0.2, h + 0.1, 0.2, shade))
    else:
        parts.append(("sphere", (0, 0, h + 0.08), 0.16, shade))
    return parts, (0.2, 0.2)


def _plant(b: Builder):
    r, h = b.rng.uniform(0.12, 0.22), b.rng.uniform(0.25, 0.5)
    pot = b.material(_hsv_to_rgb(b.rng.uniform(0.02, 0.07), 0.6, b.rng.uniform(0.4, 0.7)))
    leaf = b.material(_hsv_to_rgb(b.rng.uniform(0.22, 0.38), 0.65, 0.45), "fabric", scale=0.03)
    parts = [("cyl", (0, 0), 0, h, r, pot)]
    for _ in range(int(b.rng.integers(2, 4))):
        off = b.rng.uniform(-r, r, 2) * 0.6
        parts.append(("sphere", (off[0], off[1], h + b.rng.uniform(0.1, 0.4)), r * 1.2, leaf))
    return parts, (r * 1.5, r * 1.5)


def _tv(b: Builder):
    hx = b.rng.uniform(0.4, 0.7)
    stand = b.material(b.random_colour(val=(0.2, 0.6)), "planks", scale=0.1)
    screen = b.material((0.03, 0.03, 0.05), gloss=1.0)
    frame = b.material((0.1, 0.1, 0.1), gloss=0.5)
    return [
        ("box", (-hx, -0.2, 0), (hx, 0.2, 0.5), stand),
        ("box", (-hx + 0.05, 0.02, 0.5), (hx - 0.05, 0.08, 1.15), frame),
        ("box", (-hx + 0.08, 0.01, 0.53), (hx - 0.08, 0.02, 1.12), screen),
    ], (hx, 0.2)


def _toilet(b: Builder):
    white = b.material((0.92, 0.92, 0.9), gloss=0.7)
    return [
        ("cyl", (0, -0.05), 0, 0.42, 0.2, white),
        ("box", (-0.2, 0.12, 0.3), (0.2, 0.3, 0.8), white),
    ], (0.22, 0.3)


def _bathtub(b: Builder):
    hx, hy = b.rng.uniform(0.7, 0.85), 0.37
    white = b.material((0.93, 0.93, 0.95), gloss=0.7)
    water = b.material((0.55, 0.7, 0.8), gloss=0.9)
    t, h = 0.07, 0.55
    return [
        ("box", (-hx, -hy, 0), (hx, hy, 0.15), white),
        ("box", (-hx, -hy, 0.15), (hx, -hy + t, h), white),
        ("box", (-hx, hy - t, 0.15), (hx, hy, h), white),
        ("box", (-hx, -hy + t, 0.15), (-hx + t, hy - t, h), white),
        ("box", (hx - t, -hy + t, 0.15), (hx, hy - t, h), white),
        ("box", (-hx + t, -hy + t, 0.15), (hx - t, hy - t, 0.35), water),
    ], (hx, hy)


def _sink(b: Builder):
    body = b.material(b.random_colour(), "plain")
    white = b.material((0.92, 0.92, 0.93), gloss=0.7)
    metal = b.material((0.7, 0.7, 0.72), gloss=0.9)
    return [
        ("box", (-0.3, -0.25, 0), (0.3, 0.25, 0.8), body),
        ("cyl", (0, -0.02), 0.8, 0.88, 0.2, white),
        ("cyl", (0, 0.2), 0.8, 1.05, 0.02, metal),
        ("sphere", (0, 0.2, 1.05), 0.035, metal),
    ], (0.3, 0.25)


def _refrigerator(b: Builder):
    body = b.material(b.random_colour(sat=(0.0, 0.15), val=(0.75, 0.95)), gloss=0.5)
    metal = b.material((0.6, 0.6, 0.62), gloss=0.9)
    h = b.rng.uniform(1.6, 1.95)
    return [
        ("box", (-0.35, -0.33, 0), (0.35, 0.33, h), body),
        ("cyl", (0.25, -0.36), h * 0.5, h * 0.85, 0.02, metal),
    ], (0.35, 0.36)


def _oven(b: Builder):
    body = b.material(b.random_colour(sat=(0.0, 0.2), val=(0.5, 0.9)), gloss=0.4)
    glass = b.material((0.05, 0.05, 0.06), gloss=1.0)
    knob = b.material((0.1, 0.1, 0.1))
    parts = [
        ("box", (-0.3, -0.3, 0), (0.3, 0.3, 0.9), body),
        ("box", (-0.22, -0.31, 0.2), (0.22, -0.3, 0.6), glass),
    ]
    parts += [("sphere", (x, -0.31, 0.78), 0.025, knob) for x in (-0.15, -0.05, 0.05, 0.15)]
    return parts, (0.3, 0.31)


def _vase(b: Builder):
    r = b.rng.uniform(0.08, 0.14)
    glaze = b.material(
        b.random_colour(sat=(0.3, 0.9)), b.rng.choice(["plain", "stripes"]), scale=0.05, gloss=0.8
    )
    return [
        ("sphere", (0, 0, r), r, glaze),
        ("cyl", (0, 0), r, r + b.rng.uniform(0.12, 0.3), r * 0.4, glaze),
    ], (r, r)


def _ball(b: Builder):
    r = b.rng.uniform(0.1, 0.22)
    mat = b.material(
        b.random_colour(sat=(0.5, 0.9), val=(0.6, 1.0)),
        "stripes",
        scale=r / 2,
        colour2=(0.95, 0.95, 0.95),
        gloss=0.5,
    )
    return [("sphere", (0, 0, r), r, mat)], (r, r)


BUILDERS = {
    "chair": _chair,
    "table": _table,
    "sofa": _sofa,
    "bed": _bed,
    "cabinet": _cabinet,
    "bookshelf": _bookshelf,
    "lamp": _lamp,
    "plant": _plant,
    "tv": _tv,
    "toilet": _toilet,
    "bathtub": _bathtub,
    "sink": _sink,
    "refrigerator": _refrigerator,
    "oven": _oven,
    "vase": _vase,
    "ball": _ball,
}

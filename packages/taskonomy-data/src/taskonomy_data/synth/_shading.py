"""RGB: solid (3D) procedural textures lit by the room's point lights, and the reshading label.

Textures are functions of the world position of the hit, so no surface needs texture
coordinates: plain (faint noise), stripes, tiles with grout, wooden planks, fabric, emissive.
Lighting is Lambertian plus a Blinn-Phong highlight for glossy materials, from every light with a
soft inverse-square falloff, plus ambient; no shadows. Rays through a window see the sky.

>>> import numpy as np
>>> float(reshade(np.array([[0.0, 0.0, 1.0]]), np.array([[0.0, 0.0, -1.0]]), np.array([2.0]))[0])
0.8
"""

from __future__ import annotations

import numpy as np

from taskonomy_data.synth._objects import PATTERNS
from taskonomy_data.synth._raycast import Hits
from taskonomy_data.synth._scene import Scene

EXPOSURE = 1.1
RESHADE_DISTANCE = 4.0  # metres at which the reshading light has fallen to a half
SKY = np.array([0.62, 0.78, 1.0], np.float32)


def reshade(normals: np.ndarray, rays: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Shading under a point light at the camera: the documented reshading function.

    ``max(0, n . v) / (1 + (r / RESHADE_DISTANCE)^2)`` clipped to [0, 1] with ``n`` the unit
    normal, ``v = -ray / |ray|`` the unit vector from the surface to the camera and ``r`` the
    Euclidean distance, so nearby surfaces facing the camera are bright. Any frame works as long
    as normals and rays share it. Shapes: (..., 3), (..., 3), (...).
    """
    view = -rays / np.linalg.norm(rays, axis=-1, keepdims=True)
    cosine = np.maximum((normals * view).sum(-1), 0.0)
    return np.clip(cosine / (1.0 + (distance / RESHADE_DISTANCE) ** 2), 0.0, 1.0)


def _hash(x: np.ndarray) -> np.ndarray:
    """Pseudo-random value in [0, 1) of integer lattice coordinates (deterministic)."""
    return np.modf(np.abs(np.sin(x * 12.9898 + 4.1414) * 43758.5453))[0]


def _pattern(name: str, p: np.ndarray, n: np.ndarray, q: np.ndarray, scale: np.ndarray):
    """Mixing weight of the two colours of a pattern (> 1 means grout or a plank gap)."""
    wave = np.sin(p[:, 0] * 7.1) * np.sin(p[:, 1] * 6.3 + 1.0) * np.sin(p[:, 2] * 5.7 + 2.0)
    if name == "plain":
        return 0.5 + 0.08 * wave  # a faint, smooth variation
    if name == "stripes":
        return np.floor((p[:, 0] + p[:, 1]) / scale) % 2
    in_plane = n < 0.5  # the two axes along the surface (all three on curved ones)
    cell = np.floor(q + 0.5 * ~in_plane)
    if name == "tiles":
        frac = q - np.floor(q)
        grout = np.any(in_plane & ((frac < 0.05) | (frac > 0.95)), axis=1)
        return np.where(grout, 1.35, (cell * in_plane).sum(1) % 2)
    if name == "planks":
        plank_axis = np.where(n[:, 2] > 0.5, 0, np.argmax(in_plane, axis=1))
        rows = np.arange(len(q))
        along = q[rows, plank_axis]
        index = np.floor(along)
        grain = 0.5 + 0.5 * np.sin(p[rows, (plank_axis + 1) % 3] * 23 + 9 * _hash(index) + 2 * wave)
        return np.where((along - index) < 0.04, 1.3, 0.25 * grain + 0.75 * _hash(index + 7.0))
    if name == "fabric":
        fabric = 0.5 + 0.5 * np.sin(q[:, 0] * 6.3) * np.sin(q[:, 1] * 6.3) * np.sin(q[:, 2] * 6.3)
        return 0.6 * fabric + 0.4 * _hash((cell * [1.0, 57.0, 113.0]).sum(1))
    return np.zeros(len(p))  # emissive


def albedo(scene: Scene, hits: Hits) -> np.ndarray:
    """(R, 3) surface colour of every hit (zeros where nothing was hit)."""
    m = np.maximum(hits.material, 0)
    pattern = scene.material_pattern[m]
    weight = np.zeros(len(m), np.float32)
    for k, name in enumerate(PATTERNS):
        idx = np.flatnonzero(pattern == k)
        if len(idx):
            p, scale = hits.point[idx], scene.material_scale[m[idx]]
            weight[idx] = _pattern(name, p, np.abs(hits.normal[idx]), p / scale[:, None], scale)
    c1, c2 = scene.material_colour[m], scene.material_colour2[m]
    colour = c1 + (c2 - c1) * np.clip(weight, 0, 1)[:, None]
    colour = np.where((weight > 1.0)[:, None], np.minimum(c1 * 0.5 + 0.45, 1.0), colour)  # grout
    return colour.astype(np.float32)


def shade(scene: Scene, hits: Hits, rays: np.ndarray) -> np.ndarray:
    """(R, 3) RGB in [0, 1] for hits of world-frame ``rays`` (the directions that were cast)."""
    base = albedo(scene, hits)
    m = np.maximum(hits.material, 0)
    view = -rays / np.linalg.norm(rays, axis=1, keepdims=True)
    glossy = np.flatnonzero(scene.material_gloss[m] > 0)
    gloss = scene.material_gloss[m[glossy]][:, None]
    light = np.full_like(base, scene.ambient)
    highlight = np.zeros((len(glossy), 3), np.float32)
    for position, colour in zip(scene.light_position, scene.light_colour, strict=True):
        to_light = position - hits.point
        dist2 = np.einsum("ij,ij->i", to_light, to_light)
        inv = 1.0 / np.sqrt(dist2)
        lambert = np.maximum(np.einsum("ij,ij->i", hits.normal, to_light) * inv, 0)
        falloff = 1.0 / (1.0 + dist2)
        light += (lambert * falloff)[:, None] * colour
        if len(glossy):
            half = to_light[glossy] * inv[glossy, None] + view[glossy]
            half /= np.maximum(np.linalg.norm(half, axis=1, keepdims=True), 1e-6)
            spec = np.maximum(np.einsum("ij,ij->i", hits.normal[glossy], half), 0) ** 32
            highlight += (spec * falloff[glossy] * (lambert[glossy] > 0))[:, None] * colour
    radiance = base * light
    radiance[glossy] += 0.6 * gloss * highlight
    emissive = (scene.material_pattern[m] == PATTERNS.index("emissive"))[:, None]
    radiance = np.where(emissive, 3.0 * base, radiance)
    rgb = np.sqrt(1.0 - np.exp(-EXPOSURE * radiance))  # tone map, then gamma 2
    up = np.clip(-2.0 * view[:, 2:3], 0, 1)  # bluer towards the zenith, whiter at the horizon
    sky = 1.0 - (1.0 - SKY) * (0.4 + 0.6 * up)
    rgb = np.where(hits.valid[:, None], rgb, sky)
    return np.clip(rgb, 0, 1).astype(np.float32)

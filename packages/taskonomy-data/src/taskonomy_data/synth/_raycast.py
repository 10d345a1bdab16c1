"""Vectorised ray casting: every ray against every primitive of a scene at once, analytically.

Rays are ``o + t * d`` with ``d`` not normalised: with camera rays ``R @ (u, v, -1)`` the hit
parameter ``t`` is the z-buffer depth. Primitives: axis-aligned boxes (slab test), spheres,
vertical cylinders with caps, and the room itself seen from inside (its windows let rays out).

>>> import numpy as np
>>> from taskonomy_data.synth._scene import make_scene
>>> scene = make_scene(np.random.default_rng(0))
>>> hits = cast(scene, np.array([[1.0, 1.0, 1.5]]), np.array([[0.0, 0.0, 1.0]]))
>>> bool(np.isclose(hits.depth[0], scene.size[2] - 1.5, atol=1e-4)), hits.normal[0].tolist()
(True, [0.0, 0.0, -1.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from taskonomy_data.synth._scene import Scene

EPS = 1e-4
BOX, SPHERE, CYLINDER, ROOM = 0, 1, 2, 3


@dataclass
class Hits:
    """First hits of R rays; ``depth`` is inf and ``kind`` -1 where a ray leaves the room."""

    depth: np.ndarray  # (R,) ray parameter t (z-depth for camera rays)
    point: np.ndarray  # (R, 3) world position
    normal: np.ndarray  # (R, 3) unit world normal, facing the ray
    curvature: np.ndarray  # (R, 2) principal curvatures, largest first (convex > 0)
    kind: np.ndarray  # (R,) BOX, SPHERE, CYLINDER, ROOM or -1
    primitive: np.ndarray  # (R,) index within its kind (room: face 0-5)
    material: np.ndarray  # (R,) material index, -1 where nothing was hit
    object: np.ndarray  # (R,) object index, -1 for the room, -2 where nothing was hit

    @property
    def valid(self) -> np.ndarray:
        return self.kind >= 0


def _safe_inverse(x: np.ndarray) -> np.ndarray:
    return 1.0 / np.where(np.abs(x) < 1e-12, np.copysign(1e-12, x), x)


def _boxes(lo, hi, o, inv):
    tnear = tfar = None
    for a in range(3):
        t0 = (lo[None, :, a] - o[:, a, None]) * inv[:, a, None]
        t1 = (hi[None, :, a] - o[:, a, None]) * inv[:, a, None]
        near, far = np.minimum(t0, t1), np.maximum(t0, t1)
        tnear = near if tnear is None else np.maximum(tnear, near)
        tfar = far if tfar is None else np.minimum(tfar, far)
    return tnear, tfar


def _nearest(t: np.ndarray):
    k = t.argmin(axis=1)
    return t[np.arange(len(t)), k], k


def _spheres(c, r, o, d):
    oc = o[:, None] - c[None]
    dd = (d * d).sum(1)[:, None]
    b = np.einsum("rnk,rk->rn", oc, d)
    cc = np.einsum("rnk,rnk->rn", oc, oc) - r * r
    disc = b * b - dd * cc
    t = (-b - np.sqrt(np.maximum(disc, 0))) / dd
    return _nearest(np.where((disc > 0) & (t > EPS), t, np.inf))


def _cylinders(c, z, r, o, d):
    oxy = o[:, None, :2] - c[None]
    dxy = d[:, :2]
    a = (dxy * dxy).sum(1)[:, None]
    b = np.einsum("rnk,rk->rn", oxy, dxy)
    cc = np.einsum("rnk,rnk->rn", oxy, oxy) - r * r
    disc = b * b - a * cc
    side = (-b - np.sqrt(np.maximum(disc, 0))) / np.maximum(a, 1e-12)
    zs = o[:, 2, None] + side * d[:, 2, None]
    side = np.where(
        (disc > 0) & (side > EPS) & (zs >= z[None, :, 0]) & (zs <= z[None, :, 1]), side, np.inf
    )
    oz = o[:, 2, None]
    above, below = oz > z[None, :, 1], oz < z[None, :, 0]
    cap = (np.where(above, z[None, :, 1], z[None, :, 0]) - oz) * _safe_inverse(d[:, 2])[:, None]
    px = oxy[..., 0] + cap * dxy[:, 0, None]
    py = oxy[..., 1] + cap * dxy[:, 1, None]
    cap = np.where((above | below) & (cap > EPS) & (px * px + py * py <= r * r), cap, np.inf)
    t, k = _nearest(np.minimum(side, cap))
    rows = np.arange(len(t))
    return t, k, cap[rows, k] < side[rows, k]


def _room(scene: Scene, o, d, inv):
    wall = np.where(inv > 0, scene.size[None], 0.0)  # the sign of inv also covers d = +-0
    t_axes = (wall - o) * inv
    axis = t_axes.argmin(axis=1)
    t = t_axes[np.arange(len(t_axes)), axis]
    face = axis * 2 + (inv[np.arange(len(d)), axis] > 0)
    p = o + t[:, None] * d
    for f, u0, u1, z0, z1 in scene.windows:
        u = p[:, 1] if f < 2 else p[:, 0]
        inside = (face == int(f)) & (u > u0) & (u < u1) & (p[:, 2] > z0) & (p[:, 2] < z1)
        t = np.where(inside, np.inf, t)
    return t.astype(np.float32), face


def _groups(
    scene: Scene,
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Primitives grouped by object (the room's own last), with each group's bounding box."""
    if "groups" not in scene.extras:
        groups = []
        ids = np.unique(np.concatenate([scene.box_object, scene.sphere_object, scene.cyl_object]))
        for g in ids:
            box = np.flatnonzero(scene.box_object == g)
            sph = np.flatnonzero(scene.sphere_object == g)
            cyl = np.flatnonzero(scene.cyl_object == g)
            lo = np.concatenate(
                [
                    scene.box_lo[box],
                    scene.sphere_centre[sph] - scene.sphere_radius[sph, None],
                    np.c_[
                        scene.cyl_centre[cyl] - scene.cyl_radius[cyl, None], scene.cyl_z[cyl, :1]
                    ],
                ]
            ).min(0)
            hi = np.concatenate(
                [
                    scene.box_hi[box],
                    scene.sphere_centre[sph] + scene.sphere_radius[sph, None],
                    np.c_[
                        scene.cyl_centre[cyl] + scene.cyl_radius[cyl, None], scene.cyl_z[cyl, 1:]
                    ],
                ]
            ).max(0)
            groups.append((lo - 1e-3, hi + 1e-3, box, sph, cyl))
        scene.extras["groups"] = groups
    return scene.extras["groups"]


def cast(scene: Scene, origins: np.ndarray, directions: np.ndarray) -> Hits:
    """First hits of rays ``origins + t * directions`` (both (R, 3)) in ``scene``."""
    d = np.ascontiguousarray(directions, np.float32)
    o = np.ascontiguousarray(np.broadcast_to(origins, d.shape), np.float32)
    n_rays = len(d)
    inv = _safe_inverse(d)
    depth, face = _room(scene, o, d, inv)
    kind = np.where(np.isfinite(depth), ROOM, -1)
    prim = face.copy()
    is_cap = np.zeros(n_rays, bool)
    groups = _groups(scene)
    if groups:
        lo = np.stack([g[0] for g in groups]).astype(np.float32)
        hi = np.stack([g[1] for g in groups]).astype(np.float32)
        tnear, tfar = _boxes(lo, hi, o, inv)
        enter = (tnear <= tfar) & (tfar > EPS)
        for g, (_, _, box, sph, cyl) in enumerate(groups):
            sel = np.flatnonzero(enter[:, g] & (tnear[:, g] < depth))
            if not len(sel):
                continue
            os_, ds = o[sel], d[sel]
            found = []
            if len(box):
                near, far = _boxes(scene.box_lo[box], scene.box_hi[box], os_, inv[sel])
                t, k = _nearest(np.where((near <= far) & (near > EPS), near, np.inf))
                found.append((t, BOX, box[k], None))
            if len(sph):
                t, k = _spheres(scene.sphere_centre[sph], scene.sphere_radius[sph], os_, ds)
                found.append((t, SPHERE, sph[k], None))
            if len(cyl):
                t, k, cap = _cylinders(
                    scene.cyl_centre[cyl], scene.cyl_z[cyl], scene.cyl_radius[cyl], os_, ds
                )
                found.append((t, CYLINDER, cyl[k], cap))
            for t, what, index, cap in found:
                closer = t < depth[sel]
                rows = sel[closer]
                depth[rows], kind[rows], prim[rows] = t[closer], what, index[closer]
                if cap is not None:
                    is_cap[rows] = cap[closer]
    hit = kind >= 0
    point = o + np.where(hit, depth, 0)[:, None] * d

    normal = np.zeros((n_rays, 3), np.float32)
    curvature = np.zeros((n_rays, 2), np.float32)
    material = np.full(n_rays, -1, np.int32)
    obj = np.full(n_rays, -2, np.int32)

    m = kind == BOX
    if m.any():
        k = prim[m]
        p = point[m]
        gap = np.minimum(np.abs(p - scene.box_lo[k]), np.abs(p - scene.box_hi[k]))
        axis = gap.argmin(axis=1)
        normal[m, axis] = -np.sign(d[m, axis])
        material[m], obj[m] = scene.box_material[k], scene.box_object[k]
    m = kind == SPHERE
    if m.any():
        k = prim[m]
        r = scene.sphere_radius[k]
        normal[m] = (point[m] - scene.sphere_centre[k]) / r[:, None]
        curvature[m] = (1 / r)[:, None]
        material[m], obj[m] = scene.sphere_material[k], scene.sphere_object[k]
    m = kind == CYLINDER
    if m.any():
        k, cap = prim[m], is_cap[m]
        r = scene.cyl_radius[k]
        radial = (point[m, :2] - scene.cyl_centre[k]) / r[:, None]
        n = np.zeros((len(k), 3), np.float32)
        n[:, :2] = np.where(cap[:, None], 0, radial)
        n[:, 2] = np.where(cap, np.sign(o[m, 2] - point[m, 2]), 0)
        normal[m] = n
        curvature[m, 0] = np.where(cap, 0, 1 / r)
        material[m], obj[m] = scene.cyl_material[k], scene.cyl_object[k]
    m = kind == ROOM
    if m.any():
        f = prim[m]
        axis = f // 2
        normal[m, axis] = -np.sign(d[m, axis])
        material[m], obj[m] = scene.wall_material[f], -1
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    return Hits(np.where(hit, depth, np.inf), point, normal, curvature, kind, prim, material, obj)

"""Image-space labels computed the way the original computed them, batched over views.

* 2D (texture) edges: Canny on the grey image (batched here, 4 gradient directions).
* Occlusion edges: jumps of inverse depth. Inverse depth is affine in the image for any plane,
  so its second difference vanishes on planes and creases barely move it, while a depth
  discontinuity makes it jump; the relative jump is mapped to [0, 1] and softened slightly.
* 2D keypoints: a SURF-like interest response, the determinant of the Hessian of the grey image
  at two scales (scale-normalised), squashed to [0, 1] by ``r / (r + k)``.
* 3D keypoints: a NARF-like response on geometry, the smaller eigenvalue of the structure
  tensor of the camera-frame normal field (corners and curved spots of surfaces), squashed alike.
* Unsupervised 2D / 2.5D segmentation: Felzenszwalb's graph-based segmentation on RGB, and on
  geometry (normals, tangent-plane distance from depth and normals, occlusion edges).

>>> import numpy as np
>>> grey = np.zeros((1, 32, 32)); grey[:, 8:24, 8:24] = 1.0
>>> bool(texture_edges(grey)[0, 8, 16]), bool(texture_edges(grey)[0, 16, 16])
(True, False)
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
from scipy import ndimage

OCCLUSION_JUMP = (0.04, 0.15)  # relative inverse-depth jump mapped linearly onto [0, 1]
KEYPOINT2D_K = 4e-3
KEYPOINT3D_K = 0.02
SEGMENT2D = {"scale": 60.0, "sigma": 0.8, "min_size": 10}
SEGMENT25D = {"scale": 60.0, "sigma": 0.0, "min_size": 10}
_WARNINGS_LOCK = threading.Lock()


def grey(rgb: np.ndarray) -> np.ndarray:
    """(B, H, W) luma of (B, H, W, 3) RGB."""
    return rgb @ np.array([0.299, 0.587, 0.114], rgb.dtype)


def texture_edges(
    grey_images: np.ndarray, sigma: float = 1.0, low: float = 0.04, high: float = 0.1
) -> np.ndarray:
    """(B, H, W) float32 Canny edge maps (0 or 1) of (B, H, W) grey images in [0, 1].

    Canny's steps, batched: Gaussian smoothing, Sobel gradients, non-maximum suppression along
    the gradient direction quantised to 4 directions, hysteresis (weak edges are kept where
    they connect to strong ones, 8-connected, never across images).
    """
    smooth = ndimage.gaussian_filter(grey_images.astype(np.float32), (0, sigma, sigma))
    gx = ndimage.sobel(smooth, axis=2) / 8
    gy = ndimage.sobel(smooth, axis=1) / 8
    magnitude = np.hypot(gx, gy)
    angle = np.mod(np.arctan2(gy, gx), np.pi)
    sector = np.round(angle / (np.pi / 4)).astype(np.int8) % 4  # 0: x, 1: diag, 2: y, 3: anti
    padded = np.pad(magnitude, ((0, 0), (1, 1), (1, 1)))
    h, w = magnitude.shape[1:]

    def at(dy: int, dx: int) -> np.ndarray:
        return padded[:, 1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w]

    neighbours = [
        (at(0, 1), at(0, -1)),
        (at(1, 1), at(-1, -1)),
        (at(1, 0), at(-1, 0)),
        (at(1, -1), at(-1, 1)),
    ]
    peak = np.zeros(magnitude.shape, bool)
    for k, (a, b) in enumerate(neighbours):
        peak |= (sector == k) & (magnitude >= a) & (magnitude >= b)
    peak[:, [0, -1], :] = False
    peak[:, :, [0, -1]] = False
    candidates = peak & (magnitude >= low)
    structure = np.zeros((3, 3, 3), bool)
    structure[1] = True
    labels, count = ndimage.label(candidates, structure)
    strong = np.zeros(count + 1, bool)
    strong[labels[candidates & (magnitude >= high)]] = True
    strong[0] = False
    return strong[labels].astype(np.float32)


def occlusion_edges(depth: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(B, H, W) occlusion-edge strength in [0, 1] from z-depth (inf or NaN where no hit)."""
    inverse = np.where(valid, 1.0 / np.where(valid, depth, 1.0), 0.0)
    padded = np.pad(inverse, ((0, 0), (1, 1), (1, 1)), mode="edge")
    centre = padded[:, 1:-1, 1:-1]
    jump = np.maximum(
        np.abs(padded[:, 1:-1, 2:] - 2 * centre + padded[:, 1:-1, :-2]),
        np.abs(padded[:, 2:, 1:-1] - 2 * centre + padded[:, :-2, 1:-1]),
    )
    reference = np.maximum(ndimage.maximum_filter(inverse, size=(1, 3, 3)), 1e-6)
    lo, hi = OCCLUSION_JUMP
    strength = np.clip((jump / reference - lo) / (hi - lo), 0, 1)
    return np.clip(ndimage.gaussian_filter(strength, (0, 0.5, 0.5)) * 1.5, 0, 1).astype(np.float32)


def keypoints2d(grey_images: np.ndarray) -> np.ndarray:
    """(B, H, W) SURF-like interest response (determinant of Hessian) in [0, 1).

    The Hessian comes from finite differences of the Gaussian-smoothed image at two scales.
    """
    response = np.zeros(grey_images.shape, np.float32)
    for sigma in (1.2, 2.4):
        smooth = ndimage.gaussian_filter(grey_images, (0, sigma, sigma))
        gy, gx = np.gradient(smooth, axis=(1, 2))
        lyy, lyx = np.gradient(gy, axis=(1, 2))
        lxx = np.gradient(gx, axis=2)
        response = np.maximum(response, sigma**4 * np.abs(lxx * lyy - lyx * lyx))
    return (response / (response + KEYPOINT2D_K)).astype(np.float32)


def keypoints3d(normals: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """(B, H, W) NARF-like interest response in [0, 1) of (B, 3, H, W) camera-frame normals.

    Harris' corner measure ``det - 0.1 * trace^2`` of the normal field's structure tensor: large
    where the surface bends in two directions (box corners, small round parts), not along a
    single crease.
    """
    gy, gx = np.gradient(normals * valid[:, None], axis=(2, 3))
    s = (0, 1.5, 1.5)
    a = ndimage.gaussian_filter((gx * gx).sum(1), s)
    b = ndimage.gaussian_filter((gx * gy).sum(1), s)
    c = ndimage.gaussian_filter((gy * gy).sum(1), s)
    harris = np.maximum(a * c - b * b - 0.1 * (a + c) ** 2, 0)
    return (harris / (harris + KEYPOINT3D_K) * valid).astype(np.float32)


def segment(features: np.ndarray, params: dict) -> np.ndarray:
    """(B, H, W) Felzenszwalb segment ids of (B, H, W, C) feature images.

    Images of 64 pixels or more are segmented at half resolution (2x2 means) and the ids are
    repeated back: the graph-based pass is the most expensive label and costs 4x less so. The
    Gaussian pre-smoothing of Felzenszwalb-Huttenlocher is applied to the whole batch at once.
    """
    from skimage.segmentation import felzenszwalb

    params = dict(params)
    h, w = features.shape[1:3]
    factor = 2 if h >= 64 and h % 2 == 0 and w % 2 == 0 else 1
    if factor > 1:
        f = features
        features = (f[:, ::2, ::2] + f[:, 1::2, ::2] + f[:, ::2, 1::2] + f[:, 1::2, 1::2]) / 4
    sigma = params.pop("sigma", 0.0) / factor
    if sigma > 0:
        features = ndimage.gaussian_filter(features, (0, sigma, sigma, 0), truncate=3.0)
    out = np.empty(features.shape[:3], np.int64)
    # catch_warnings swaps global state: serialise it (the Cython pass holds the GIL anyway).
    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Got image with third dimension")
        for i, image in enumerate(features):
            out[i] = felzenszwalb(image, sigma=0, channel_axis=-1, **params)
    if factor > 1:
        out = out.repeat(factor, axis=1).repeat(factor, axis=2)
    return out


def geometry_features(
    depth: np.ndarray, normals: np.ndarray, edges: np.ndarray, valid: np.ndarray, rays: np.ndarray
) -> np.ndarray:
    """(B, H, W, 5) channels for 2.5D segmentation from depth, normals and occlusion edges.

    Channels: the camera-frame normal, the log distance of the tangent plane from the camera
    (``-n . X`` with ``X = depth * ray``: constant on a plane, unlike depth itself, whose ramps
    would cut planes into stripes) and the occlusion edges, the last two at half weight.
    ``rays`` are the (B, H*W, 3) camera-frame rays with z = -1.
    """
    b, h, w = depth.shape
    points = np.where(valid, depth, 0.0).reshape(b, -1, 1) * rays
    offset = -(np.moveaxis(normals, 1, -1).reshape(b, -1, 3) * points).sum(-1).reshape(b, h, w)
    plane = 0.5 * np.log1p(np.maximum(offset, 0.0))
    return np.concatenate(
        [np.moveaxis(normals, 1, -1), plane[..., None], 0.5 * edges[..., None]], axis=-1
    ).astype(np.float64)

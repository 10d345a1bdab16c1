"""Self-supervised tasks: their labels are the RGB image itself; these build their inputs.

Autoencoding (the image), denoising (Gaussian noise added), colorization (the grey L channel),
in-painting (the centre square masked out) and jigsaw (3x3 tiles shuffled by one of 100
permutations chosen greedily for maximal Hamming distance, as in Noroozi & Favaro 2016).

>>> perms = jigsaw_permutations()
>>> perms.shape, perms[0].tolist()
((100, 9), [0, 1, 2, 3, 4, 5, 6, 7, 8])
>>> int((perms[:, None] != perms[None]).sum(-1)[np.triu_indices(100, 1)].min()) >= 6
True
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np

NOISE_SIGMA = 0.1


@lru_cache(maxsize=4)
def jigsaw_permutations(count: int = 100, tiles: int = 9) -> np.ndarray:
    """``count`` permutations of ``tiles`` tiles, greedy max-min Hamming distance, deterministic.

    Starts from the identity; each next permutation is the one whose smallest Hamming distance to
    those chosen is largest (ties: the largest total distance, then the first in lexicographic
    order).
    """
    all_perms = np.array(list(itertools.permutations(range(tiles))), np.int8)
    chosen = [0]
    nearest = (all_perms != all_perms[0]).sum(1)
    total = nearest.astype(np.int64)
    for _ in range(count - 1):
        score = nearest.astype(np.int64) * 1000 + total
        j = int(np.argmax(score))
        chosen.append(j)
        d = (all_perms != all_perms[j]).sum(1)
        nearest = np.minimum(nearest, d)
        total += d
    out = all_perms[chosen].astype(np.int64)
    out.flags.writeable = False
    return out


def noisy(rgb: np.ndarray, rng: np.random.Generator, sigma: float = NOISE_SIGMA) -> np.ndarray:
    """Denoising input: RGB (..., 3, H, W) plus Gaussian noise, clipped to [0, 1]."""
    return np.clip(rgb + rng.normal(0, sigma, rgb.shape), 0, 1).astype(np.float32)


def greyscale(rgb: np.ndarray) -> np.ndarray:
    """Colorization input: the luma of (..., 3, H, W) RGB repeated on 3 channels."""
    luma = np.tensordot(np.array([0.299, 0.587, 0.114], np.float32), rgb, axes=([0], [-3]))
    return np.repeat(np.expand_dims(luma, -3), 3, axis=-3).astype(np.float32)


def centre_masked(rgb: np.ndarray, fraction: float = 0.5) -> np.ndarray:
    """In-painting input: RGB with the centre square (``fraction`` of the side) set to 0."""
    out = np.array(rgb, np.float32, copy=True)
    h, w = out.shape[-2:]
    mh, mw = int(h * fraction), int(w * fraction)
    out[..., (h - mh) // 2 : (h + mh) // 2, (w - mw) // 2 : (w + mw) // 2] = 0
    return out


def jigsaw_tiles(rgb: np.ndarray, permutation: int) -> np.ndarray:
    """Jigsaw input: (9, 3, h, w) tiles of (3, H, W) RGB in the order of permutation ``index``.

    Tile ``i`` of the output is tile ``perm[i]`` of the image (row-major 3x3 grid).
    """
    h, w = rgb.shape[-2] // 3, rgb.shape[-1] // 3
    tiles = [rgb[:, r * h : (r + 1) * h, c * w : (c + 1) * w] for r in range(3) for c in range(3)]
    return np.stack([tiles[i] for i in jigsaw_permutations()[permutation]]).astype(np.float32)

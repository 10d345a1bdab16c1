"""The bridge between the dataset store (taskonomy-data) and the trainers (taskonomy-models).

The two packages never import each other; this module translates a registry task into the
trainer's task description and reads training-ready inputs, labels and masks from a store.

>>> model_task({"name": "rgb2depth", "kind": "dense", "channels": 1, "loss": "l1"})["kind"]
'pixel_regression'
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from taskonomy_data.synth import jigsaw_permutations

# registry kind -> (trainer kind, trainer loss); None keeps the registry's loss
KIND_MAP: dict[str, tuple[str, str | None]] = {
    "image": ("pixel_regression", "l1"),
    "dense": ("pixel_regression", None),
    "labels": ("pixel_classes", "cross_entropy"),
    "segments": ("pixel_embedding", "metric"),
    "class": ("classes", "cross_entropy"),
    # KL(p || q) and cross-entropy differ by p's entropy, a per-sample constant: same tournament.
    "soft_class": ("classes", "cross_entropy"),
    "vector": ("vector", None),
}
NOISE_SIGMA = 0.1  # denoising input: RGB plus Gaussian noise of this standard deviation


def model_task(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The trainer's task description for a registry spec (its `to_dict()`)."""
    images = int(spec.get("images", 1))
    kind, loss = KIND_MAP[spec["kind"]]
    return {
        "name": spec["name"],
        "kind": kind,
        "channels": int(spec["channels"]),
        "loss": loss or ("l2" if spec["loss"] == "l2" else "l1"),
        "images_per_sample": images,
    }


def form_input(rgb: np.ndarray, how: str, index: np.ndarray) -> np.ndarray:
    """A self-supervised task's network input, made from RGB (N, 3, H, W) in [0, 1].

    Deterministic per sample index, so every run and worker sees the same inputs.
    """
    if how in ("rgb", ""):
        return rgb
    if how == "noisy_rgb":
        noise = np.stack(
            [np.random.default_rng(int(i)).standard_normal(rgb.shape[1:]) for i in index]
        )
        return np.clip(rgb + NOISE_SIGMA * noise, 0, 1).astype(np.float32)
    if how == "grayscale":
        gray = rgb.mean(axis=1, keepdims=True)
        return np.repeat(gray, 3, axis=1).astype(np.float32)
    if how == "center_masked":
        out = rgb.copy()
        h, w = rgb.shape[-2:]
        out[..., h // 4 : h - h // 4, w // 4 : w - w // 4] = 0
        return out
    raise ValueError(f"input {how!r} is not supported by the pipeline")


def read_task(
    store, split: str, task: str, index: Sequence[int] | np.ndarray, stride: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(network input, label, mask) of `task` for the given sample indices of a split.

    A sample is a view, or for a multi-view task (poses, point matching) a tuple of k views:
    its input is then (n, k, 3, H, W). Jigsaw's input is nine tiles of a view, cut to a
    multiple of the encoder's `stride` (see :func:`jigsaw_tiles`).
    """
    index = np.asarray(index)
    spec = store.spec(task)
    if spec.multiview:
        data = store.read_pairs(split, task, index)
        views = np.asarray(data["views"])
        images = read_views(store, split, views)
        labels = data[spec.name]
    elif spec.input == "jigsaw_tiles":
        if stride is None:
            raise ValueError("jigsaw tiles need the encoder's stride")
        data = store.read(split, ["rgb"], index)
        images, labels = jigsaw_tiles(data["rgb"], index, stride)
    else:
        data = store.read(split, ["rgb", task], index)
        images = form_input(data["rgb"], spec.input, index)
        labels = data[spec.name]
    if KIND_MAP[spec.kind][0] in ("pixel_regression", "vector"):
        labels = labels.astype(np.float32)
    mask = data.get(f"{spec.name}_mask")
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.all():
            mask = None
    return images, labels, mask


def jigsaw_tiles(rgb: np.ndarray, index: np.ndarray, stride: int) -> tuple[np.ndarray, np.ndarray]:
    """Jigsaw's input and label for views (N, 3, H, W): the 3x3 grid's cells, each cropped at
    its centre to a multiple of the encoder's `stride`, in the order of one of the 100
    permutations of the data package (tile j of a sample is cell perm[j] of its view), the
    permutation drawn per sample index. Returns tiles (N, 9, 3, t, t) and permutations (N,).

    >>> tiles, perm = jigsaw_tiles(np.zeros((2, 3, 32, 32), np.float32), np.arange(2), 8)
    >>> tiles.shape, perm.shape
    ((2, 9, 3, 8, 8), (2,))
    """
    n, c, height, width = rgb.shape
    h, w = height // 3, width // 3
    th, tw = h // stride * stride, w // stride * stride
    if not (th and tw):
        raise ValueError(
            f"views of {height}x{width} px are too small for jigsaw tiles that the encoder "
            f"(stride {stride}) can read; use at least {3 * stride} px"
        )
    cells = rgb[:, :, : 3 * h, : 3 * w].reshape(n, c, 3, h, 3, w).transpose(0, 2, 4, 1, 3, 5)
    cells = cells.reshape(n, 9, c, h, w)[..., (h - th) // 2 :, (w - tw) // 2 :][..., :th, :tw]
    permutations = jigsaw_permutations()
    labels = np.array([_rng(i, "jigsaw").integers(len(permutations)) for i in index], np.int64)
    tiles = cells[np.arange(n)[:, None], permutations[labels]]
    return np.ascontiguousarray(tiles, dtype=np.float32), labels


def _rng(index: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng([int(index), zlib.crc32(purpose.encode())])


def with_ground_truth(
    images: np.ndarray, labels: np.ndarray, mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Drop samples whose ground truth is entirely masked (e.g. no object in view for
    `class_1000`); returns the kept arrays and the boolean row selection."""
    keep = np.ones(len(labels), dtype=bool) if mask is None else mask.reshape(len(mask), -1).any(1)
    if not keep.any():
        raise ValueError("every sample of this split has masked ground truth; add buildings")
    if keep.all():
        return images, labels, mask, keep
    return images[keep], labels[keep], None if mask is None else mask[keep], keep


def read_rgb(store, split: str, index: Sequence[int] | np.ndarray) -> np.ndarray:
    return store.read(split, ["rgb"], np.asarray(index))["rgb"]


def read_views(store, split: str, views: np.ndarray) -> np.ndarray:
    """RGB of an (n, k) array of view indices as (n, k, 3, H, W), each view read once."""
    unique, inverse = np.unique(views, return_inverse=True)
    return read_rgb(store, split, unique)[inverse.reshape(views.shape)]


def tuple_views(store, split: str, task: str, index: Sequence[int] | np.ndarray) -> np.ndarray:
    """The (n, k) view indices of a multi-view task's samples."""
    return np.asarray(store.read_pairs(split, task, np.asarray(index))["views"])


def covered_tuples(store, split: str, task: str, views: Sequence[int], wanted: int) -> np.ndarray:
    """The samples of multi-view `task` in `split` whose views are all among `views` (those with
    representations), spread evenly to at most `wanted` (all when 0)."""
    all_views = np.asarray(store.read_pairs(split, task, slice(None))["views"])
    eligible = np.flatnonzero(np.isin(all_views, np.asarray(views)).all(axis=1))
    if not len(eligible):
        raise ValueError(
            f"no {task} sample of the {split!r} split has all its views among the chosen "
            "ones; raise transfer_samples / test_samples (0 = all) or add buildings"
        )
    return eligible[subset(len(eligible), wanted)]


def sample_buildings(store, split: str, task: str, index: Sequence[int] | np.ndarray) -> np.ndarray:
    """The building (its index into ``store.buildings(split)``) of each sample of `task`; a view
    tuple's is its first view's (a tuple's views share one building)."""
    index = np.asarray(index)
    views = tuple_views(store, split, task, index)[:, 0] if store.spec(task).multiview else index
    return np.asarray(store.read(split, [], views)["ids"][:, 0], dtype=np.int32)


def gather_codes(codes: np.ndarray, views: np.ndarray, represented: Sequence[int]) -> np.ndarray:
    """Per-view codes (N, C, h, w) of the `represented` views (sorted) as (n, k, C, h, w) for an
    (n, k) array of view indices.

    >>> gather_codes(np.arange(3)[:, None, None, None] * 1.0, np.array([[5, 9]]), [2, 5, 9]).ravel()
    array([1., 2.])
    """
    rows = np.searchsorted(np.asarray(represented), views)
    return codes[rows]


def subset(n_available: int, wanted: int) -> np.ndarray:
    """`wanted` indices spread evenly over a split (all when 0 or more than there are).

    Samples are stored building by building, so an even spread sees every building.

    >>> subset(10, 4).tolist()
    [0, 3, 6, 9]
    """
    if n_available == 0:
        raise ValueError("a split of the dataset is empty; generate more buildings")
    if wanted <= 0 or wanted >= n_available:
        return np.arange(n_available)
    return np.unique(np.linspace(0, n_available - 1, wanted).round().astype(np.int64))

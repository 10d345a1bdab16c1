"""Reading samples from array-likes (numpy, zarr, ...) and checking them against a task."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor

from ._tasks import TaskSpec

ArrayLike = Any  # anything indexed by sample along axis 0 with a .shape: numpy, zarr, h5py


def take(array: ArrayLike, index: np.ndarray | slice) -> np.ndarray:
    """Rows ``index`` (sorted integers or a slice) of an array-like, as a numpy array."""
    if isinstance(index, slice) or isinstance(array, np.ndarray):
        return np.asarray(array[index])
    if hasattr(array, "oindex"):  # zarr: orthogonal selection reads each chunk once
        return np.asarray(array.oindex[index])
    return np.asarray(array[index])


def image_geometry(task: TaskSpec, images: ArrayLike) -> tuple[int, int, int]:
    """(in_channels, H, W) of the images of ``task``, after checking their layout."""
    shape = tuple(images.shape)
    k = task.images_per_sample
    want = "(N, C, H, W)" if k == 1 else f"(N, {k}, C, H, W)"
    if len(shape) != (4 if k == 1 else 5) or (k > 1 and shape[1] != k):
        raise ValueError(
            f"task {task.name!r}: images have shape {shape}, expected {want} channels-first "
            f"with {k} image(s) per sample"
        )
    return shape[-3], shape[-2], shape[-1]


def check_dataset(
    task: TaskSpec, images: ArrayLike, labels: ArrayLike, masks: ArrayLike | None
) -> tuple[int, int, int]:
    """Check shapes of images, labels and masks; returns (in_channels, H, W)."""
    _, h, w = image_geometry(task, images)
    n = images.shape[0]
    check_labels(task, labels, n, (h, w))
    check_masks(task, masks, n, (h, w))
    return image_geometry(task, images)


def check_labels(task: TaskSpec, labels: ArrayLike, n: int, size: tuple[int, int] | None) -> None:
    """Check the labels' shape against the task; ``size`` is the pixel grid for pixel tasks."""
    shape, dtype = tuple(labels.shape), np.dtype(labels.dtype)
    if shape[:1] != (n,):
        raise ValueError(
            f"task {task.name!r}: {shape[0] if shape else 0} labels for {n} samples; "
            "images and labels must have the same length on axis 0"
        )
    c, grid = task.channels, tuple(size) if size is not None else None
    is_int = np.issubdtype(dtype, np.integer)
    if task.kind == "pixel_regression":
        ok, want = shape[1:2] == (c,) and shape[2:] == grid and not is_int, f"float (N, {c}, H, W)"
    elif task.kind == "pixel_classes":
        ok = (is_int and shape[1:] == grid) or (not is_int and shape[1:] == (c, *grid))
        want = f"int (N, H, W) class ids or float (N, {c}, H, W) distributions"
    elif task.kind == "pixel_embedding":
        ok, want = is_int and shape[1:] == grid, "int (N, H, W) segment ids"
    elif task.kind == "vector":
        ok, want = shape[1:] == (c,) and not is_int, f"float (N, {c})"
    else:
        ok = (is_int and len(shape) == 1) or (not is_int and shape[1:] == (c,))
        want = f"int (N,) class ids or float (N, {c}) distributions"
    if not ok:
        where = f" for {grid[0]}x{grid[1]} images" if grid and task.is_pixelwise else ""
        raise ValueError(
            f"task {task.name!r} ({task.kind}): labels have shape {shape} and dtype {dtype}, "
            f"expected {want}{where}"
        )


def check_masks(
    task: TaskSpec, masks: ArrayLike | None, n: int, size: tuple[int, int] | None
) -> None:
    """Masks are bool, (N, 1, H, W) for pixel tasks, (N,) otherwise; every sample keeps one
    valid entry (a fully masked sample has no loss)."""
    if masks is None:
        return
    want = (n, 1, *size) if task.is_pixelwise else (n,)
    if tuple(masks.shape) != want or np.dtype(masks.dtype) != np.bool_:
        raise ValueError(
            f"task {task.name!r}: masks have shape {tuple(masks.shape)} and dtype {masks.dtype}, "
            f"expected bool {want} (True = valid ground truth), or None"
        )
    empty: list[int] = []
    for start in range(0, n, 1024):
        block = take(masks, slice(start, start + 1024)).reshape(min(1024, n - start), -1)
        empty.extend((start + np.flatnonzero(~block.any(axis=1))).tolist())
    if empty:
        raise ValueError(
            f"task {task.name!r}: {len(empty)} sample(s) are fully masked (e.g. {empty[:5]}), "
            "so their loss is undefined; drop them or unmask some ground truth"
        )


def to_tensors(
    task: TaskSpec,
    index: np.ndarray | slice,
    images: ArrayLike,
    labels: ArrayLike | None = None,
    masks: ArrayLike | None = None,
    device: torch.device | str = "cpu",
) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """One batch as tensors, refusing NaN images and NaN labels where the mask says valid."""
    x = torch.from_numpy(np.ascontiguousarray(take(images, index), dtype=np.float32))
    if not torch.isfinite(x).all():
        bad = _rows(index, x.shape[0])[~torch.isfinite(x.flatten(1)).all(1).numpy()]
        raise ValueError(f"task {task.name!r}: images of samples {bad[:5].tolist()} hold NaN/inf")
    y, m = label_tensors(task, index, labels, masks, device)
    return to_device(x, device), y, m


def to_device(t: Tensor, device: torch.device | str) -> Tensor:
    """Copy a host batch to ``device``; to a GPU through pinned memory, so the copy runs
    asynchronously (what a DataLoader's ``pin_memory=True`` does for its batches)."""
    device = torch.device(device)
    if device.type == "cuda":
        return t.pin_memory().to(device, non_blocking=True)
    return t.to(device)


def _rows(index: np.ndarray | slice, n: int) -> np.ndarray:
    if isinstance(index, slice):
        return np.arange(index.start or 0, (index.start or 0) + n)
    return index


def label_tensors(
    task: TaskSpec,
    index: np.ndarray | slice,
    labels: ArrayLike | None,
    masks: ArrayLike | None = None,
    device: torch.device | str = "cpu",
) -> tuple[Tensor | None, Tensor | None]:
    """Labels (int64 class ids or float32) and masks of a batch, checked where valid."""
    m = None if masks is None else torch.from_numpy(np.ascontiguousarray(take(masks, index)))
    if labels is None:
        return None, m
    raw = take(labels, index)
    rows = _rows(index, raw.shape[0])
    if np.issubdtype(raw.dtype, np.integer):
        y = torch.from_numpy(raw.astype(np.int64))
        high = task.channels if task.kind != "pixel_embedding" else None
        outside = (y < 0) | (y >= high) if high is not None else y < 0
        if m is not None:
            outside &= m.view(y.shape)
        if outside.any():
            bad = rows[outside.reshape(y.shape[0], -1).any(1).numpy()]
            raise ValueError(
                f"task {task.name!r}: labels of samples {bad[:5].tolist()} are outside "
                f"[0, {high if high is not None else 'inf'}); mask them or fix the ids"
            )
        y = y.clamp(0, None if high is None else high - 1)  # masked entries only
    else:
        y = torch.from_numpy(np.ascontiguousarray(raw, dtype=np.float32))
        nan = ~torch.isfinite(y)
        if nan.any():
            valid = nan if m is None else nan & _broadcast_mask(m, y)
            if valid.any():
                bad = rows[valid.reshape(y.shape[0], -1).any(1).numpy()]
                raise ValueError(
                    f"task {task.name!r}: labels of samples {bad[:5].tolist()} hold NaN/inf "
                    "where the mask says valid; mask those entries or fix the labels"
                )
            y = torch.where(nan, torch.zeros_like(y), y)
    if m is not None:
        m = to_device(m, device)
    return to_device(y, device), m


def _broadcast_mask(m: Tensor, y: Tensor) -> Tensor:
    if y.dim() == 1 or m.dim() == 1:
        return m.view(-1, *([1] * (y.dim() - 1))).expand_as(y)
    return m.expand_as(y)

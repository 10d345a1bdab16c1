"""Reading stored arrays back into training-ready, decoded batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from taskonomy_data._registry import TaskSpec

if TYPE_CHECKING:
    from taskonomy_data._store import DatasetStore


def read_rows(array: Any, index: np.ndarray | slice) -> np.ndarray:
    """Rows of a Zarr array in the order of ``index``; each needed chunk is read once."""
    if isinstance(index, slice):
        return array[index]
    index = np.asarray(index, dtype=np.int64)
    if index.size == 0:
        return np.empty((0, *array.shape[1:]), array.dtype)
    unique, inverse = np.unique(index, return_inverse=True)
    if unique[0] < 0 or unique[-1] >= array.shape[0]:
        raise IndexError(f"sample indices must lie in [0, {array.shape[0]})")
    if unique[-1] - unique[0] + 1 == unique.size:
        rows = array[int(unique[0]) : int(unique[-1]) + 1]
    else:
        rows = array.get_orthogonal_selection((unique,))
    return rows[inverse]


def decode_values(
    spec: TaskSpec, stored: np.ndarray, stored_mask: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Decode a stored batch of one task into (values, mask) as the registry's kind table says."""
    values, mask = spec.codec.decode(stored)
    n = len(stored)
    if spec.pixelwise:
        if mask is not None:
            mask = mask.all(axis=1, keepdims=True)
        if spec.kind in ("labels", "segments"):
            values = values[:, 0]
    elif mask is not None and mask.ndim > 1:
        mask = mask.all(axis=tuple(range(1, mask.ndim)))
    if spec.mask == "none" or mask is None:
        shape = (n, 1, *stored.shape[2:]) if spec.pixelwise else (n,)
        if spec.mask == "array" and stored_mask is not None and stored_mask.shape == shape:
            return values, np.array(stored_mask, dtype=bool, order="C")  # all-valid & stored mask
        mask = np.ones(shape, bool)
    if spec.mask == "array" and stored_mask is not None:
        mask = mask & stored_mask
    return values, np.ascontiguousarray(mask)


def stored_arrays(store: DatasetStore, tasks: Sequence[str]) -> list[str]:
    """Names of the stored arrays that reading ``tasks`` needs (ids first)."""
    names = ["ids"]
    for task in tasks:
        spec = store.spec(task)
        if spec.multiview:
            raise ValueError(f"{spec.name} is a multi-view task: read it with read_pairs()")
        source = store.spec(spec.domain)
        names.append(source.name)
        if source.mask == "array":
            names.append(f"{source.name}__mask")
    return list(dict.fromkeys(names))


def read_stored(
    store: DatasetStore, split: str, tasks: Sequence[str], index: np.ndarray | slice
) -> dict[str, np.ndarray]:
    """The stored (still encoded) rows that ``tasks`` need, plus ``index``."""
    group = store.root[split]
    out = {name: read_rows(group[name], index) for name in stored_arrays(store, tasks)}
    n = store.samples(split)
    out["index"] = np.arange(n)[index] if isinstance(index, slice) else np.asarray(index).copy()
    return out


def decode_stored(
    store: DatasetStore, tasks: Sequence[str], stored: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Decode rows from :func:`read_stored` into the training-ready batch."""
    out = {"ids": stored["ids"], "index": stored["index"]}
    cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for task in tasks:
        spec = store.spec(task)
        source = store.spec(spec.domain)
        if source.name not in cache:
            cache[source.name] = decode_values(
                source, stored[source.name], stored.get(f"{source.name}__mask")
            )
        out[spec.name], out[f"{spec.name}_mask"] = cache[source.name]
    return out


def decode_batch(
    store: DatasetStore, split: str, tasks: Sequence[str], index: Sequence[int] | np.ndarray | slice
) -> dict[str, np.ndarray]:
    if not isinstance(index, slice):
        index = np.asarray(index, dtype=np.int64)
    return decode_stored(store, tasks, read_stored(store, split, tasks, index))


def decode_pairs(
    store: DatasetStore, split: str, task: str, index: Sequence[int] | np.ndarray | slice
) -> dict[str, np.ndarray]:
    spec = store.spec(task)
    if not spec.multiview:
        raise ValueError(f"{spec.name} is not a multi-view task: read it with read()")
    group = store.root[split]
    if not isinstance(index, slice):
        index = np.asarray(index, dtype=np.int64)
    stored = read_rows(group[spec.name], index)
    mask = read_rows(group[f"{spec.name}__mask"], index) if spec.mask == "array" else None
    values, valid = decode_values(spec, stored, mask)
    return {
        "views": read_rows(group[f"{spec.name}__index"], index),
        spec.name: values,
        f"{spec.name}_mask": valid,
    }

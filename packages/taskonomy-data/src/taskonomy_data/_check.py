"""Validate a store: schema, shapes, dtypes, unreadable chunks, NaNs, masks, ids, completeness."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from taskonomy_data._registry import TaskSpec
from taskonomy_data._store import CAMERA_FIELDS, PAIR_REGION, DatasetStore, open_store


def check_store(url: str, storage_options: Mapping[str, Any] | None = None) -> list[str]:
    """Return every fault found in the store at ``url`` (an empty list means it is sound).

    Each message names the array and, where it applies, the samples.

    >>> import tempfile
    >>> from taskonomy_data import create_store
    >>> s = create_store(tempfile.mkdtemp() + "/c.zarr", resolution=4, tasks=["rgb"],
    ...                  splits={"train": {"samples": 3}})
    >>> check_store(s.url)[0]
    'train: samples [0, 3) were never written (rerun the writer to resume)'
    """
    try:
        store = open_store(url, storage_options=storage_options)
    except (ValueError, FileNotFoundError) as error:
        return [str(error)]
    except Exception as error:
        return [f"{url}: cannot be opened as a Zarr store ({error})"]
    faults: list[str] = []
    for split in store.splits:
        if split not in store.root:
            faults.append(f"{split}: group missing")
            continue
        faults.extend(_check_split(store, split))
    return faults


def _expected(store: DatasetStore, split: str) -> Iterator[tuple[str, int, tuple, str, Any]]:
    """(array name, sample count, per-sample shape, dtype, spec or None) of every array."""
    n, res = store.samples(split), store.resolution
    yield "ids", n, (3,), "int32", None
    yield "camera", n, (len(CAMERA_FIELDS),), "float32", None
    for spec in store.specs.values():
        if not spec.stored:
            continue
        count = store.pair_count(split, spec.name) if spec.multiview else n
        yield spec.name, count, spec.stored_shape(res), spec.dtype, spec
        if spec.multiview:
            yield f"{spec.name}__index", count, (spec.images,), "int32", None
        if spec.mask == "array":
            shape = (1, res, res) if spec.pixelwise else ()
            yield f"{spec.name}__mask", count, shape, "bool", None


def _check_split(store: DatasetStore, split: str) -> list[str]:
    group = store.root[split]
    faults = []
    n = store.samples(split)
    for start, stop in _pending_ranges(store, split, None):
        faults.append(
            f"{split}: samples [{start}, {stop}) were never written (rerun the writer to resume)"
        )
    for spec in store.specs.values():
        if spec.multiview:
            for start, stop in _pending_ranges(store, split, spec.name):
                faults.append(f"{split}/{spec.name}: pairs [{start}, {stop}) were never written")
    for name, count, shape, dtype, spec in _expected(store, split):
        where = f"{split}/{name}"
        try:
            array = group[name]
        except KeyError:
            faults.append(f"{where}: array missing")
            continue
        if array.shape != (count, *shape):
            faults.append(f"{where}: shape {array.shape}, expected {(count, *shape)}")
            continue
        if str(array.dtype) != dtype:
            faults.append(f"{where}: dtype {array.dtype}, expected {dtype}")
            continue
        step = PAIR_REGION if (spec is not None and spec.multiview) or "__index" in name else None
        faults.extend(_check_values(store, where, array, spec, step or store.chunk_samples, n))
    return faults


def _pending_ranges(store: DatasetStore, split: str, task: str | None) -> list[tuple[int, int]]:
    try:
        pending = store.pending(split, task)
    except KeyError:
        return []
    regions = store.regions(split, task)
    return [regions[i] for i in pending]


def _check_values(
    store: DatasetStore, where: str, array: Any, spec: TaskSpec | None, step: int, n: int
) -> list[str]:
    faults = []
    for start in range(0, array.shape[0], step):
        stop = min(start + step, array.shape[0])
        try:
            block = array[start:stop]
        except Exception as error:
            faults.append(f"{where}: samples [{start}, {stop}) unreadable ({type(error).__name__})")
            continue
        fault = _block_fault(where, block, spec, n)
        if fault:
            faults.append(f"{fault} in samples [{start}, {stop})")
    return faults


def _block_fault(where: str, block: np.ndarray, spec: TaskSpec | None, n: int) -> str | None:
    name = where.rsplit("/", 1)[-1]
    if block.dtype.kind == "f" and name != "camera":
        if spec is None or spec.mask != "encoded":
            if np.isnan(block).any():
                return f"{where}: NaN values"
        elif np.isinf(block).any():
            return f"{where}: infinite values"
    if name == "ids" and (block < 0).any():
        return f"{where}: missing ids (-1)"
    if name.endswith("__index") and block.size and (block.min() < 0 or block.max() >= n):
        return f"{where}: view indices outside [0, {n})"
    labelled = spec is not None and spec.kind in ("labels", "class") and block.size
    if labelled and block.max() >= spec.channels:
        return f"{where}: class ids >= {spec.channels}"
    return None

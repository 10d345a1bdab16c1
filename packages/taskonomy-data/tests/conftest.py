"""Shared fixtures: random stores whose decoded values survive encoding exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from taskonomy_data import DatasetStore, TaskSpec, create_store, task_names
from taskonomy_data._decode import decode_values


def random_stored(spec: TaskSpec, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Random stored values of a spec, invalid entries included where the encoding has them."""
    dtype = np.dtype(spec.dtype)
    if spec.encoding == "depth_uint16":
        raw = rng.integers(0, 64500, shape).astype(dtype)
        return np.where(rng.random(shape) < 0.1, np.uint16(65535), raw)
    if spec.encoding == "int16_class":
        return rng.integers(-1, spec.channels, shape).astype(dtype)
    if spec.encoding.endswith("_label"):
        return rng.integers(0, spec.channels, shape).astype(dtype)
    if dtype.kind == "f":
        values = rng.random(shape).astype(dtype)
        if spec.mask == "encoded" and shape:
            values[rng.random(shape[0]) < 0.2] = np.nan
        return values
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)


def decoded_batch(spec: TaskSpec, count: int, resolution: int, rng: np.random.Generator):
    """(decoded values, mask or None) for ``count`` samples, exactly representable on disk."""
    stored = random_stored(spec, (count, *spec.stored_shape(resolution)), rng)
    values, mask = decode_values(spec, stored, None)
    if spec.mask == "array":
        return values, rng.random(mask.shape) < 0.8
    return values, (mask if spec.mask == "encoded" else None)


def fill_store(store: DatasetStore, seed: int = 0) -> dict[str, dict[str, Any]]:
    """Write every region of every split and multi-view task; return what was written."""
    rng = np.random.default_rng(seed)
    written: dict[str, dict[str, Any]] = {}
    for split in store.splits:
        n = store.samples(split)
        values, masks = {}, {}  # masks: None where the task has no mask (always valid)
        for spec in store.view_tasks():
            values[spec.name], masks[spec.name] = decoded_batch(spec, n, store.resolution, rng)
        ids = np.stack([rng.integers(0, 3, n), rng.integers(0, 50, n), np.arange(n)], axis=1)
        camera = rng.random((n, 10)).astype(np.float32)
        for start, stop in store.regions(split):
            store.write(
                split,
                start,
                {k: v[start:stop] for k, v in values.items()},
                masks={k: v[start:stop] for k, v in masks.items() if v is not None},
                ids=ids[start:stop],
                camera=camera[start:stop],
            )
        pairs = {}
        for spec in store.specs.values():
            if not spec.multiview:
                continue
            m = store.pair_count(split, spec.name)
            index = rng.integers(0, n, (m, spec.images))
            label, mask = decoded_batch(spec, m, store.resolution, rng)
            for start, stop in store.regions(split, spec.name):
                store.write_pairs(
                    split, spec.name, start, index[start:stop], label[start:stop], mask[start:stop]
                )
            pairs[spec.name] = (index, label, mask)
        written[split] = {
            "values": values,
            "masks": masks,
            "ids": ids,
            "camera": camera,
            "pairs": pairs,
        }
    return written


ALL_TASKS = task_names()


@pytest.fixture
def full_store(tmp_path) -> tuple[DatasetStore, dict[str, Any]]:
    """A small store with every registered task, two splits, regions of 8 samples."""
    store = create_store(
        str(tmp_path / "full.zarr"),
        resolution=8,
        tasks=ALL_TASKS,
        splits={
            "train": {
                "samples": 20,
                "buildings": ["a", "b", "c"],
                "pairs": {"fix_pose": 5, "ego_motion": 3, "point_match": 4, "non_fixated_pose": 2},
            },
            "val": {"samples": 8, "buildings": ["d"]},
        },
        chunk_samples=4,
        shard_samples=8,
        provenance={"generator": "tests"},
    )
    return store, fill_store(store)


@pytest.fixture
def fill():
    """The fill_store helper (test modules cannot import conftest under importlib mode)."""
    return fill_store

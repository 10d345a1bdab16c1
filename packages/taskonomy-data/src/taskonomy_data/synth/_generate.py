"""``synthesize``: a whole labelled dataset into a Zarr store, in parallel with Dask, resumable.

Samples of a split are ordered by building, point, view. Every sample is a pure function of
(seed, building, point, view), so the store's bytes do not depend on the scheduler, the order
of the work or interruptions: a killed run is resumed by calling ``synthesize`` again with the
same arguments, which renders only the regions not yet marked complete.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from taskonomy_data._registry import get_task, task_names
from taskonomy_data._store import DatasetStore, create_store, default_layout
from taskonomy_data.synth._pairs import MULTIVIEW_TASKS, building_pairs
from taskonomy_data.synth._render import (
    POINTS_PER_BUILDING,
    VIEWS_PER_POINT,
    _check_resolution,
    render_plan_views,
    view_tasks,
)
from taskonomy_data.synth._scene import OBJECT_CLASSES, ROOM_TYPES
from taskonomy_data.synth._views import plan_building

DEFAULT_SPLITS = {"train": 0.7, "val": 0.15, "test": 0.15}
RENDER_BATCH = 64  # samples per Dask rendering task


def split_buildings(
    buildings: int, splits: Mapping[str, float | int] | None = None
) -> dict[str, list[int]]:
    """Assign buildings 0..n-1 to splits, in order, so no building is in two splits.

    ``splits`` maps names to fractions (normalised; each positive fraction gets at least one
    building while there are enough) or, when all are integers, to building counts.

    >>> split_buildings(8)
    {'train': [0, 1, 2, 3, 4, 5], 'val': [6], 'test': [7]}
    >>> split_buildings(3, {"train": 2, "test": 1})
    {'train': [0, 1], 'test': [2]}
    """
    splits = dict(DEFAULT_SPLITS if splits is None else splits)
    if not splits or any(v < 0 for v in splits.values()):
        raise ValueError(f"splits must map split names to non-negative sizes, got {splits}")
    if all(isinstance(v, int) and not isinstance(v, bool) for v in splits.values()):
        counts = dict(splits)
        if sum(counts.values()) != buildings:
            raise ValueError(
                f"split building counts {counts} sum to {sum(counts.values())}, not {buildings}"
            )
    else:
        total = float(sum(splits.values()))
        if total <= 0:
            raise ValueError(f"split fractions {splits} sum to 0")
        exact = {k: buildings * v / total for k, v in splits.items()}
        counts = {k: math.floor(x) for k, x in exact.items()}
        for k in sorted(exact, key=lambda k: counts[k] - exact[k])[
            : buildings - sum(counts.values())
        ]:
            counts[k] += 1
        for k in splits:  # every positive split gets a building, taken from the largest
            largest = max(counts, key=counts.get)
            if splits[k] > 0 and counts[k] == 0 and counts[largest] > 1:
                counts[k], counts[largest] = 1, counts[largest] - 1
    out, start = {}, 0
    for name, count in counts.items():
        if count:
            out[name] = list(range(start, start + count))
            start += count
    return out


def synthesize(
    out: str,
    *,
    buildings: int = 8,
    resolution: int = 64,
    seed: int = 0,
    points_per_building: int = POINTS_PER_BUILDING,
    views_per_point: int = VIEWS_PER_POINT,
    tasks: Iterable[str] | None = None,
    splits: Mapping[str, float | int] | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    chunk_samples: int | None = None,
) -> DatasetStore:
    """Generate a labelled synthetic dataset into the store at ``out`` and return it.

    Defaults: 8 buildings of 2-3 rooms, 16 fixation points per building seen from 4 views each
    (64 views per building), 64x64 pixels, splits of 70/15/15 % of the buildings (6/1/1),
    every registry task. ``tasks`` (names or aliases) restricts the labels computed and stored;
    ``rgb`` is always stored. ``scheduler`` is any Dask scheduler name (default: ``processes``
    on a multi-core machine, else ``sync``). ``chunk_samples`` is the store's chunk, which is
    also the unit of writing and resuming (default: ``default_layout(resolution)``'s chunk).
    Calling again with the same arguments resumes an interrupted run; the result is
    byte-identical to an uninterrupted one.

    >>> import tempfile
    >>> store = synthesize(tempfile.mkdtemp() + "/s.zarr", buildings=1, resolution=32,
    ...                    points_per_building=2, views_per_point=2, tasks=["depth"],
    ...                    progress=False, scheduler="sync")
    >>> store.samples("train"), sorted(store.specs)
    (4, ['rgb', 'rgb2depth'])
    """
    _check_resolution(resolution)
    for name, value, low in [
        ("buildings", buildings, 1),
        ("points_per_building", points_per_building, 1),
        ("views_per_point", views_per_point, 1),
        ("seed", seed, 0),
    ]:
        if not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    names = task_names() if tasks is None else [get_task(t).name for t in tasks]
    per_view = view_tasks(names)
    multiview = [t for t in MULTIVIEW_TASKS if t in names]
    assignment = split_buildings(buildings, splits)
    per_building = points_per_building * views_per_point

    pairs: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for split, members in assignment.items():
        found: dict[str, list] = {t: [] for t in multiview}
        for i, b in enumerate(members):
            if not multiview:
                break
            plan = plan_building(seed, b, points_per_building, views_per_point)
            for task, value in building_pairs(plan, i * per_building, seed + b).items():
                if task in found:
                    found[task].append(value)
        pairs[split] = {
            t: (np.concatenate([v[0] for v in parts]), np.concatenate([v[1] for v in parts]))
            for t, parts in found.items()
        }

    chunk = chunk_samples or default_layout(resolution)[0]
    store = create_store(
        out,
        resolution=resolution,
        tasks=list(dict.fromkeys([*per_view, *names])),
        splits={
            split: {
                "samples": len(members) * per_building,
                "buildings": [f"synth-{seed}-{b:04d}" for b in members],
                "pairs": {t: len(pairs[split][t][0]) for t in multiview},
            }
            for split, members in assignment.items()
        },
        provenance={
            "synth": {
                "generator": "taskonomy_data.synth",
                "seed": seed,
                "buildings": buildings,
                "points_per_building": points_per_building,
                "views_per_point": views_per_point,
                "object_classes": list(OBJECT_CLASSES),
                "room_types": list(ROOM_TYPES),
            }
        },
        chunk_samples=chunk,
        shard_samples=chunk,
        exist_ok=True,
    )
    params = (seed, points_per_building, views_per_point, resolution, tuple(per_view))
    _render_all(store, assignment, params, scheduler, progress)
    for split, by_task in pairs.items():
        for task, (index, labels) in by_task.items():
            regions = store.regions(split, task)
            for r in store.pending(split, task):
                a, b = regions[r]
                store.write_pairs(split, task, a, index[a:b], labels[a:b])
    return store


def _render_all(store, assignment, params, scheduler, progress) -> None:
    import dask

    _, points, views, _, _ = params
    per_building = points * views
    writes, parts_total = [], 0
    for split, members in assignment.items():
        regions = store.regions(split)
        for r in store.pending(split):
            start, stop = regions[r]
            parts = []
            for a in range(start, stop, RENDER_BATCH):
                samples = [
                    (i // per_building, *divmod(i % per_building, views))
                    for i in range(a, min(a + RENDER_BATCH, stop))
                ]
                todo = [(members[local], local, p, v) for local, p, v in samples]
                parts.append(dask.delayed(_render_part, pure=True)(params, todo))
            parts_total += len(parts)
            writes.append(dask.delayed(_write_region, pure=False)(store, split, start, parts))
    if not writes:
        return
    if scheduler is None:
        scheduler = "processes" if (os.cpu_count() or 1) > 1 and parts_total > 1 else "sync"
    callbacks = [_ProgressBar(parts_total)] if progress else []
    with dask.config.set(scheduler=scheduler), _callbacks(callbacks):
        dask.compute(*writes)


def _render_part(params: tuple, todo: Sequence[tuple[int, int, int, int]]) -> dict[str, Any]:
    """Render samples given as (building, local building index, point, view)."""
    seed, points, views, resolution, tasks = params
    values: dict[str, list] = {}
    masks: dict[str, list] = {}
    cameras, ids = [], []
    by_building: dict[int, list[int]] = {}
    for i, (b, _, _, _) in enumerate(todo):
        by_building.setdefault(b, []).append(i)
    order = []
    for b, rows in by_building.items():
        plan = plan_building(seed, b, points, views)
        v, m, c = render_plan_views(plan, [todo[i][2:] for i in rows], resolution, tasks)
        for k, x in v.items():
            values.setdefault(k, []).append(x)
        for k, x in m.items():
            masks.setdefault(k, []).append(x)
        cameras.append(c)
        ids.extend(todo[i][1:] for i in rows)
        order.extend(rows)
    inverse = np.argsort(order)
    return {
        "values": {k: np.concatenate(x)[inverse] for k, x in values.items()},
        "masks": {k: np.concatenate(x)[inverse] for k, x in masks.items()},
        "camera": np.concatenate(cameras)[inverse],
        "ids": np.array(ids, np.int32)[inverse],
    }


def _write_region(store: DatasetStore, split: str, start: int, parts: list[dict]) -> None:
    store.write(
        split,
        start,
        {k: np.concatenate([p["values"][k] for p in parts]) for k in parts[0]["values"]},
        masks={k: np.concatenate([p["masks"][k] for p in parts]) for k in parts[0]["masks"]},
        ids=np.concatenate([p["ids"] for p in parts]),
        camera=np.concatenate([p["camera"] for p in parts]),
    )


class _ProgressBar:
    """A tqdm bar advanced by every finished rendering task (a Dask local-scheduler callback)."""

    def __init__(self, total: int):
        from dask.callbacks import Callback
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="synth", unit="batch", dynamic_ncols=True)

        def posttask(key, result, dsk, state, worker_id):
            if str(key[0] if isinstance(key, tuple) else key).startswith("_render_part"):
                bar.update(1)

        def finish(dsk, state, errored):
            bar.close()

        self.callback = Callback(posttask=posttask, finish=finish)


class _callbacks:
    def __init__(self, bars: list[_ProgressBar]):
        self.bars = bars

    def __enter__(self):
        for bar in self.bars:
            bar.callback.__enter__()

    def __exit__(self, *exc):
        for bar in self.bars:
            bar.callback.__exit__(*exc)

"""The dataset store: one Zarr v3 store per dataset, written in shard-aligned regions.

Contract (the synthetic generator and ingest write through this; readers read it):

Layout::

    <store>/                      attrs["taskonomy_data"] = {schema_version, resolution,
                                   chunk_samples, shard_samples, specs, splits, provenance}
      <split>/                    attrs: buildings (list of names, indexed by ids[:, 0])
        ids          (N, 3) int32   building index, point, view (-1 = not written)
        camera       (N, 10) float32 see CAMERA_FIELDS (NaN = unknown)
        <task>       (N, *spec.stored_shape(resolution)) spec.dtype   per-view tasks
        <task>__mask (N, 1, H, W) or (N,) bool                        when spec.mask == "array"
        <task>       (M, ...)  and  <task>__index (M, spec.images) int32   multi-view tasks
        _done        (R,) uint8, one flag per write region; _done__<task> for multi-view tasks

Writing: the sample axis is cut into regions of ``shard_samples`` samples, one Zarr shard of every
array. :meth:`DatasetStore.write` takes DECODED values (as the reader returns them) and masks for
one or more whole regions of every per-view array at once, encodes them (``TaskSpec.encoding``),
writes them and then sets the regions' ``_done`` flags. Different regions never share a shard,
so writers in separate processes cannot corrupt each other; shard files are replaced atomically
on local stores, so the store is readable at every moment; after a kill, rerun the regions that
:meth:`DatasetStore.pending` lists. :meth:`DatasetStore.write_dask` does all of this for Dask
arrays, one task per region; :meth:`DatasetStore.appender` accepts batches of any size in order.

>>> import tempfile, numpy as np
>>> path = tempfile.mkdtemp() + "/toy.zarr"
>>> store = create_store(path, resolution=8, tasks=["rgb", "rgb2depth"],
...                      splits={"train": {"samples": 4, "buildings": ["b0"]}})
>>> store.write("train", 0, {"rgb": np.zeros((4, 3, 8, 8)), "rgb2depth": np.ones((4, 1, 8, 8))},
...             ids=np.array([[0, 1, v] for v in range(4)]))
>>> store.pending("train")
[]
>>> float(store.read("train", ["rgb2depth"], [2])["rgb2depth"][0, 0, 0, 0])
1.0
"""

from __future__ import annotations

import contextlib
import datetime
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import zarr
import zarr.codecs

from taskonomy_data._registry import TaskSpec, get_task, resolve_tasks

SCHEMA_VERSION = 1
META_KEY = "taskonomy_data"
CAMERA_FIELDS = (
    "location_x",
    "location_y",
    "location_z",
    "rotation_x",
    "rotation_y",
    "rotation_z",
    "field_of_view",
    "point_x",
    "point_y",
    "point_z",
)
PAIR_REGION = 4096


def default_layout(resolution: int) -> tuple[int, int]:
    """(chunk_samples, shard_samples) for a resolution, chosen by measurement (BENCHMARKS.md).

    A chunk holds about 8 MB of RGB (at most 512 samples) and a shard four chunks: long
    chunks make epoch reads fast (at 64 px, 64-sample chunks read at about half the speed of
    512-sample ones), while the shard, the unit of writing, stays small enough to hold in memory.

    >>> default_layout(64), default_layout(256), default_layout(512)
    ((512, 2048), (32, 128), (8, 32))
    """
    per_sample = 3 * resolution * resolution
    chunk = 2 ** max(0, min(9, int(math.log2(max(1, 2**23 // per_sample)))))
    return chunk, 4 * chunk


def _compressors() -> list[Any]:
    # The checksum makes a damaged chunk fail loudly instead of decoding to wrong values.
    return [
        zarr.codecs.BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"),
        zarr.codecs.Crc32cCodec(),
    ]


def _pixel_mask_shape(spec: TaskSpec, resolution: int) -> tuple[int, ...]:
    return (1, resolution, resolution) if spec.pixelwise else ()


def create_store(
    url: str,
    *,
    resolution: int,
    tasks: Sequence[str | TaskSpec],
    splits: Mapping[str, Mapping[str, Any]],
    provenance: Mapping[str, Any] | None = None,
    chunk_samples: int | None = None,
    shard_samples: int | None = None,
    exist_ok: bool = False,
    storage_options: Mapping[str, Any] | None = None,
) -> DatasetStore:
    """Create an empty store with fixed sizes, or reopen one with the same plan (``exist_ok``).

    ``splits`` maps a split name to ``{"samples": N, "buildings": [...], "pairs": {task: M}}``
    ("pairs" gives the sample count of each multi-view task). Tasks read from RGB bring ``rgb``.

    >>> import tempfile
    >>> s = create_store(tempfile.mkdtemp() + "/s.zarr", resolution=16, tasks=["normal"],
    ...                  splits={"val": {"samples": 10}})
    >>> sorted(s.specs), s.samples("val"), s.regions("val")
    (['rgb', 'rgb2sfnorm'], 10, [(0, 10)])
    """
    specs = resolve_tasks(["rgb", *tasks])
    default_chunk, default_shard = default_layout(resolution)
    chunk = chunk_samples or default_chunk
    shard = shard_samples or max(chunk, default_shard)
    if shard % chunk:
        raise ValueError(f"shard_samples ({shard}) must be a multiple of chunk_samples ({chunk})")
    plan = {
        "schema_version": SCHEMA_VERSION,
        "resolution": int(resolution),
        "chunk_samples": chunk,
        "shard_samples": shard,
        "specs": {s.name: s.to_dict() for s in specs},
        "splits": {name: _split_plan(name, split, specs) for name, split in splits.items()},
        "camera_fields": list(CAMERA_FIELDS),
    }
    opts = _options(url, storage_options)
    if exist_ok:
        store = None
        with contextlib.suppress(Exception):  # absent or unfinished: create it afresh
            store = open_store(url, mode="r+", storage_options=opts)
        if store is not None:
            old = {k: v for k, v in store.meta.items() if k not in ("provenance", "created")}
            if old != plan:
                raise ValueError(
                    f"store {url} exists with a different plan (tasks, sizes or layout); "
                    "write to a new path or delete it"
                )
            return store
    root = zarr.open_group(url, mode="w-" if not exist_ok else "w", storage_options=opts or None)
    for name, split in plan["splits"].items():
        group = root.create_group(name)
        group.attrs["buildings"] = list(splits[name].get("buildings", []))
        _create_split_arrays(group, split, specs, resolution, chunk, shard)
    created = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    # The metadata goes last: a store without it is recognisably unfinished.
    root.attrs[META_KEY] = {**plan, "provenance": dict(provenance or {}), "created": created}
    return DatasetStore(url, "r+", opts)


def _split_plan(name: str, split: Mapping[str, Any], specs: list[TaskSpec]) -> dict[str, Any]:
    if not name.isidentifier():
        raise ValueError(f"split name {name!r} must be an identifier, e.g. 'train'")
    samples = int(split.get("samples", -1))
    if samples < 0:
        raise ValueError(f'split {name!r} needs a sample count: {{"samples": N}}')
    pairs = {get_task(t).name: int(m) for t, m in dict(split.get("pairs", {})).items()}
    wanted = {s.name for s in specs if s.multiview}
    if set(pairs) - wanted:
        raise ValueError(
            f"split {name!r} has pair counts for {sorted(set(pairs) - wanted)}, "
            "which are not multi-view tasks of this store; add them to tasks"
        )
    return {"samples": samples, "pairs": {t: pairs.get(t, 0) for t in sorted(wanted)}}


def _create_split_arrays(
    group: zarr.Group,
    split: Mapping[str, Any],
    specs: list[TaskSpec],
    resolution: int,
    chunk: int,
    shard: int,
) -> None:
    n = split["samples"]

    def array(name: str, count: int, shape: tuple[int, ...], dtype: Any, fill: Any, c: int, s: int):
        group.create_array(
            name,
            shape=(count, *shape),
            chunks=(c, *shape),
            shards=(s, *shape) if s != c else None,
            dtype=dtype,
            fill_value=fill,
            compressors=_compressors(),
        )

    array("ids", n, (3,), "int32", -1, chunk, shard)
    array("camera", n, (len(CAMERA_FIELDS),), "float32", np.nan, chunk, shard)
    array("_done", _count_regions(n, shard), (), "uint8", 0, 1, 1)
    for spec in specs:
        if not spec.stored:
            continue
        shape = spec.stored_shape(resolution)
        if spec.multiview:
            m = split["pairs"][spec.name]
            array(spec.name, m, shape, spec.dtype, spec.codec.fill_value, PAIR_REGION, PAIR_REGION)
            array(f"{spec.name}__index", m, (spec.images,), "int32", -1, PAIR_REGION, PAIR_REGION)
            array(f"_done__{spec.name}", _count_regions(m, PAIR_REGION), (), "uint8", 0, 1, 1)
            count, c, s = m, PAIR_REGION, PAIR_REGION
        else:
            array(spec.name, n, shape, spec.dtype, spec.codec.fill_value, chunk, shard)
            count, c, s = n, chunk, shard
        if spec.mask == "array":
            array(
                f"{spec.name}__mask", count, _pixel_mask_shape(spec, resolution), bool, False, c, s
            )


def _options(url: str, storage_options: Mapping[str, Any] | None) -> dict[str, Any]:
    opts = dict(storage_options or {})
    if str(url).startswith("file://"):
        opts.setdefault("auto_mkdir", True)  # fsspec's local filesystem makes no folders by default
    return opts


def _count_regions(n: int, size: int) -> int:
    return -(-n // size)


def open_store(
    url: str, mode: str = "r", storage_options: Mapping[str, Any] | None = None
) -> DatasetStore:
    """Open an existing store (a local path or an fsspec URL such as ``file:///...``)."""
    return DatasetStore(url, mode, _options(url, storage_options))


class DatasetStore:
    """A Taskonomy dataset in Zarr. Picklable: it reopens lazily in each process."""

    def __init__(self, url: str, mode: str = "r", storage_options: dict[str, Any] | None = None):
        self.url = str(url)
        self.mode = mode
        self.storage_options = dict(storage_options or {})
        self._root: zarr.Group | None = None
        meta = self.root.attrs.get(META_KEY)
        if not isinstance(meta, dict):
            raise ValueError(f"{self.url} is not a taskonomy-data store (no {META_KEY} metadata)")
        if meta.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(
                f"{self.url} has schema version {meta.get('schema_version')}; this taskonomy-data "
                f"reads version {SCHEMA_VERSION}: re-create the store"
            )
        self.meta: dict[str, Any] = meta
        self.specs: dict[str, TaskSpec] = {
            n: TaskSpec.from_dict(d) for n, d in meta["specs"].items()
        }

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_root": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={v['samples']}" for k, v in self.meta["splits"].items())
        return f"DatasetStore({self.url!r}, tasks={list(self.specs)}, {sizes})"

    @property
    def root(self) -> zarr.Group:
        if self._root is None:
            mode = "r" if self.mode == "r" else "r+"
            opts = self.storage_options or None
            try:
                self._root = zarr.open_group(self.url, mode=mode, storage_options=opts)
            except FileNotFoundError:
                raise FileNotFoundError(f"no store at {self.url}") from None
            except ValueError as error:  # zarr.json that is not JSON, or not zarr's
                raise ValueError(
                    f"{self.url} is not a readable Zarr store ({error}); re-create it"
                ) from None
        return self._root

    # -- plan ---------------------------------------------------------------------------------
    @property
    def resolution(self) -> int:
        return int(self.meta["resolution"])

    @property
    def shard_samples(self) -> int:
        return int(self.meta["shard_samples"])

    @property
    def chunk_samples(self) -> int:
        return int(self.meta["chunk_samples"])

    @property
    def splits(self) -> list[str]:
        return list(self.meta["splits"])

    @property
    def provenance(self) -> dict[str, Any]:
        return dict(self.meta.get("provenance", {}))

    def spec(self, name: str) -> TaskSpec:
        """This store's spec for a task name or alias (the store's sizes win)."""
        canonical = name if name in self.specs else get_task(name).name
        if canonical not in self.specs:
            raise ValueError(f"task {name!r} is not in {self.url}; it has {list(self.specs)}")
        return self.specs[canonical]

    def samples(self, split: str) -> int:
        return int(self._split_meta(split)["samples"])

    def pair_count(self, split: str, task: str) -> int:
        return int(self._split_meta(split)["pairs"][self.spec(task).name])

    def buildings(self, split: str) -> list[str]:
        return list(self.root[split].attrs.get("buildings", []))

    def view_tasks(self) -> list[TaskSpec]:
        """Specs with one stored array per view (what :meth:`write` needs)."""
        return [s for s in self.specs.values() if s.stored and not s.multiview]

    def regions(self, split: str, task: str | None = None) -> list[tuple[int, int]]:
        """The write regions of a split (or of a multi-view task's samples): [start, stop)."""
        n, size = self._axis(split, task)
        return [(i, min(i + size, n)) for i in range(0, n, size)]

    def pending(self, split: str, task: str | None = None) -> list[int]:
        """Indices of regions not yet completely written."""
        flags = self.root[split][self._done_name(task)][...]
        return [int(i) for i in np.flatnonzero(flags == 0)]

    def update_provenance(self, **items: Any) -> None:
        """Merge items into the provenance record (done by the coordinating process only)."""
        meta = dict(self.root.attrs[META_KEY])
        meta["provenance"] = {**meta.get("provenance", {}), **items}
        self.root.attrs[META_KEY] = meta
        self.meta = meta

    def _split_meta(self, split: str) -> dict[str, Any]:
        try:
            return self.meta["splits"][split]
        except KeyError:
            raise ValueError(f"no split {split!r} in {self.url}; it has {self.splits}") from None

    def _axis(self, split: str, task: str | None) -> tuple[int, int]:
        if task is None:
            return self.samples(split), self.shard_samples
        return self.pair_count(split, task), PAIR_REGION

    def _done_name(self, task: str | None) -> str:
        return "_done" if task is None else f"_done__{self.spec(task).name}"

    def _check_region(self, split: str, start: int, count: int, task: str | None) -> None:
        n, size = self._axis(split, task)
        stop = start + count
        if count <= 0 or start < 0 or stop > n or start % size or (stop % size and stop != n):
            what = f"task {task!r}" if task else f"split {split!r}"
            raise ValueError(
                f"write of samples [{start}, {stop}) in {what} is not a whole number of regions "
                f"of {size} samples within [0, {n}): write whole regions (see regions())"
            )

    # -- writing ------------------------------------------------------------------------------
    def write(
        self,
        split: str,
        start: int,
        values: Mapping[str, np.ndarray],
        *,
        masks: Mapping[str, np.ndarray] | None = None,
        ids: np.ndarray,
        camera: np.ndarray | None = None,
    ) -> None:
        """Write decoded values of every per-view task for whole regions starting at ``start``.

        ``values[task]`` has the decoded per-sample shape (see the registry's kind table; labels
        may be given as (n, H, W) or (n, 1, H, W)); ``masks[task]`` (optional, True = valid) is
        encoded into the sentinel or the mask array. ``ids`` is (n, 3): building index, point,
        view. ``camera`` is (n, 10) in CAMERA_FIELDS order.
        """
        group = self.root[split]
        values = {self.spec(k).name: v for k, v in values.items()}
        masks = {self.spec(k).name: v for k, v in (masks or {}).items()}
        wanted = {s.name for s in self.view_tasks()}
        if set(values) != wanted:
            raise ValueError(
                f"write needs values for exactly {sorted(wanted)}; missing "
                f"{sorted(wanted - set(values))}, unexpected {sorted(set(values) - wanted)}"
            )
        ids = np.asarray(ids)
        count = len(ids)
        self._check_region(split, start, count, None)
        encoded = {"ids": self._shaped("ids", ids.astype(np.int32), (count, 3))}
        if camera is not None:
            encoded["camera"] = self._shaped(
                "camera", np.asarray(camera, np.float32), (count, len(CAMERA_FIELDS))
            )
        for name, value in values.items():
            encoded.update(self._encode(self.specs[name], value, masks.get(name), count))
        region = slice(start, start + count)
        for name, array in encoded.items():
            group[name][region] = array
        self._mark_done(group, "_done", start, count, self.shard_samples)

    def write_pairs(
        self,
        split: str,
        task: str,
        start: int,
        index: np.ndarray,
        values: np.ndarray,
        mask: np.ndarray | None = None,
    ) -> None:
        """Write whole regions of a multi-view task: view indices (M, images) and labels."""
        spec = self.spec(task)
        if not spec.multiview:
            raise ValueError(f"task {spec.name!r} is not multi-view; write it with write()")
        group = self.root[split]
        index = np.asarray(index)
        count = len(index)
        self._check_region(split, start, count, spec.name)
        n = self.samples(split)
        if index.size and (index.min() < 0 or index.max() >= n):
            raise ValueError(f"{spec.name} view indices must lie in [0, {n}) for split {split!r}")
        encoded = {f"{spec.name}__index": self._shaped(spec.name, index, (count, spec.images))}
        encoded.update(self._encode(spec, values, mask, count))
        for name, array in encoded.items():
            group[name][start : start + count] = array
        self._mark_done(group, f"_done__{spec.name}", start, count, PAIR_REGION)

    def _encode(
        self, spec: TaskSpec, value: np.ndarray, mask: np.ndarray | None, count: int
    ) -> dict[str, np.ndarray]:
        shape = (count, *spec.stored_shape(self.resolution))
        value = np.asarray(value)
        if spec.kind in ("labels", "segments") and value.ndim == 3:
            value = value[:, None]
        value = self._shaped(spec.name, value, shape)
        if mask is not None:
            mask = np.asarray(mask, bool)
            if spec.pixelwise and mask.ndim == 3:
                mask = mask[:, None]
            mask_shape = (count, *_pixel_mask_shape(spec, self.resolution))
            mask = self._shaped(f"{spec.name} mask", mask, mask_shape)
            if spec.mask == "none" and not mask.all():
                raise ValueError(
                    f"task {spec.name!r} has mask rule 'none' but the mask has invalid entries; "
                    'register the task with mask="array" or "encoded"'
                )
        # Element masks broadcast over channels and vector elements.
        elem_mask = (
            None if mask is None else mask.reshape(mask.shape + (1,) * (value.ndim - mask.ndim))
        )
        # Only an encoding that carries the mask overwrites invalid values with its sentinel.
        out = {spec.name: spec.codec.encode(value, elem_mask if spec.mask == "encoded" else None)}
        if spec.mask == "array":
            full = np.ones((count, *_pixel_mask_shape(spec, self.resolution)), bool)
            out[f"{spec.name}__mask"] = full if mask is None else mask
        return out

    @staticmethod
    def _shaped(name: str, value: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        if value.shape != shape:
            raise ValueError(f"{name}: expected shape {shape}, got {value.shape}")
        return value

    @staticmethod
    def _mark_done(group: zarr.Group, name: str, start: int, count: int, size: int) -> None:
        first, last = start // size, _count_regions(start + count, size)
        group[name][first:last] = 1

    def write_dask(
        self,
        split: str,
        values: Mapping[str, Any],
        *,
        masks: Mapping[str, Any] | None = None,
        ids: Any,
        camera: Any = None,
        skip_done: bool = True,
        progress: bool = False,
    ) -> int:
        """Write Dask (or numpy) arrays of a whole split: one Dask task per region.

        The arrays are rechunked so that every Dask chunk is exactly one region, which makes a
        chunk that straddles two shards impossible. Regions already done are skipped (resume).
        Returns the number of regions written.
        """
        import dask
        import dask.array as da

        n = self.samples(split)
        size = self.shard_samples
        bounds = tuple(b - a for a, b in self.regions(split))
        inputs: dict[str, Any] = {"ids": ids, "camera": camera}
        inputs.update({f"v/{k}": v for k, v in values.items()})
        inputs.update({f"m/{k}": v for k, v in (masks or {}).items()})
        blocks: dict[str, list[Any]] = {}
        for key, x in inputs.items():
            if x is None:
                continue
            x = da.asarray(x)
            if x.shape[0] != n:
                raise ValueError(f"{key[2:] or key}: {x.shape[0]} samples, split has {n}")
            x = x.rechunk((bounds, *x.shape[1:]))
            blocks[key] = list(x.to_delayed().ravel())
        done = set(range(len(bounds))) - set(self.pending(split)) if skip_done else set()
        write = dask.delayed(_write_region, pure=False)
        tasks = [
            write(self, split, r * size, {k: b[r] for k, b in blocks.items()})
            for r in range(len(bounds))
            if r not in done
        ]
        if progress:
            from dask.diagnostics import ProgressBar

            with ProgressBar():
                dask.compute(*tasks)
        else:
            dask.compute(*tasks)
        return len(tasks)

    @contextlib.contextmanager
    def appender(self, split: str) -> Iterator[_Appender]:
        """Append batches of any size in order; whole regions are written as they fill.

        Starts at the first pending region (so a rerun after a kill resumes); on exit the last,
        partial region is written only if it completes the split.
        """
        appender = _Appender(self, split)
        yield appender
        appender.flush(final=True)

    # -- reading ------------------------------------------------------------------------------
    def read(
        self, split: str, tasks: Sequence[str], index: Sequence[int] | np.ndarray | slice
    ) -> dict[str, np.ndarray]:
        """Decoded, training-ready arrays for the given view indices of a split.

        Returns ``{task: values, task + "_mask": mask, "ids": (n, 3), "index": (n,)}``; tasks read
        from RGB (autoencoder, jigsaw, ...) are returned under their own name as the RGB image.
        """
        from taskonomy_data._decode import decode_batch

        return decode_batch(self, split, tasks, index)

    def read_pairs(
        self, split: str, task: str, index: Sequence[int] | np.ndarray | slice
    ) -> dict[str, np.ndarray]:
        """Labels of a multi-view task: ``{task, task + "_mask", "views": (n, images)}``."""
        from taskonomy_data._decode import decode_pairs

        return decode_pairs(self, split, task, index)


def _write_region(store: DatasetStore, split: str, start: int, block: dict[str, Any]) -> None:
    values = {k[2:]: v for k, v in block.items() if k.startswith("v/")}
    masks = {k[2:]: v for k, v in block.items() if k.startswith("m/")}
    store.write(split, start, values, masks=masks, ids=block["ids"], camera=block.get("camera"))


class _Appender:
    """Buffers batches until whole regions can be written (see DatasetStore.appender)."""

    def __init__(self, store: DatasetStore, split: str):
        self.store, self.split = store, split
        pending = store.pending(split)
        regions = store.regions(split)
        self.position = regions[pending[0]][0] if pending else store.samples(split)
        self.skip = self.position  # samples the caller can skip: already stored
        self._buffer: list[dict[str, Any]] = []
        self._buffered = 0

    def append(
        self,
        values: Mapping[str, np.ndarray],
        *,
        masks: Mapping[str, np.ndarray] | None = None,
        ids: np.ndarray,
        camera: np.ndarray | None = None,
    ) -> None:
        self._buffer.append({"values": values, "masks": masks or {}, "ids": ids, "camera": camera})
        self._buffered += len(ids)
        self.flush()

    def flush(self, final: bool = False) -> None:
        size, n = self.store.shard_samples, self.store.samples(self.split)
        if not self._buffer:
            return
        batch = _concat(self._buffer)
        end = self.position + self._buffered
        if end > n:
            raise ValueError(f"appended {end} samples to split {self.split!r} of {n}")
        stop = end if end == n else self.position + (self._buffered // size) * size
        if final and stop != end:
            raise ValueError(
                f"split {self.split!r} ends at sample {end} of {n}: a partial region cannot be "
                "written; append all samples"
            )
        count = stop - self.position
        if count:
            take = {k: v[:count] for k, v in batch["values"].items()}
            self.store.write(
                self.split,
                self.position,
                take,
                masks={k: v[:count] for k, v in batch["masks"].items()},
                ids=batch["ids"][:count],
                camera=None if batch["camera"] is None else batch["camera"][:count],
            )
            rest = {
                "values": {k: v[count:] for k, v in batch["values"].items()},
                "masks": {k: v[count:] for k, v in batch["masks"].items()},
                "ids": batch["ids"][count:],
                "camera": None if batch["camera"] is None else batch["camera"][count:],
            }
            self.position = stop
            self._buffered -= count
            self._buffer = [rest] if self._buffered else []
        else:
            self._buffer = [batch]


def _concat(parts: list[dict[str, Any]]) -> dict[str, Any]:
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    cameras = [p["camera"] for p in parts]
    return {
        "values": {k: np.concatenate([p["values"][k] for p in parts]) for k in first["values"]},
        "masks": {k: np.concatenate([p["masks"][k] for p in parts]) for k in first["masks"]},
        "ids": np.concatenate([p["ids"] for p in parts]),
        "camera": None if any(c is None for c in cameras) else np.concatenate(cameras),
    }

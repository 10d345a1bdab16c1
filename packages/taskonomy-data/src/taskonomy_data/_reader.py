"""The epoch reader: whole shards in random order, shuffled within a buffer.

Trade-off. zarr-python pays a fixed cost per call, so reading one sample per call (true random
access, ``DatasetStore.read`` with single indices) runs at ~100-3,000 samples/s, slower than PNG
at 64 px. Reading long runs of consecutive samples (by default a whole shard, ``shard_samples``
views of one building) in one call per array and shuffling inside a buffer of ``buffer_samples``
is one to two orders of magnitude faster (see BENCHMARKS.md). The price: a batch draws from the
few runs in the buffer, so neighbouring views of one building meet more often than under a full
shuffle. Run order is reshuffled every epoch (``set_epoch``); a larger buffer (or a smaller
``read_samples``, down to one chunk) approaches a full shuffle at the cost of memory or speed.
The next buffer is read in a background thread while the current one is consumed.

Read path. Each run is read straight into one of two preallocated buffers (the encoded rows of
every array, sample axis first): the shard bytes come through the array's store and each chunk is
checked (CRC32C) and decompressed with numcodecs into its rows, with no intermediate copy
(``_chunks.read_into``; other layouts fall back to a zarr slice read). The buffer is shuffled by
index while still encoded; each batch is one ``take`` per array and one vectorised decode. The two
buffers (about ``2 * (buffer_samples + batch_size)`` encoded samples) are kept between epochs,
since touching fresh memory of that size every epoch costs page faults; ``del reader`` frees them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from taskonomy_data._chunks import read_into
from taskonomy_data._decode import decode_stored, stored_arrays
from taskonomy_data._store import DatasetStore, open_store


class EpochReader:
    """Iterate over one split in decoded batches; safe in PyTorch DataLoader workers.

    Each worker (``torch.utils.data.get_worker_info``) takes every k-th chunk and opens the store
    lazily on first use, so fsspec filesystems are never shared across a fork.

    >>> import tempfile, numpy as np
    >>> from taskonomy_data import create_store
    >>> s = create_store(tempfile.mkdtemp() + "/e.zarr", resolution=4, tasks=["rgb"],
    ...                  splits={"train": {"samples": 10}}, chunk_samples=2, shard_samples=2)
    >>> for a, b in s.regions("train"):
    ...     s.write("train", a, {"rgb": np.zeros((b - a, 3, 4, 4))}, ids=np.zeros((b - a, 3)))
    >>> reader = EpochReader(s, "train", ["rgb"], batch_size=4)
    >>> [len(batch["index"]) for batch in reader]
    [4, 4, 2]
    """

    def __init__(
        self,
        store: DatasetStore | str,
        split: str,
        tasks: Sequence[str],
        batch_size: int = 32,
        *,
        shuffle: bool = True,
        buffer_samples: int | None = None,
        read_samples: int | None = None,
        seed: int = 0,
        drop_last: bool = False,
        storage_options: Mapping[str, Any] | None = None,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self._store = store if isinstance(store, DatasetStore) else None
        self._url = store.url if isinstance(store, DatasetStore) else str(store)
        self._options = dict(storage_options or {})
        meta = self.store
        self.split, self.tasks = split, [meta.spec(t).name for t in tasks]
        self.batch_size, self.shuffle = batch_size, shuffle
        self.seed, self.drop_last, self.epoch = seed, drop_last, 0
        self.samples = meta.samples(split)
        self.unit = read_samples or meta.shard_samples
        if self.unit % meta.chunk_samples:
            raise ValueError(
                f"read_samples must be a multiple of chunk_samples ({meta.chunk_samples})"
            )
        self.runs_per_buffer = max(1, -(-(buffer_samples or 2 * self.unit) // self.unit))

    @property
    def store(self) -> DatasetStore:
        if self._store is None:
            self._store = open_store(self._url, storage_options=self._options)
        return self._store

    def __getstate__(self) -> dict[str, Any]:
        # Worker processes reopen the store themselves (fsspec filesystems are not fork-safe).
        state = {**self.__dict__, "_store": None}
        state.pop("_spare", None)  # buffers kept between epochs
        return state

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose shuffle the next iteration uses."""
        self.epoch = epoch

    def __len__(self) -> int:
        full, rest = divmod(self.samples, self.batch_size)
        return full + (0 if self.drop_last or not rest else 1)

    def _runs(self) -> list[int]:
        count = -(-self.samples // self.unit)
        order = np.arange(count)
        if self.shuffle:
            order = np.random.default_rng((self.seed, self.epoch)).permutation(count)
        worker, workers = _worker()
        return [int(c) for c in order[worker::workers]]

    def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
        rng = np.random.default_rng((self.seed, self.epoch, *_worker()))
        runs = self._runs()
        groups = [
            runs[i : i + self.runs_per_buffer] for i in range(0, len(runs), self.runs_per_buffer)
        ]
        if not groups:
            return
        store = self.store
        group = store.root[self.split]
        arrays = {name: group[name] for name in stored_arrays(store, self.tasks)}
        # Two buffers: one is consumed while the next runs are read into the other. Each holds
        # ``head`` rows for the samples carried over from the previous buffer, then the runs.
        head = self.batch_size
        size = head + self.runs_per_buffer * self.unit
        # Kept between epochs: fresh buffers of this size cost a page fault per page each time.
        # An iteration running at the same time as this one allocates its own.
        key = (tuple(arrays), size)
        kept_buffers = self.__dict__.pop("_spare", None)
        buffers = kept_buffers[1] if kept_buffers and kept_buffers[0] == key else []
        buffers += [_allocate(arrays, size) for _ in range(min(2, len(groups)) - len(buffers))]
        try:
            yield from self._batches(arrays, groups, buffers, head, rng)
        finally:
            self._spare = (key, buffers)

    def _batches(
        self,
        arrays: Mapping[str, Any],
        groups: list[list[int]],
        buffers: list[dict[str, np.ndarray]],
        head: int,
        rng: np.random.Generator,
    ) -> Iterator[dict[str, np.ndarray]]:
        store = self.store
        carry: dict[str, np.ndarray] | None = None
        with ThreadPoolExecutor(1) as pool:
            ahead = pool.submit(self._read_runs, arrays, groups[0], buffers[0], head)
            for g in range(len(groups)):
                buffer = buffers[g % 2]
                count = ahead.result()
                if g + 1 < len(groups):
                    nxt = buffers[(g + 1) % 2]
                    ahead = pool.submit(self._read_runs, arrays, groups[g + 1], nxt, head)
                # The carried samples go just before the runs: one contiguous span to shuffle.
                kept = len(carry["index"]) if carry is not None else 0
                base = head - kept
                if carry is not None:
                    for name, values in carry.items():
                        buffer[name][base:head] = values
                n = kept + count
                order = (rng.permutation(n) if self.shuffle else np.arange(n)) + base
                whole = n - n % self.batch_size
                for start in range(0, whole, self.batch_size):
                    # Shuffled while still encoded (compact); decoded batch by batch.
                    batch = _take(buffer, order[start : start + self.batch_size])
                    yield decode_stored(store, self.tasks, batch)
                carry = _take(buffer, order[whole:]) if whole < n else None
        if carry is not None and not self.drop_last:
            yield decode_stored(store, self.tasks, carry)

    def _read_runs(
        self,
        arrays: Mapping[str, Any],
        runs: list[int],
        buffer: dict[str, np.ndarray],
        head: int,
    ) -> int:
        """Read ``runs`` one after the other into ``buffer`` from row ``head``; return the count."""
        at = head
        for r in runs:
            a, b = r * self.unit, min((r + 1) * self.unit, self.samples)
            read_into(
                [(array, a, b, buffer[name][at : at + b - a]) for name, array in arrays.items()]
            )
            buffer["index"][at : at + b - a] = np.arange(a, b)
            at += b - a
        return at - head

    def as_torch_dataset(self) -> Any:
        """This reader as a ``torch.utils.data.IterableDataset`` (use ``batch_size=None``).

        Needs PyTorch (``pip install torch``); batches stay numpy arrays unless the
        DataLoader's default collation turns them into tensors.
        """
        return _torch_dataset_class()(self)


def _torch_dataset_class() -> type:
    """The IterableDataset wrapper, built on first use so that torch stays optional."""
    cached = globals().get("_TorchEpochDataset")
    if cached is not None:
        return cached
    try:
        from torch.utils.data import IterableDataset
    except ImportError:
        raise ImportError("as_torch_dataset needs PyTorch: pip install torch") from None

    class _TorchEpochDataset(IterableDataset):  # type: ignore[type-arg]
        def __init__(self, reader: EpochReader):
            self.reader = reader

        def __iter__(self) -> Iterator[dict[str, np.ndarray]]:
            return iter(self.reader)

        def __len__(self) -> int:
            return len(self.reader)

    _TorchEpochDataset.__qualname__ = "_TorchEpochDataset"
    globals()["_TorchEpochDataset"] = _TorchEpochDataset
    return _TorchEpochDataset


def __getattr__(name: str) -> Any:
    # Lets pickle find the wrapper class in spawned DataLoader workers.
    if name == "_TorchEpochDataset":
        return _torch_dataset_class()
    raise AttributeError(name)


def _allocate(arrays: Mapping[str, Any], rows: int) -> dict[str, np.ndarray]:
    buffer = {name: np.empty((rows, *a.shape[1:]), a.dtype) for name, a in arrays.items()}
    buffer["index"] = np.empty(rows, np.int64)
    return buffer


def _take(buffer: dict[str, np.ndarray], rows: np.ndarray) -> dict[str, np.ndarray]:
    """Fresh copies of ``rows`` of every array of ``buffer`` (batches outlive the buffer)."""
    return {name: values.take(rows, axis=0) for name, values in buffer.items()}


def _worker() -> tuple[int, int]:
    """(worker id, worker count) inside a PyTorch DataLoader worker, else (0, 1)."""
    torch = sys.modules.get("torch")
    if torch is not None:
        info = torch.utils.data.get_worker_info()
        if info is not None:
            return info.id, info.num_workers
    return 0, 1

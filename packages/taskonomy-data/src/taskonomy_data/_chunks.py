"""Whole-chunk reads of sample-major arrays straight into a caller's buffer.

zarr-python decodes a slice through its generic codec pipeline and then copies each chunk into
the result. For the layout this package writes (sharded or not; bytes -> Blosc -> CRC32C inside,
index of little-endian uint64 + CRC32C at the end of each shard; only the sample axis chunked),
:func:`read_into` instead fetches the shard bytes through the array's own store (so local paths
and fsspec URLs behave alike), checks each chunk's CRC32C and decompresses it with numcodecs
straight into its rows of the output. Any other layout, dtype or byte order falls back to a zarr
slice read, so the result is always what ``array[start:stop]`` returns.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

try:  # zarr's own dependencies; without them every read takes the zarr path
    import google_crc32c
    from numcodecs import blosc
    from zarr.abc.store import RangeByteRequest, SuffixByteRequest
    from zarr.codecs import BloscCodec, BytesCodec, Crc32cCodec, ShardingCodec
    from zarr.codecs.sharding import ShardingCodecIndexLocation
    from zarr.core.buffer import default_buffer_prototype
    from zarr.core.sync import sync
except ImportError:  # pragma: no cover
    blosc = None

_EMPTY = 2**64 - 1
_INDEX_ENTRY = 16  # (offset, length) as two little-endian uint64
_CRC = 4
_BLOSC_HEADER = 16  # 4 bytes of flags, then nbytes, blocksize, cbytes (uint32)


@dataclass(frozen=True)
class _Layout:
    """Where an array's chunks live: ``per_key`` chunks of ``rows`` samples under each key."""

    rows: int
    per_key: int  # 1 when unsharded
    sharded: bool


def _plain_inner(codecs: Sequence[Any], dtype: np.dtype) -> bool:
    if len(codecs) != 3:
        return False
    raw, compress, check = codecs
    native = dtype.itemsize == 1 or sys.byteorder == "little"
    little = getattr(raw, "endian", None) is None or raw.endian.value == "little"
    return (
        isinstance(raw, BytesCodec)
        and native
        and (little or dtype.itemsize == 1)
        and isinstance(compress, BloscCodec)
        and isinstance(check, Crc32cCodec)
    )


def layout(array: Any) -> _Layout | None:
    """The fast-path layout of a zarr array, or None where only zarr itself may read it."""
    if blosc is None:
        return None
    try:
        meta = array.metadata
        dtype = array.dtype
        if meta.zarr_format != 3 or not isinstance(dtype, np.dtype) or dtype.hasobject:
            return None
        if dtype.byteorder not in ("=", "|", "<" if sys.byteorder == "little" else "="):
            return None
        outer = tuple(meta.chunk_grid.chunk_shape)
        codecs = tuple(meta.codecs)
        shape = tuple(array.shape)
    except Exception:
        return None
    if len(shape) == 0 or outer[1:] != shape[1:]:
        return None
    if len(codecs) == 1 and isinstance(codecs[0], ShardingCodec):
        shard = codecs[0]
        inner = tuple(shard.chunk_shape)
        index = tuple(shard.index_codecs)
        if (
            shard.index_location != ShardingCodecIndexLocation.end
            or inner[1:] != shape[1:]
            or outer[0] % inner[0]
            or not _plain_inner(shard.codecs, dtype)
            or len(index) != 2
            or not isinstance(index[0], BytesCodec)
            or getattr(index[0].endian, "value", "little") != "little"
            or not isinstance(index[1], Crc32cCodec)
        ):
            return None
        return _Layout(inner[0], outer[0] // inner[0], True)
    if _plain_inner(codecs, dtype):
        return _Layout(outer[0], 1, False)
    return None


class DamagedChunkError(ValueError):
    """A chunk whose checksum or size does not match: the store is damaged."""


def read_into(jobs: Sequence[tuple[Any, int, int, np.ndarray]]) -> None:
    """For each ``(array, start, stop, out)``: ``out[: stop - start] = array[start:stop]``.

    All fetches of all jobs go to the stores concurrently; chunks are checked and decompressed
    into ``out`` (its rows must be C-contiguous) without an intermediate copy where they fit.
    """
    plans = []
    for array, start, stop, out in jobs:
        stop = min(stop, array.shape[0])
        found = layout(array) if out.flags.c_contiguous and out.dtype == array.dtype else None
        if found is None or stop <= start:
            if stop > start:
                out[: stop - start] = array[start:stop]
            continue
        plans.append(_Plan(array, found, start, stop, out))
    if not plans:
        return
    # Phase 1: whole shards (or unsharded chunks) and, for partly needed shards, their index.
    requests = [r for p in plans for r in p.first_requests()]
    blobs = sync(_fetch_all(requests))
    second = []
    for plan in plans:
        second.extend(plan.take_first([blobs.pop(0) for _ in plan.pending]))
    # Phase 2: the spans of partly needed shards.
    if second:
        blobs = sync(_fetch_all([(path, r) for path, r, _ in second]))
        for (_, _, finish), blob in zip(second, blobs, strict=True):
            finish(blob)
    for plan in plans:
        plan.decode()


async def _fetch_all(requests: list[tuple[Any, Any]]) -> list[Any]:
    proto = default_buffer_prototype()
    return list(
        await asyncio.gather(*(path.get(prototype=proto, byte_range=r) for path, r in requests))
    )


class _Plan:
    """The fetches and decodes of one job."""

    def __init__(self, array: Any, lay: _Layout, start: int, stop: int, out: np.ndarray):
        self.array, self.lay, self.start, self.stop, self.out = array, lay, start, stop, out
        self.row_nbytes = out.dtype.itemsize * int(np.prod(out.shape[1:], dtype=np.int64))
        rows_per_key = lay.rows * lay.per_key
        self.keys = range(start // rows_per_key, -(-stop // rows_per_key))
        self.pending: list[tuple[int, bool]] = []  # (key number, whole key fetched)
        self.frames: list[tuple[int, Any]] = []  # (chunk number, frame bytes or None)

    def _path(self, k: int) -> Any:
        coords = (k,) + (0,) * (len(self.array.shape) - 1)
        return self.array.store_path / self.array.metadata.encode_chunk_key(coords)

    def _chunks(self, k: int) -> range:
        """Chunk numbers (global) of key ``k`` that overlap [start, stop)."""
        first, last = k * self.lay.per_key, (k + 1) * self.lay.per_key
        lo = max(first, self.start // self.lay.rows)
        hi = min(last, -(-self.stop // self.lay.rows))
        return range(lo, hi)

    def first_requests(self) -> list[tuple[Any, Any]]:
        out = []
        for k in self.keys:
            whole = len(self._chunks(k)) == self.lay.per_key
            self.pending.append((k, whole))
            span = None if whole else SuffixByteRequest(self.lay.per_key * _INDEX_ENTRY + _CRC)
            out.append((self._path(k), span))
        return out

    def take_first(self, blobs: list[Any]) -> list[tuple[Any, Any, Any]]:
        later = []
        for (k, whole), blob in zip(self.pending, blobs, strict=True):
            chunks = self._chunks(k)
            if blob is None:  # nothing written under this key: fill value
                self.frames.extend((c, None) for c in chunks)
                continue
            data = blob.as_numpy_array().view(np.uint8).reshape(-1)
            if not self.lay.sharded:
                self.frames.append((k, data))
                continue
            index = self._index(data, k)
            first = k * self.lay.per_key
            if whole:
                self.frames.extend((c, _slice(data, index[c - first])) for c in chunks)
                continue
            local = index[chunks.start - first : chunks.stop - first]
            present = local[local[:, 0] != _EMPTY]
            if not len(present):
                self.frames.extend((c, None) for c in chunks)
                continue
            lo, hi = int(present[:, 0].min()), int((present[:, 0] + present[:, 1]).max())

            def finish(span: Any, local: np.ndarray = local, chunks: range = chunks, lo: int = lo):
                if span is None:
                    raise DamagedChunkError(f"{self.array.path}: shard vanished while reading")
                part = span.as_numpy_array().view(np.uint8).reshape(-1)
                for c, (offset, length) in zip(chunks, local, strict=True):
                    entry = (offset - lo, length) if offset != _EMPTY else (_EMPTY, _EMPTY)
                    self.frames.append((c, _slice(part, entry)))

            later.append((self._path(k), RangeByteRequest(lo, hi), finish))
        return later

    def _index(self, data: np.ndarray, k: int) -> np.ndarray:
        size = self.lay.per_key * _INDEX_ENTRY
        if data.size < size + _CRC:
            raise DamagedChunkError(f"{self.array.path}: shard {k} is truncated")
        raw = np.ascontiguousarray(data[data.size - size - _CRC : data.size - _CRC])
        _check(raw, data[data.size - _CRC :], f"{self.array.path}: index of shard {k}")
        return raw.view("<u8").reshape(-1, 2)

    def decode(self) -> None:
        rows = self.lay.rows
        chunk_nbytes = rows * self.row_nbytes
        for c, frame in self.frames:
            lo, hi = max(c * rows, self.start), min((c + 1) * rows, self.stop)
            dest = self.out[lo - self.start : hi - self.start]
            if frame is None:
                dest[...] = self.array.fill_value
                continue
            name = f"{self.array.path}: chunk of samples [{c * rows}, {(c + 1) * rows})"
            if frame.size < _CRC:
                raise DamagedChunkError(f"{name} is truncated")
            body = frame[: frame.size - _CRC]
            _check(body, frame[frame.size - _CRC :], name)
            if body.size < _BLOSC_HEADER:
                raise DamagedChunkError(f"{name} is not a Blosc frame")
            nbytes, _, cbytes = body[4:_BLOSC_HEADER].view("<u4").tolist()  # Blosc 1 header
            if nbytes != chunk_nbytes or cbytes != body.size:
                raise DamagedChunkError(f"{name} has the wrong size")
            if lo == c * rows and hi == (c + 1) * rows:
                blosc.decompress(body, dest)
            else:  # a chunk cut by the run or by the end of the array
                whole = np.empty((rows, *self.out.shape[1:]), self.out.dtype)
                blosc.decompress(body, whole)
                dest[...] = whole[lo - c * rows : hi - c * rows]
        self.frames = []


def _slice(data: np.ndarray, entry: Any) -> np.ndarray | None:
    offset, length = int(entry[0]), int(entry[1])
    if offset == _EMPTY and length == _EMPTY:
        return None
    if offset + length > data.size:
        raise DamagedChunkError("a shard index points past the end of its shard")
    return data[offset : offset + length]


def _check(body: np.ndarray, stored: np.ndarray, name: str) -> None:
    computed = np.uint32(google_crc32c.value(np.ascontiguousarray(body))).tobytes()
    if computed != bytes(stored):
        raise DamagedChunkError(f"{name}: checksum mismatch (the store is damaged)")

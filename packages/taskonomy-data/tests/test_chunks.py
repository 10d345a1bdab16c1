"""The direct chunk reader of the epoch reader agrees with zarr slicing, or falls back to it."""

import itertools

import numpy as np
import pytest
import zarr

from taskonomy_data._chunks import DamagedChunkError, layout, read_into
from taskonomy_data._store import _compressors

ARRAYS = [  # name, per-sample shape, dtype, chunk, shard (== chunk: unsharded)
    ("u8", (3, 5, 5), "uint8", 4, 16),
    ("u16", (1, 5, 5), "uint16", 4, 16),
    ("mask", (1, 5, 5), "bool", 4, 4),
    ("ids", (3,), "int32", 4, 8),
    ("f32", (2,), "float32", 3, 9),
]


def _arrays(url, compressors=None):
    options = {"auto_mkdir": True} if "://" in url else None
    root = zarr.open_group(url, mode="w", storage_options=options)
    rng = np.random.default_rng(0)
    out = []
    for name, shape, dtype, chunk, shard in ARRAYS:
        array = root.create_array(
            name,
            shape=(50, *shape),
            chunks=(chunk, *shape),
            shards=(shard, *shape) if shard != chunk else None,
            dtype=dtype,
            fill_value=False if dtype == "bool" else 7,
            compressors=compressors or _compressors(),
        )
        data = (rng.random((50, *shape)) * 200).astype(dtype)
        array[:shard] = data[:shard]  # the second shard (or chunk) is never written
        array[2 * shard :] = data[2 * shard :]
        out.append(array)
    return out


@pytest.mark.parametrize("fsspec", [False, True])
def test_reads_equal_zarr_slices(tmp_path, fsspec):
    url = f"file://{tmp_path}/a.zarr" if fsspec else str(tmp_path / "a.zarr")
    for array in _arrays(url):
        assert layout(array) is not None
        expected = array[:]
        for start, stop in itertools.product(range(0, 50, 3), range(1, 56, 6)):
            if stop <= start:
                continue
            out = np.zeros((stop - start, *array.shape[1:]), array.dtype)
            read_into([(array, start, stop, out)])
            np.testing.assert_array_equal(
                out[: min(stop, 50) - start], expected[start:stop], err_msg=f"{array.path}"
            )


def test_other_codecs_fall_back_to_zarr(tmp_path):
    for array in _arrays(str(tmp_path / "z.zarr"), [zarr.codecs.ZstdCodec(level=1)]):
        assert layout(array) is None
        out = np.zeros(array.shape, array.dtype)
        read_into([(array, 0, 50, out)])
        np.testing.assert_array_equal(out, array[:])


def test_a_damaged_chunk_raises(tmp_path):
    array = _arrays(str(tmp_path / "d.zarr"))[0]
    shard = tmp_path / "d.zarr" / "u8" / "c" / "0" / "0" / "0" / "0"
    data = bytearray(shard.read_bytes())
    data[20] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(DamagedChunkError, match="checksum"):
        read_into([(array, 0, 16, np.zeros((16, 3, 5, 5), "uint8"))])

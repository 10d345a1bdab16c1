"""On-disk encodings: decoded (training-ready) values <-> the compact dtype stored in Zarr.

Each encoding is vectorised over a batch. ``encode(values, mask)`` takes decoded values and an
optional validity mask (True = valid) and returns the stored array; ``decode(stored)`` returns the
decoded values and the mask the encoding itself carries (``None`` when it carries none).

The encodings follow the original release where one exists: depth as uint16 in 1/512 m with
65535 = no hit (anything >= 64500 is masked), normals as uint8 centred at 127 with a step of 1/128,
semantic labels with 0 = uncertain.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

DEPTH_SCALE = 512.0
DEPTH_NO_HIT = 65535
DEPTH_MASKED_FROM = 64500


@dataclass(frozen=True)
class Encoding:
    """How one kind of value is stored: the stored dtype, the fill value, encode and decode."""

    name: str
    dtype: str
    fill_value: float | int
    encode: Callable[[np.ndarray, np.ndarray | None], np.ndarray]
    decode: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]]
    carries_mask: bool = False


def _where_valid(stored: np.ndarray, mask: np.ndarray | None, invalid: float | int) -> np.ndarray:
    if mask is not None:
        stored = np.where(np.broadcast_to(mask, stored.shape), stored, invalid).astype(stored.dtype)
    return stored


def _unit(dtype: str, top: int) -> Encoding:
    def encode(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        return np.rint(np.clip(values, 0.0, 1.0) * top).astype(dtype)

    def decode(stored: np.ndarray) -> tuple[np.ndarray, None]:
        return np.divide(stored, np.float32(top), dtype=np.float32), None

    return Encoding(f"{dtype}_unit", dtype, 0, encode, decode)


def _encode_depth(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    valid = np.isfinite(values)
    if mask is not None:
        valid &= np.broadcast_to(mask, values.shape)
    raw = np.rint(np.clip(np.nan_to_num(values, posinf=0.0, neginf=0.0), 0.0, None) * DEPTH_SCALE)
    raw = np.minimum(raw, DEPTH_MASKED_FROM - 1).astype(np.uint16)
    return np.where(valid, raw, np.uint16(DEPTH_NO_HIT))


def _decode_depth(stored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mask = stored < DEPTH_MASKED_FROM
    values = np.divide(stored, np.float32(DEPTH_SCALE), dtype=np.float32)
    values *= mask  # zero where masked (values are >= 0: exact, and faster than values[~mask] = 0)
    return values, mask


def _encode_centred(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    return np.rint(np.clip(values * 128.0 + 127.0, 0, 255)).astype(np.uint8)


def _decode_centred(stored: np.ndarray) -> tuple[np.ndarray, None]:
    values = np.subtract(stored, np.float32(127.0), dtype=np.float32)
    values *= np.float32(1 / 128)
    return values, None


def _label(dtype: str) -> Encoding:
    # Label 0 means "uncertain": a masked pixel is stored as 0.
    def encode(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        info = np.iinfo(dtype)
        if values.size and (values.min() < info.min or values.max() > info.max):
            raise ValueError(f"label values must lie in [{info.min}, {info.max}] for {dtype}")
        return _where_valid(np.asarray(values).astype(dtype), mask, 0)

    def decode(stored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return stored.astype(np.int64), stored != 0

    return Encoding(f"{dtype}_label", dtype, 0, encode, decode, carries_mask=True)


def _segments(dtype: str) -> Encoding:
    # Segment ids: every value (0 included) is a valid id; only equality between pixels matters.
    def encode(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        return np.asarray(values).astype(dtype)

    def decode(stored: np.ndarray) -> tuple[np.ndarray, None]:
        return stored.astype(np.int64), None

    return Encoding(f"{dtype}_segments", dtype, 0, encode, decode)


def _float(dtype: str) -> Encoding:
    # NaN marks an invalid sample or element.
    def encode(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        return _where_valid(np.asarray(values, dtype=dtype), mask, np.nan)

    def decode(stored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        values = stored.astype(np.float32)
        mask = ~np.isnan(values)
        return np.where(mask, values, np.float32(0)), mask

    return Encoding(dtype, dtype, np.nan, encode, decode, carries_mask=True)


def _encode_class(values: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    return _where_valid(np.asarray(values).astype(np.int16), mask, -1)


def _decode_class(stored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return stored.astype(np.int64), stored >= 0


ENCODINGS: dict[str, Encoding] = {
    e.name: e
    for e in [
        _unit("uint8", 255),
        _unit("uint16", 65535),
        Encoding("depth_uint16", "uint16", DEPTH_NO_HIT, _encode_depth, _decode_depth, True),
        Encoding("uint8_centred", "uint8", 127, _encode_centred, _decode_centred),
        _label("uint8"),
        _label("uint16"),
        _segments("uint16"),
        _segments("int32"),
        _float("float16"),
        _float("float32"),
        Encoding("int16_class", "int16", -1, _encode_class, _decode_class, carries_mask=True),
    ]
}


def get_encoding(name: str) -> Encoding:
    """Return the encoding called ``name`` (one of ``ENCODINGS``)."""
    try:
        return ENCODINGS[name]
    except KeyError:
        raise ValueError(
            f"unknown encoding {name!r}; choose one of {', '.join(sorted(ENCODINGS))}"
        ) from None

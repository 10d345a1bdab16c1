"""Taskonomy's tournament: per-sample losses of m competitors -> an m x m win-fraction matrix.

The count is exact and runs in chunks of samples, so memory is bounded whatever n is:

1. Each sample's losses become one sortable uint64 key per competitor: the float's bits mapped to
   an order-preserving integer, with the low bits replaced by the competitor's index. One
   ``np.sort`` per chunk then yields every sample's ranking, and small rank codes (uint8 for up
   to 256 competitors) compare 8x cheaper than float64.
2. Samples whose keys tie in the high bits (equal losses, or losses so close that the index bits
   hide their order) go to an exact float comparison; they are rare in practice.
3. On the other samples there are no ties, so ``wins[j, i] = valid[i, j] - wins[i, j]``: only
   the upper triangle is counted. The count of each comparison row is a SWAR sum: the booleans
   are summed as uint64 words in blocks of 255, one byte lane each, which cannot overflow.
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike

#: Most samples counted in one piece; memory grows with it, not with n.
CHUNK_SAMPLES = 32768
_BLOCK = 8 * 255
_RANK_SAMPLES = 2048


def win_counts(
    losses: ArrayLike, *, chunk_samples: int = CHUNK_SAMPLES
) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise win counts of competitors (rows) over samples (columns) of a loss array.

    Returns ``(wins, valid)``, both m x m int64: ``wins[i, j]`` counts the samples where row i's
    loss is strictly lower than row j's; ``valid[i, j]`` those where neither loss is NaN. Ties
    are wins for neither, so ``wins + wins.T + ties == valid``. Any array-like with ``shape`` and
    slicing works (a zarr array, a memmap): it is read `chunk_samples` columns at a time.

    >>> wins, valid = win_counts([[1.0, 2.0, 3.0], [2.0, 2.0, float("nan")]])
    >>> wins.tolist(), valid.tolist()
    ([[0, 1], [0, 0]], [[3, 2], [2, 2]])
    """
    source = (
        losses
        if hasattr(losses, "shape") and hasattr(losses, "__getitem__")
        else np.asarray(losses)
    )
    shape = tuple(source.shape)
    if len(shape) != 2:
        raise ValueError(
            f"losses must be 2-D (competitors x samples), got shape {shape}; "
            "stack one row of per-sample losses per competitor"
        )
    m, n = shape
    if not 2 <= m <= 2**16:
        raise ValueError(f"a tournament needs 2 to 65,536 competitors (rows), got {m}")
    if n < 1:
        raise ValueError("losses have no samples (columns); pass at least one loss per competitor")
    if chunk_samples < 1:
        raise ValueError(f"chunk_samples must be positive, got {chunk_samples}")
    wins = np.zeros((m, m), np.int64)
    valid = np.zeros((m, m), np.int64)
    pieces = -(-n // chunk_samples)
    step = -(-n // pieces)  # equal chunks, so the last one is not mostly padding
    for start in range(0, n, step):
        _count_chunk(np.asarray(source[:, start : start + step]), wins, valid)
    return wins, valid


def tournament(
    losses: ArrayLike,
    clip: tuple[float, float] | None = (0.001, 0.999),
    *,
    chunk_samples: int = CHUNK_SAMPLES,
) -> np.ndarray:
    """Win-fraction matrix of a tournament, CLIPPED to `clip` (default [0.001, 0.999]).

    ``W[i, j]`` = fraction of samples (where neither loss is NaN) on which competitor i has a
    strictly lower loss than j; ties are not wins; the diagonal is 0.5. A pair with no common
    sample is NaN (an incomplete tournament; see :func:`complete_matrix`). The returned
    matrix is clipped to ``clip`` (Taskonomy's smoothing, so no ratio is 0 or infinite); pass
    ``clip=None`` for the raw fractions. The result depends only on each sample's order of the
    losses, so any strictly increasing transform of the losses gives the same matrix.

    >>> tournament([[0.1, 0.2, 0.3, 0.4], [0.2, 0.1, 0.5, 0.9]], clip=None).tolist()
    [[0.5, 0.75], [0.25, 0.5]]
    """
    if clip is not None:
        low, high = (float(c) for c in clip)
        if not 0.0 <= low < high <= 1.0:
            raise ValueError(f"clip must be (low, high) with 0 <= low < high <= 1, got {clip}")
    w = _win_fractions(*win_counts(losses, chunk_samples=chunk_samples))
    return w if clip is None else np.clip(w, low, high)


def _win_fractions(wins: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """wins / valid, NaN where a pair has no common sample, 0.5 on the diagonal; for one m x m
    matrix or a stack (``... x m x m``)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(valid > 0, wins / valid, np.nan)
    diagonal = np.arange(w.shape[-1])
    w[..., diagonal, diagonal] = 0.5
    return w


def ratio_matrix(win_fractions: ArrayLike) -> np.ndarray:
    """Taskonomy's positive reciprocal matrix ``W / W.T`` from a clipped win-fraction matrix.

    Entries must lie strictly between 0 and 1 off the diagonal (clip them first); NaN (no common
    sample) stays NaN on both sides, as a missing judgement.

    >>> ratio_matrix([[0.5, 0.75], [0.25, 0.5]]).tolist()
    [[1.0, 3.0], [0.3333333333333333, 1.0]]
    """
    w = np.array(win_fractions, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 2:
        raise ValueError(
            f"win fractions must be a square m x m matrix, m >= 2, got shape {w.shape}"
        )
    off = ~np.eye(len(w), dtype=bool) & ~np.isnan(w)
    if ((w[off] <= 0) | (w[off] >= 1)).any():
        i, j = np.argwhere(off & ((w <= 0) | (w >= 1)))[0]
        raise ValueError(
            f"win fraction ({i}, {j}) = {w[i, j]} is not strictly between 0 and 1, so W / W.T "
            "would be 0 or infinite; clip it: tournament(losses, clip=(0.001, 0.999))"
        )
    with np.errstate(invalid="ignore"):
        ratio = w / w.T
    np.fill_diagonal(ratio, 1.0)
    return ratio


def _as_losses(chunk: np.ndarray) -> np.ndarray:
    """A piece (competitors x samples) as float64, samples x competitors, with -0.0 made +0.0."""
    if chunk.dtype.kind not in "fiub":
        raise ValueError(f"losses must be numbers, got dtype {chunk.dtype}")
    values = np.array(chunk.T, dtype=np.float64, order="C")  # always a copy: it is overwritten
    values += 0.0  # -0.0 + 0.0 == +0.0, so the two zeros get one key and tie
    return values


def _count_chunk(chunk: np.ndarray, wins: np.ndarray, valid: np.ndarray) -> None:
    m, n = chunk.shape
    ranks = np.zeros((n + (-n) % _BLOCK, m), np.uint8 if m <= 256 else np.uint16)
    both = np.zeros((m, m), np.int64)  # samples where neither loss is NaN, off the exact path
    nan_after = np.zeros(m, np.int64)
    for start in range(0, n, _RANK_SAMPLES):  # cache-sized pieces
        values = _as_losses(chunk[:, start : start + _RANK_SAMPLES])
        piece = ranks[start : start + len(values)]
        nan = np.isnan(values)
        has_nan = bool(nan.any())
        exact = _rank_codes(values, nan if has_nan else None, piece)
        if exact.any():
            _count_exact(_as_losses(chunk[:, start + np.flatnonzero(exact)]).T, wins, valid)
            piece[exact] = 0  # equal codes: no wins
            nan = nan[~exact]
        if has_nan:
            nan_after += nan.sum(axis=0)
            ok = (~nan).astype(np.float64)
            both += np.rint(ok.T @ ok).astype(np.int64)
        else:
            both += len(values) - np.count_nonzero(exact)
    upper = _upper_wins(np.ascontiguousarray(ranks.T))
    # NaN keys sort last, in index order, so for i < j a NaN at j always looked like a win for i.
    upper -= np.triu(np.broadcast_to(nan_after, (m, m)), 1)
    wins += upper + np.triu(both - upper, 1).T
    valid += both


def _rank_codes(values: np.ndarray, nan: np.ndarray | None, ranks: np.ndarray) -> np.ndarray:
    """Write each sample's rank codes into `ranks` (samples x competitors); return a mask of the
    samples that need the exact path (two losses equal in the key's high bits). Overwrites
    `values` with the sort keys."""
    n, m = values.shape
    bits = max(1, (m - 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    if nan is None and values.min() >= 0.0:
        keys = values.view(np.uint64)  # the bits of non-negative floats already sort as integers
    else:
        keys = _order_preserving(values)
        if nan is not None:
            keys[nan] = ~np.uint64(0)
    keys &= ~low
    keys |= np.arange(m, dtype=np.uint64)
    keys.sort(axis=1)
    close = (keys[:, 1:] ^ keys[:, :-1]) <= low
    if nan is not None:
        close &= keys[:, 1:] < ~low  # two NaNs are not a tie
    keys &= low
    order = keys.view(np.int64)
    order += np.arange(0, n * m, m)[:, None]
    ranks.reshape(-1)[order.reshape(-1)] = _codes(m, ranks.dtype, n)
    return close.any(axis=1)


@functools.lru_cache(maxsize=8)
def _codes(m: int, dtype: np.dtype, n: int) -> np.ndarray:
    return np.tile(np.arange(m, dtype=dtype), n)


def _upper_wins(ranks: np.ndarray) -> np.ndarray:
    """wins[i, j] for i < j from rank codes (competitors x samples, samples padded to _BLOCK)."""
    m, n = ranks.shape
    upper = np.zeros((m, m), np.int64)
    for i in range(m - 1):
        beaten = ranks[i + 1 :] > ranks[i]
        words = beaten.view(np.uint64).reshape(m - 1 - i, n // _BLOCK, 255)
        lanes = words.sum(axis=2, dtype=np.uint64)  # 8 byte lanes, each <= 255: no carry
        upper[i, i + 1 :] = lanes.view(np.uint8).reshape(m - 1 - i, -1).sum(axis=1, dtype=np.int64)
    return upper


def _count_exact(losses: np.ndarray, wins: np.ndarray, valid: np.ndarray) -> None:
    """Plain comparison of a few samples (competitors x samples), ties and NaN included."""
    ok = ~np.isnan(losses)
    step = max(1, 2**22 // len(losses) ** 2)  # about 4 MB of booleans at a time
    for start in range(0, losses.shape[1], step):
        part, good = losses[:, start : start + step], ok[:, start : start + step]
        wins += (part[:, None, :] < part[None, :, :]).sum(axis=2)
        valid += (good[:, None, :] & good[None, :, :]).sum(axis=2)


def _order_preserving(values: np.ndarray) -> np.ndarray:
    """uint64 keys in the order of the float64 values (NaN aside): negative floats get all their
    bits flipped, the others only the sign bit."""
    keys = values.view(np.uint64)
    flip = values.view(np.int64) >> 63
    flip |= np.int64(-(1 << 63))
    keys ^= flip.view(np.uint64)
    return keys

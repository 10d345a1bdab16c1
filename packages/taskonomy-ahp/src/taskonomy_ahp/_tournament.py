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

import numpy as np
from numpy.typing import ArrayLike

#: Samples per chunk: a multiple of 8 * 255 (the SWAR block). About 130 MB peak for 1,000 rows.
CHUNK_SAMPLES = 8 * 255 * 8
_BLOCK = 8 * 255


def win_counts(losses: ArrayLike, *, chunk_samples: int = CHUNK_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise win counts of competitors (rows) over samples (columns) of a loss array.

    Returns ``(wins, valid)``, both m x m int64: ``wins[i, j]`` counts the samples where row i's
    loss is strictly lower than row j's; ``valid[i, j]`` those where neither loss is NaN. Ties
    are wins for neither, so ``wins + wins.T + ties == valid``. Any array-like with ``shape`` and
    slicing works (a zarr array, a memmap): it is read `chunk_samples` columns at a time.

    >>> wins, valid = win_counts([[1.0, 2.0, 3.0], [2.0, 2.0, float("nan")]])
    >>> wins.tolist(), valid.tolist()
    ([[0, 1], [0, 0]], [[3, 2], [2, 2]])
    """
    source = losses if hasattr(losses, "shape") and hasattr(losses, "__getitem__") else np.asarray(losses)
    shape = tuple(source.shape)
    if len(shape) != 2:
        raise ValueError(
            f"losses must be 2-D (competitors x samples), got shape {shape}; "
            "stack one row of per-sample losses per competitor"
        )
    m, n = shape
    if m < 2:
        raise ValueError(f"a tournament needs at least two competitors (rows), got {m}")
    if n < 1:
        raise ValueError("losses have no samples (columns); pass at least one loss per competitor")
    if chunk_samples < 1:
        raise ValueError(f"chunk_samples must be positive, got {chunk_samples}")
    wins = np.zeros((m, m), np.int64)
    valid = np.zeros((m, m), np.int64)
    step = max(_BLOCK, chunk_samples - chunk_samples % _BLOCK)
    for start in range(0, n, step):
        chunk = _as_losses(source[:, start : start + step])
        _count_chunk(chunk, wins, valid)
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
    sample is NaN (an incomplete tournament; see :func:`tournament_priorities`). The returned
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
    wins, valid = win_counts(losses, chunk_samples=chunk_samples)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(valid > 0, wins / valid, np.nan)
    np.fill_diagonal(w, 0.5)
    return w if clip is None else np.clip(w, low, high)


def ratio_matrix(win_fractions: ArrayLike) -> np.ndarray:
    """Taskonomy's positive reciprocal matrix ``W / W.T`` from a clipped win-fraction matrix.

    Entries must lie strictly between 0 and 1 off the diagonal (clip them first); NaN (no common
    sample) stays NaN on both sides, as a missing judgement.

    >>> ratio_matrix([[0.5, 0.75], [0.25, 0.5]]).tolist()
    [[1.0, 3.0], [0.3333333333333333, 1.0]]
    """
    w = np.array(win_fractions, dtype=np.float64)
    if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] < 2:
        raise ValueError(f"win fractions must be a square m x m matrix, m >= 2, got shape {w.shape}")
    off = ~np.eye(len(w), dtype=bool) & ~np.isnan(w)
    if ((w[off] <= 0) | (w[off] >= 1)).any():
        i, j = np.argwhere(off & ((w <= 0) | (w >= 1)))[0]
        raise ValueError(
            f"win fraction ({i}, {j}) = {w[i, j]} is not strictly between 0 and 1, so W / W.T "
            "would be 0 or infinite; clip the tournament, e.g. tournament(losses, clip=(0.001, 0.999))"
        )
    with np.errstate(invalid="ignore"):
        ratio = w / w.T
    np.fill_diagonal(ratio, 1.0)
    return ratio


def _as_losses(chunk: ArrayLike) -> np.ndarray:
    """A chunk (competitors x samples) as float64, samples x competitors, with -0.0 made +0.0."""
    a = np.asarray(chunk)
    if a.dtype.kind not in "fiub":
        raise ValueError(f"losses must be numbers, got dtype {a.dtype}")
    values = np.ascontiguousarray(a.T, dtype=np.float64)
    values += 0.0  # -0.0 + 0.0 == +0.0, so the two zeros get one key and tie
    return values


def _count_chunk(values: np.ndarray, wins: np.ndarray, valid: np.ndarray) -> None:
    n, m = values.shape
    bits = max(1, (m - 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    nan = np.isnan(values)
    has_nan = bool(nan.any())
    keys = _order_preserving(values)
    if has_nan:
        keys[nan] = ~np.uint64(0)
    keys &= ~low
    keys |= np.arange(m, dtype=np.uint64)
    keys.sort(axis=1)
    high = keys >> np.uint64(bits)
    close = (high[:, 1:] == high[:, :-1]) & (high[:, 1:] != (~np.uint64(0) >> np.uint64(bits)))
    exact = close.any(axis=1)
    if exact.any():
        _count_exact(values[exact].T, wins, valid)
        keys, nan = keys[~exact], nan[~exact]
    k = len(keys)
    if k == 0:
        return
    # Rank codes, competitors x samples; padding samples hold equal codes, so they add no wins.
    codes = np.uint8 if m <= 256 else np.uint16
    ranks = np.zeros((k + (-k) % _BLOCK, m), codes)
    flat = (keys & low).astype(np.intp) + (np.arange(k) * m)[:, None]
    ranks.reshape(-1)[flat.reshape(-1)] = np.tile(np.arange(m, dtype=codes), k)
    upper = _upper_wins(np.ascontiguousarray(ranks.T))
    if has_nan:
        # NaN keys sort last, in index order, so for i < j a NaN at j always looked like a win for i.
        upper -= np.triu(np.broadcast_to(nan.sum(axis=0), (m, m)), 1)
        ok = (~nan).astype(np.float64)
        both = np.rint(ok.T @ ok).astype(np.int64)
    else:
        both = np.full((m, m), k, np.int64)
    wins += upper + np.triu(both - upper, 1).T
    valid += both


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
    for start in range(0, losses.shape[1], 256):
        part, good = losses[:, start : start + 256], ok[:, start : start + 256]
        wins += (part[:, None, :] < part[None, :, :]).sum(axis=2)
        valid += (good[:, None, :] & good[None, :, :]).sum(axis=2)


def _order_preserving(values: np.ndarray) -> np.ndarray:
    """uint64 keys in the order of the float64 values (NaN aside): negative floats get all their
    bits flipped, the others only the sign bit."""
    flip = values.view(np.int64) >> 63
    flip |= np.int64(-(1 << 63))
    keys = flip.view(np.uint64)
    keys ^= values.view(np.uint64)
    return keys

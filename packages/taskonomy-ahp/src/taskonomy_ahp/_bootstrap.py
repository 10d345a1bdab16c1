"""Bootstrap confidence intervals on Taskonomy's affinities, from weighted win counts.

A tournament's win counts are sums over test samples, so a bootstrap replicate (samples drawn
with replacement) is the same sum with each sample weighted by how often it was drawn. All B
replicates of a target therefore come from one matrix product, ``weights (B x n) @ beats (n x
pairs)``, where ``beats`` is the 0/1 indicator of "competitor i's loss is below j's" per sample:
the per-sample comparisons are made once, never B times. The counts are integers, and float32
products of integers below 2 ** 24 are exact, so each replicate equals a tournament run on the
resampled losses.

When the samples come in groups (buildings, scenes), whole groups are drawn with replacement
(the cluster bootstrap), since samples of one building are not independent.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ._affinity import LossesByTarget, _stack, affinity_table
from ._incomplete import complete_matrix
from ._priorities import principal_eigenpair
from ._tournament import _win_fractions

#: Samples compared in one piece of :func:`weighted_win_counts`; memory is pairs x this x 4 bytes.
CHUNK_SAMPLES = 2048
_EXACT_FLOAT32 = 2**24


def resample_weights(
    n_samples: int,
    n_boot: int = 200,
    *,
    groups: ArrayLike | None = None,
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """Bootstrap weights, ``n_boot x n_samples``: how often each sample is drawn per replicate.

    Without `groups`, n samples are drawn with replacement (a multinomial count per sample).
    With `groups` (one label per sample, e.g. its building), as many groups as there are are
    drawn with replacement, and each sample gets its group's count.

    >>> w = resample_weights(5, 3, seed=1)
    >>> w.shape, w.sum(axis=1).tolist()
    ((3, 5), [5, 5, 5])
    >>> w = resample_weights(4, 20, groups=["a", "a", "b", "b"])
    >>> bool((w[:, 0] == w[:, 1]).all()), sorted(set(w[:, 0].tolist()))
    (True, [0, 1, 2])
    """
    if n_samples < 1:
        raise ValueError(f"n_samples must be at least 1, got {n_samples}")
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1 replicate, got {n_boot}")
    rng = np.random.default_rng(seed)
    if groups is None:
        return rng.multinomial(n_samples, np.full(n_samples, 1 / n_samples), size=n_boot)
    labels = np.asarray(groups)
    if labels.shape != (n_samples,):
        raise ValueError(
            f"groups must give one label per sample: expected shape ({n_samples},), "
            f"got {labels.shape}"
        )
    _, cluster = np.unique(labels, return_inverse=True)
    clusters = int(cluster.max()) + 1
    counts = rng.multinomial(clusters, np.full(clusters, 1 / clusters), size=n_boot)
    return counts[:, cluster]


def weighted_win_counts(
    losses: ArrayLike, weights: ArrayLike, *, chunk_samples: int = CHUNK_SAMPLES
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`win_counts` with sample weights, for every row of `weights` at once.

    `losses` is competitors x samples (m x n); `weights` is B x n non-negative integers (e.g.
    from :func:`resample_weights`). Returns ``(wins, valid)``, both B x m x m int64:
    ``wins[b, i, j] = sum_s weights[b, s] * [loss_i(s) < loss_j(s)]``, ``valid`` the same sum
    over samples where neither loss is NaN. With a row of ones it is exactly ``win_counts``.

    >>> losses, weights = [[1.0, 2.0, 3.0], [2.0, 1.0, 4.0]], [[1, 1, 1], [2, 0, 1]]
    >>> wins, valid = weighted_win_counts(losses, weights)
    >>> wins[:, 0, 1].tolist(), wins[:, 1, 0].tolist(), valid[:, 0, 1].tolist()
    ([2, 3], [1, 0], [3, 3])
    """
    x = np.asarray(losses, dtype=np.float64)
    w = np.asarray(weights)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(
            f"losses must be 2-D (competitors x samples) with at least two competitors, "
            f"got shape {x.shape}"
        )
    m, n = x.shape
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(f"weights must be replicates x samples, (B, {n}), got shape {w.shape}")
    if w.dtype.kind not in "iub" or (w < 0).any():
        raise ValueError("weights must be non-negative integers (draw counts per sample)")
    if chunk_samples < 1:
        raise ValueError(f"chunk_samples must be positive, got {chunk_samples}")
    exact = np.float32 if w.sum(axis=1).max(initial=0) < _EXACT_FLOAT32 else np.float64
    upper_i, upper_j = np.triu_indices(m, 1)
    beats = np.zeros((len(w), len(upper_i)))
    loses = np.zeros_like(beats)
    both = np.zeros_like(beats)
    present = np.zeros((len(w), m))  # the diagonal of valid: samples where i's loss is a number
    indicator = np.empty((len(upper_i), min(n, chunk_samples)), exact)
    for start in range(0, n, chunk_samples):
        part = x[:, start : start + chunk_samples]
        wt = w[:, start : start + chunk_samples].astype(exact)
        pairs = indicator[:, : part.shape[1]]
        _compare(np.less, part, pairs)
        won = wt @ pairs.T
        beats += won
        ok = ~np.isnan(part)
        present += wt @ ok.T.astype(exact)
        if ok.all() and not _has_ties(part):  # then j beats i wherever i does not beat j
            total = wt.sum(axis=1, dtype=np.float64)[:, None]
            loses += total - won
            both += total
        else:
            _compare(np.greater, part, pairs)
            loses += wt @ pairs.T
            _compare(np.logical_and, ok, pairs)
            both += wt @ pairs.T
    wins = np.zeros((len(w), m, m), np.int64)
    valid = np.zeros_like(wins)
    wins[:, upper_i, upper_j] = np.rint(beats)
    wins[:, upper_j, upper_i] = np.rint(loses)
    valid[:, upper_i, upper_j] = valid[:, upper_j, upper_i] = np.rint(both)
    valid[:, np.arange(m), np.arange(m)] = np.rint(present)
    return wins, valid


def _compare(op: np.ufunc, part: np.ndarray, out: np.ndarray) -> None:
    """out[pair (i, j), s] = op(part[i, s], part[j, s]) for every pair i < j, row by row."""
    m = len(part)
    row = 0
    for i in range(m - 1):
        op(part[i], part[i + 1 :], out=out[row : row + m - 1 - i])
        row += m - 1 - i


def _has_ties(part: np.ndarray) -> bool:
    ordered = np.sort(part, axis=0)
    return bool((ordered[1:] == ordered[:-1]).any())


@dataclass(frozen=True)
class AffinityIntervals:
    """Bootstrap percentile intervals on every competitor's affinity.

    ``estimate[key]`` is the affinity on all test samples (as :func:`affinity_table`),
    ``low[key]``/``high[key]`` the bounds of the central `level` interval over the replicates;
    ``replicates[target]`` is B x m, columns in the order of ``competitors[target]``, each row
    summing to 1.
    """

    estimate: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    level: float
    competitors: dict[str, list[str]] = field(repr=False)
    replicates: dict[str, np.ndarray] = field(repr=False)

    @property
    def n_boot(self) -> int:
        """The number of bootstrap replicates."""
        return len(next(iter(self.replicates.values())))

    def replicate(self, b: int) -> dict[str, float]:
        """Replicate `b`'s affinities of every competitor, keyed as ``estimate`` (e.g. to solve
        the taxonomy on it)."""
        return {
            key: float(value)
            for target, keys in self.competitors.items()
            for key, value in zip(keys, self.replicates[target][b], strict=True)
        }

    def rows(self) -> list[dict[str, object]]:
        """Long form: one dict per competitor with target, key, affinity, low and high."""
        return [
            {
                "target": target,
                "key": key,
                "affinity": self.estimate[key],
                "low": self.low[key],
                "high": self.high[key],
            }
            for target, keys in self.competitors.items()
            for key in keys
        ]


def bootstrap_affinities(
    losses_by_target: LossesByTarget,
    n_boot: int = 200,
    level: float = 0.95,
    *,
    groups: ArrayLike | Mapping[str, ArrayLike] | None = None,
    seed: int = 0,
    clip: tuple[float, float] = (0.001, 0.999),
    exclude: Collection[str] = ("pixels",),
    on_target: Callable[[str], None] | None = None,
) -> AffinityIntervals:
    """Percentile bootstrap intervals on :func:`affinity_table`'s affinities.

    Each replicate resamples a target's test samples with replacement (whole groups when
    `groups` gives each sample's group, e.g. its building: one array for every target, or one
    per target) and recomputes the tournament (as weighted win counts: see
    :func:`weighted_win_counts`) and its principal eigenvector. Targets with the same number of
    samples and groups get the same draws, so replicate b of every target sees the same
    resampled test set (a taxonomy solved on replicate b is coherent). `on_target` is called
    with each target's name when it is done (a progress hook).

    >>> losses = {"depth": {"self__depth": [0.1, 0.2, 0.1, 0.3],
    ...                     "edge2d__depth": [0.3, 0.1, 0.4, 0.2],
    ...                     "random__depth": [0.9, 0.8, 0.7, 0.6]}}
    >>> ci = bootstrap_affinities(losses, n_boot=50)
    >>> ci.low["self__depth"] <= ci.estimate["self__depth"] <= ci.high["self__depth"]
    True
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level}")
    table = affinity_table(losses_by_target, clip, exclude=exclude)
    low_q, high_q = 50 * (1 - level), 50 * (1 + level)
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    replicates: dict[str, np.ndarray] = {}
    for target, keys in table.competitors.items():
        losses = _stack(target, {k: losses_by_target[target][k] for k in keys})
        target_groups = groups.get(target) if isinstance(groups, Mapping) else groups
        weights = resample_weights(losses.shape[1], n_boot, groups=target_groups, seed=seed)
        wins, valid = weighted_win_counts(losses, weights)
        affinities = _replicate_affinities(wins, valid, clip, target)
        replicates[target] = affinities
        bounds = np.percentile(affinities, [low_q, high_q], axis=0)
        low.update(zip(keys, bounds[0].tolist(), strict=True))
        high.update(zip(keys, bounds[1].tolist(), strict=True))
        if on_target is not None:
            on_target(target)
    return AffinityIntervals(table.affinities, low, high, level, table.competitors, replicates)


def _replicate_affinities(
    wins: np.ndarray, valid: np.ndarray, clip: tuple[float, float], target: str
) -> np.ndarray:
    """Principal eigenvectors of W / W.T for a stack of win counts (B x m x m) -> B x m."""
    w = np.clip(_win_fractions(wins, valid), *clip)
    ratio = w / np.swapaxes(w, 1, 2)
    missing = np.isnan(ratio).any(axis=(1, 2))
    try:
        for b in np.flatnonzero(missing):  # a pair with no sample drawn: Harker's completion
            ratio[b] = complete_matrix(ratio[b])
    except ValueError as error:
        raise ValueError(
            f"target {target!r}: a bootstrap replicate left competitors with no common sample "
            f"({error}); use more test samples or fewer groups"
        ) from None
    return principal_eigenpair(ratio)[1]

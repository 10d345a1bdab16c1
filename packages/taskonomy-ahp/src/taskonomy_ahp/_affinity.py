"""Taskonomy's Step III on a whole dictionary of per-sample losses: affinities and win rates.

Competitor keys follow the released format: ``"s1__s2__t"`` (sources joined by ``__``, the last
token is the target), ``"t__t"``, ``"self__t"`` (the fully supervised network) and
``"random__t"`` (an untrained encoder); ``"pixels__t"`` is the from-scratch reference of the Gain.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from ._consistency import evaluate
from ._incomplete import complete_matrix
from ._tournament import ratio_matrix, tournament

LossesByTarget = Mapping[str, Mapping[str, ArrayLike]]


@dataclass(frozen=True)
class AffinityTable:
    """Affinities of every competitor of every target, as released with Taskonomy.

    ``affinities[key]`` sums to 1 over each target's competitors; ``consistency_ratio[target]``
    is that tournament's CR; ``win_fractions[target]`` its clipped win-fraction matrix, rows and
    columns in the order of ``competitors[target]``.
    """

    affinities: dict[str, float]
    consistency_ratio: dict[str, float]
    competitors: dict[str, list[str]] = field(repr=False)
    win_fractions: dict[str, np.ndarray] = field(repr=False)

    def first_order(
        self, sources: list[str] | None = None, targets: list[str] | None = None
    ) -> tuple[np.ndarray, list[str], list[str]]:
        """The first-order affinity matrix P (targets x sources), NaN where a pair is absent.

        Single-source keys only (``s__t``, ``t__t``, ``self__t``, ``random__t``); by default every
        such source, sorted, and every target in input order. Returns ``(P, targets, sources)``.
        """
        single = {
            (key_target(key), key_sources(key)[0]): value
            for key, value in self.affinities.items()
            if len(key_sources(key)) == 1
        }
        targets = list(self.competitors) if targets is None else list(targets)
        sources = sorted({s for _, s in single}) if sources is None else list(sources)
        matrix = np.array(
            [[single.get((t, s), np.nan) for s in sources] for t in targets], dtype=np.float64
        ).reshape(len(targets), len(sources))
        return matrix, targets, sources

    def rows(self) -> list[dict[str, object]]:
        """Long form: one dict per competitor with target, key, sources, order and affinity."""
        return [
            {
                "target": target,
                "key": key,
                "sources": key_sources(key),
                "order": len(key_sources(key)),
                "affinity": self.affinities[key],
                "consistency_ratio": self.consistency_ratio[target],
            }
            for target, keys in self.competitors.items()
            for key in keys
        ]


def key_target(key: str) -> str:
    """The target of a competitor key: its last ``__`` token.

    >>> key_target("edge2d__rgb2depth__normal")
    'normal'
    """
    return key.rsplit("__", 1)[-1]


def key_sources(key: str) -> list[str]:
    """The sources of a competitor key: every ``__`` token but the last.

    >>> key_sources("edge2d__rgb2depth__normal")
    ['edge2d', 'rgb2depth']
    """
    return key.split("__")[:-1]


def affinity_table(
    losses_by_target: LossesByTarget,
    clip: tuple[float, float] = (0.001, 0.999),
    random_index: str | float = "alonso_lamata2006",
    *,
    exclude: Collection[str] = ("pixels",),
) -> AffinityTable:
    """Run one tournament per target and return every competitor's affinity (Taskonomy Step III).

    `losses_by_target[target][key]` is the per-sample loss (length n, the same n within a target)
    of competitor `key`, whose last ``__`` token must be `target`. Competitors whose only source is
    in `exclude` (the Gain reference ``pixels`` by default, absent from the released affinities)
    are left out. Affinities are the principal eigenvector of ``W / W.T`` for the clipped
    win-fraction matrix W, summing to 1 per target. `random_index` names the RI table of the
    reported consistency ratios: Alonso & Lamata's by default, as it covers any number of
    competitors; consistency is reported, never a reason to refuse a tournament.

    >>> table = affinity_table({"depth": {"self__depth": [0.1, 0.2, 0.1],
    ...                                   "edge2d__depth": [0.3, 0.1, 0.4],
    ...                                   "random__depth": [0.9, 0.8, 0.7]}})
    >>> {k: round(v, 4) for k, v in table.affinities.items()}
    {'self__depth': 0.6132, 'edge2d__depth': 0.3863, 'random__depth': 0.0005}
    """
    affinities: dict[str, float] = {}
    ratios: dict[str, float] = {}
    competitors: dict[str, list[str]] = {}
    fractions: dict[str, np.ndarray] = {}
    for target, by_key in losses_by_target.items():
        keys = [
            k for k in by_key if not (len(key_sources(k)) == 1 and key_sources(k)[0] in exclude)
        ]
        losses = _stack(target, {k: by_key[k] for k in keys})
        w = tournament(losses, clip)
        try:
            evaluation = evaluate(complete_matrix(ratio_matrix(w)), "eigenvector", random_index)
        except ValueError as error:
            raise ValueError(f"target {target!r}: {error}") from None
        affinities.update(zip(keys, evaluation.priorities.tolist(), strict=True))
        ratios[target] = evaluation.consistency_ratio
        competitors[target] = keys
        fractions[target] = w
    return AffinityTable(affinities, ratios, competitors, fractions)


def win_rates(
    losses_by_target: LossesByTarget, reference: Literal["pixels", "self"] | str = "pixels"
) -> dict[str, float]:
    """Fraction of samples on which each competitor's loss is strictly below the reference's.

    ``reference="pixels"`` gives Taskonomy's Gain, ``"self"`` its Quality; the reference key
    ``f"{reference}__{target}"`` must be present and maps to 0.5. Ties count as losses; samples
    where either loss is NaN are left out.

    >>> win_rates({"depth": {"self__depth": [1, 2, 3, 4], "edge2d__depth": [0, 3, 3, 1]}}, "self")
    {'self__depth': 0.5, 'edge2d__depth': 0.5}
    """
    rates: dict[str, float] = {}
    for target, by_key in losses_by_target.items():
        ref_key = f"{reference}__{target}"
        if ref_key not in by_key:
            raise ValueError(
                f"target {target!r} has no reference competitor {ref_key!r}; "
                f"add its losses or choose another reference (present: {sorted(by_key)[:5]}...)"
            )
        keys = list(by_key)
        losses = _stack(target, by_key, minimum=1)
        ref = losses[keys.index(ref_key)]
        with np.errstate(invalid="ignore"):
            wins = np.count_nonzero(losses < ref, axis=1)
        valid = np.count_nonzero(~np.isnan(losses) & ~np.isnan(ref), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            fraction = np.where(valid > 0, wins / np.maximum(valid, 1), np.nan)
        fraction[keys.index(ref_key)] = 0.5
        rates.update(zip(keys, fraction.tolist(), strict=True))
    return rates


def _stack(target: str, by_key: Mapping[str, ArrayLike], minimum: int = 2) -> np.ndarray:
    if len(by_key) < minimum:
        raise ValueError(
            f"target {target!r} has {len(by_key)} competitor(s); a tournament needs at least two"
        )
    rows = []
    for key, losses in by_key.items():
        if key_target(key) != target or not key_sources(key):
            raise ValueError(
                f"competitor {key!r} is listed under target {target!r}; keys must be "
                f"'source__{target}' (sources joined by '__', the target last)"
            )
        row = np.asarray(losses, dtype=np.float64)
        if row.ndim != 1 or (rows and row.shape != rows[0].shape):
            raise ValueError(
                f"losses of {key!r} have shape {row.shape}, expected "
                f"{rows[0].shape if rows else '(n_samples,)'}: one loss per test sample, "
                "the same samples for every competitor of a target"
            )
        rows.append(row)
    return np.stack(rows)

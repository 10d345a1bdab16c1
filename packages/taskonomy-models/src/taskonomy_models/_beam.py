"""The higher-order beam: which source sets to try, from a target's first-order ranking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import combinations

#: order -> how many top-ranked sources its sets are drawn from (TASKONOMY.md, Step II).
DEFAULT_BEAM: dict[int, int] = {2: 5, 3: 5, 4: 6}


def beam_candidates(
    ranking: Sequence[str], beam: Mapping[int, int] = DEFAULT_BEAM
) -> list[tuple[str, ...]]:
    """All ``order``-sets of the ``beam[order]`` best sources, each in ranking order (as in the
    released keys, e.g. ``reshade__edge3d__rgb2depth``), by increasing order. A ``beam[order]``
    below ``order`` (0, say) contributes no sets.

    >>> ranks = ["a", "b", "c", "d", "e", "f", "g"]
    >>> cands = beam_candidates(ranks)
    >>> len(cands), cands[0], cands[-1]
    (35, ('a', 'b'), ('c', 'd', 'e', 'f'))
    """
    if len(set(ranking)) != len(ranking):
        raise ValueError(f"the ranking lists a source twice: {list(ranking)}")
    out: list[tuple[str, ...]] = []
    for order, top in sorted(beam.items()):
        if order < 2 or top < 0:
            raise ValueError(f"beam entry {order}: {top} needs order >= 2 and top >= 0")
        out.extend(combinations(ranking[:top], order))
    return out

"""Error bars (issue #14): bootstrap intervals on the affinities, and how often the taxonomy's
choices survive a resampled test set.

The bootstrap stage resamples each target's test samples (whole buildings by default, since the
views of one building are not independent) into B replicates of every affinity
(``taskonomy_ahp.bootstrap_affinities``). The evaluation then solves the taxonomy on every
replicate and counts, per (budget, order), how often each root and each edge is chosen.

>>> s = Stability(budget=1, max_order=1, solved=4, roots=("a",),
...               root_frequency={"a": 0.75, "b": 0.25}, same_roots=0.75,
...               transfer_frequency={"c": 1.0}, edge_frequency={"a->c": 0.75, "b->c": 0.25})
>>> roots_sentence(s)
'Budget 1 (order <= 1): the same root in 75% of 4 replicates; a in 75% (instead: b 25%).'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

import taskonomy_ahp as ahp

from . import plots
from .analysis import split_key
from .report import Section
from .rundir import atomic_path, read_arrays, read_json, write_arrays, write_json

#: A root (or edge) chosen in at least this share of the replicates counts as stable.
STABLE = 0.95
#: Fewer groups (buildings) than this in a target's test set: resample samples instead.
MIN_GROUPS = 5
#: Competitors shown per target in the intervals figure.
SHOWN_PER_TARGET = 5


# -- the bootstrap stage -----------------------------------------------------------------------


def bootstrap_stage(
    losses: Mapping[str, Mapping[str, np.ndarray]],
    groups: Mapping[str, np.ndarray] | None,
    n_boot: int,
    seed: int,
    out: Path,
) -> dict[str, Any]:
    """Intervals on every affinity from `n_boot` replicates, resampling whole groups (buildings)
    of each target's test samples when `groups` is given; written under `out`.

    With fewer than `MIN_GROUPS` groups for some target a cluster bootstrap has too little to
    draw from, so samples are resampled instead (the summary says so)."""
    counts = {t: len(np.unique(g)) for t, g in (groups or {}).items()}
    if any(c < MIN_GROUPS for c in counts.values()):
        groups = None
    with tqdm(total=len(losses), desc="bootstrap", unit="target", leave=False) as bar:
        intervals = ahp.bootstrap_affinities(
            losses, n_boot, groups=groups, seed=seed, on_target=lambda _: bar.update()
        )
    save_intervals(intervals, out)
    return {"replicates": n_boot, "groups": counts, "by": "group" if groups else "sample"}


def save_intervals(intervals: ahp.AffinityIntervals, folder: Path) -> None:
    """``intervals.json`` (estimates, bounds, competitors), ``replicates.npz`` (B x m per
    target) and ``affinity_intervals.csv`` (one row per competitor)."""
    targets = list(intervals.competitors)
    write_json(
        folder / "intervals.json",
        {
            "targets": targets,  # the order of replicates.npz's arrays (the JSON sorts keys)
            "level": intervals.level,
            "estimate": intervals.estimate,
            "low": intervals.low,
            "high": intervals.high,
            "competitors": intervals.competitors,
        },
    )
    write_arrays(
        folder / "replicates.npz",
        **{f"t{i}": intervals.replicates[t] for i, t in enumerate(targets)},
    )
    with atomic_path(folder / "affinity_intervals.csv") as tmp, open(tmp, "w") as f:
        f.write("target,key,order,affinity,low,high\n")
        for row in intervals.rows():
            order = len(split_key(str(row["key"]))[0])
            f.write(
                f"{row['target']},{row['key']},{order},{row['affinity']:.6g},"
                f"{row['low']:.6g},{row['high']:.6g}\n"
            )


def load_intervals(folder: Path) -> ahp.AffinityIntervals:
    """The intervals that :func:`save_intervals` wrote."""
    info = read_json(folder / "intervals.json")
    arrays = read_arrays(folder / "replicates.npz")
    replicates = {t: arrays[f"t{i}"] for i, t in enumerate(info["targets"])}
    return ahp.AffinityIntervals(
        info["estimate"], info["low"], info["high"], info["level"], info["competitors"], replicates
    )


# -- the taxonomy on every replicate -----------------------------------------------------------


@dataclass(frozen=True)
class Stability:
    """How often the replicates' optimal taxonomies at one (budget, order) agree with the one
    solved on all test samples (`roots`)."""

    budget: int
    max_order: int
    solved: int  # replicates with a feasible solution
    roots: tuple[str, ...]
    root_frequency: dict[str, float]  # every task chosen as a root in some replicate
    same_roots: float  # share of replicates with exactly `roots`
    transfer_frequency: dict[str, float]  # per target: share choosing the same transfer
    edge_frequency: dict[str, float]  # "source->target": share with that edge


def replicate_stability(
    bip,
    problems: Sequence[Any],
    chosen: Mapping[tuple[int, int], tuple[tuple[str, ...], Mapping[str, str]]],
    time_limit: float | None,
) -> dict[tuple[int, int], Stability]:
    """Solve every replicate's problem at each (budget, order) of `chosen` and count how often
    its roots, transfers and edges (`chosen[budget, order] = (roots, choices)`) come back."""
    seen: dict[tuple[int, int], list[tuple[tuple[str, ...], dict[str, str]]]] = {
        k: [] for k in chosen
    }
    for problem in tqdm(problems, desc="taxonomies on replicates", unit="replicate", leave=False):
        taxonomy = bip.Taxonomy(problem)
        for budget, order in chosen:
            solution = taxonomy.solve(budget, order, time_limit)
            if solution.status in ("optimal", "time_limit") and solution.choices:
                seen[budget, order].append((tuple(solution.roots), dict(solution.choices)))
    return {k: _frequencies(k, chosen[k], seen[k]) for k in chosen}


def _frequencies(key, main, solutions) -> Stability:
    roots, choices = main
    n = max(len(solutions), 1)
    root_counts = Counter(r for rs, _ in solutions for r in rs)
    edge_counts = Counter(
        f"{source}->{target}"
        for _, cs in solutions
        for target, k in cs.items()
        if not k.startswith("self__")
        for source in split_key(k)[0]
    )
    return Stability(
        budget=key[0],
        max_order=key[1],
        solved=len(solutions),
        roots=tuple(sorted(roots)),
        root_frequency={t: c / n for t, c in root_counts.most_common()},
        same_roots=sum(set(rs) == set(roots) for rs, _ in solutions) / n,
        transfer_frequency={
            t: sum(cs.get(t) == k for _, cs in solutions) / n for t, k in sorted(choices.items())
        },
        edge_frequency={e: c / n for e, c in edge_counts.most_common()},
    )


def roots_sentence(s: Stability) -> str:
    """One sentence on how stable the roots at one budget are."""
    if not s.solved:
        return f"Budget {s.budget} (order <= {s.max_order}): no replicate has a feasible taxonomy."
    noun = "root" if len(s.roots) == 1 else f"{len(s.roots)} roots"
    text = (
        f"Budget {s.budget} (order <= {s.max_order}): the same {noun} in {s.same_roots:.0%} "
        f"of {s.solved} replicates"
    )
    stable = [r for r in s.roots if s.root_frequency.get(r, 0.0) >= STABLE]
    shaky = [r for r in s.roots if r not in stable]
    if stable and shaky:
        named = ", ".join(stable) if len(stable) <= 3 else f"{len(stable)} of them"
        text += f"; {named} in at least {STABLE:.0%}"
    elif stable:
        text += f"; {'it' if len(s.roots) == 1 else 'each'} in at least {STABLE:.0%}"
    if shaky:
        text += "; " + ", ".join(f"{r} in {s.root_frequency.get(r, 0.0):.0%}" for r in shaky)
    others = [t for t in s.root_frequency if t not in s.roots][:2]
    if others:
        shares = ", ".join(f"{t} {s.root_frequency[t]:.0%}" for t in others)
        text += f" ({'instead' if shaky else 'also'}: {shares})"
    return text + "."


def write_stability(path: Path, stability: Mapping[tuple[int, int], Stability]) -> None:
    write_json(path, [asdict(s) for s in stability.values()])


# -- the report --------------------------------------------------------------------------------


def intervals_section(
    intervals: ahp.AffinityIntervals,
    targets: Sequence[str],
    groups: Mapping[str, int],
    by_group: bool,
    out: Path,
    leave_out: Callable[[str], bool] = lambda key: False,
) -> Section:
    """The intervals figure, and per target whether its best source is told apart from the
    runner-up (the best's interval lies above the runner-up's)."""
    panels, rows, clear = {}, [], []
    for target in targets:
        keys = [
            k
            for k in intervals.competitors.get(target, [])
            if not leave_out(k) and target not in split_key(k)[0]  # not its own source
        ]
        if not keys:
            continue
        ranked = sorted(keys, key=lambda k: -intervals.estimate[k])
        panels[target] = [
            (_label(k), intervals.estimate[k], intervals.low[k], intervals.high[k])
            for k in ranked[:SHOWN_PER_TARGET]
        ]
        if len(ranked) < 2:
            continue
        best, second = ranked[0], ranked[1]
        apart = intervals.low[best] > intervals.high[second]
        clear.append(apart)
        rows.append(
            (
                target,
                _label(best),
                _interval(intervals, best),
                _label(second),
                _interval(intervals, second),
                "yes" if apart else "no",
            )
        )
    plots.interval_panels(
        panels,
        f"Affinities with {intervals.level:.0%} bootstrap intervals (top {SHOWN_PER_TARGET})",
        out / "affinity_intervals.png",
    )
    counts = sorted(set(groups.values()))
    span = str(counts[0]) if len(set(counts)) == 1 else f"{counts[0]}-{counts[-1]}"
    if by_group:
        unit = f"whole test buildings ({span} per target) drawn with replacement"
    elif counts:
        unit = (
            f"test samples drawn with replacement: with only {counts[0]} test building(s) for "
            f"some target (fewer than {MIN_GROUPS}) whole buildings cannot be drawn, so these "
            "intervals ignore that views of one building are alike, and are too narrow"
        )
    else:
        unit = "test samples drawn with replacement"
    few = by_group and counts[0] < 10
    return Section(
        "Error bars",
        verdicts=[
            (
                f"For {sum(clear)} of {len(clear)} targets the best source's interval lies above "
                "the runner-up's: there the data tell them apart.",
                sum(clear) > len(clear) / 2,
            )
        ],
        paragraphs=[
            f"Every affinity is recomputed on {intervals.n_boot} bootstrap replicates of the test "
            f"set, {unit}; the bars are the central {intervals.level:.0%} of the replicates "
            "(the tournaments are not rerun: replicate win counts are weighted sums over samples)."
            + (
                " With fewer than 10 buildings per target the intervals are coarse; "
                "more buildings narrow them."
                if few
                else ""
            ),
            "affinity_intervals.csv holds every competitor's interval.",
        ],
        figures=[("affinity_intervals.png", "Each target's best competitors, best first.")],
        tables=[
            (("target", "best", "interval", "runner-up", "interval", "apart"), rows),
        ],
    )


def stability_section(stability: Mapping[tuple[int, int], Stability], top_order: int) -> Section:
    """One sentence per budget on how stable the chosen roots are, and a table of them."""
    at_top = [s for (b, o), s in sorted(stability.items()) if o == top_order]
    n = max((s.solved for s in at_top), default=0)
    return Section(
        "Stability of the taxonomy",
        paragraphs=[
            f"The taxonomy is solved again on each of the {n} bootstrap replicates of the "
            "affinities; a root or transfer that the resampled test sets keep choosing is one "
            "the data support. The taxonomy graphs draw each edge as thick as the share of "
            "replicates that choose it.",
            *[roots_sentence(s) for s in at_top],
        ],
        tables=[
            (
                ("budget", "order", "roots", "same roots", "least stable root"),
                [
                    (
                        s.budget,
                        s.max_order,
                        " ".join(s.roots),
                        s.same_roots,
                        _least_stable(s),
                    )
                    for s in at_top
                ],
            )
        ],
    )


def _least_stable(s: Stability) -> str:
    if not s.roots:
        return ""
    root = min(s.roots, key=lambda r: s.root_frequency.get(r, 0.0))
    return f"{root} {s.root_frequency.get(root, 0.0):.0%}"


def _label(key: str) -> str:
    sources, _ = split_key(key)
    return " + ".join(sources)


def _interval(intervals: ahp.AffinityIntervals, key: str) -> str:
    return f"{intervals.estimate[key]:.3f} [{intervals.low[key]:.3f}, {intervals.high[key]:.3f}]"

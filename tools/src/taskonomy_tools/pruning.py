"""Pruning by the cheap estimates (issue #14): train only the k best-estimated first-order
readouts per target, and build the higher-order beam from them.

``[transfer] prune_top_k = k`` prunes the run itself. ``[estimates] prune_top_k = k`` (with the
full readouts trained) trains the pruned readouts and beam beside them, so the report can state
what pruning saves and what it costs: the readouts' wall time, and the regret of the pruned
run's taxonomy against the full run's at every budget.

>>> est = {"scores": {"logme": {"a__t": 0.1, "b__t": 0.9, "c__t": 0.5, "t__t": 2.0,
...                             "random__t": 0.0}}, "skipped": {}}
>>> kept_sources(est, ["t"], ["a", "b", "c", "t"], k=2, method="logme")
{'t': ['b', 'c']}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from .analysis import score_choices
from .report import Section


def kept_sources(
    estimates: Mapping[str, Any],
    targets: Sequence[str],
    sources: Sequence[str],
    k: int,
    method: str,
) -> dict[str, list[str]]:
    """Per target, the `k` sources (never the target itself) that `method` scores best; every
    source for a target the estimators cannot score."""
    if method not in estimates["scores"]:
        raise ValueError(
            f"[estimates] prune_by = {method!r} is not among the estimates computed "
            f"({sorted(estimates['scores'])}); add it to [estimates] methods"
        )
    scores = estimates["scores"][method]
    kept = {}
    for target in targets:
        candidates = [s for s in sources if s != target]
        if target in estimates.get("skipped", {}):
            kept[target] = candidates
            continue
        ranked = sorted(candidates, key=lambda s: (-scores[f"{s}__{target}"], s))
        kept[target] = ranked[:k]
    return kept


def compare_runs(
    bip,
    problem_of: Callable[[Mapping[str, float]], Any],
    full: Mapping[str, Mapping[str, float]],
    pruned: Mapping[str, Mapping[str, float]],
    budgets: Sequence[int],
    max_order: int,
    targets: Sequence[str],
    quality_targets: Sequence[str],
) -> dict[str, Any]:
    """Both runs' taxonomies at each budget: Gain and Quality (win rates, comparable across
    runs), and the regret of the pruned choices scored on the full run's affinities (NaN where
    the pruned beam chose a combination the full run did not train).

    `full` and `pruned` each hold ``affinities``, ``gain`` and ``quality`` (released-format).
    """
    rows = []
    solutions = {
        name: bip.sweep(
            problem_of(run["affinities"]), budgets=list(budgets), max_orders=[max_order]
        )
        for name, run in (("full", full), ("pruned", pruned))
    }
    for at_full, at_pruned in zip(solutions["full"], solutions["pruned"], strict=True):
        row: dict[str, Any] = {"budget": at_full.budget}
        for name, solution, run in (("full", at_full, full), ("pruned", at_pruned, pruned)):
            ok = solution.status in ("optimal", "time_limit") and bool(solution.choices)
            choices = dict(solution.choices) if ok else {}
            row[f"{name}_gain"] = score_choices(choices, run["gain"], targets) if ok else np.nan
            row[f"{name}_quality"] = (
                score_choices(choices, run["quality"], quality_targets) if ok else np.nan
            )
            row[f"{name}_choices"] = choices
        row["regret"] = _regret(full["affinities"], row["full_choices"], row["pruned_choices"])
        rows.append(row)
    return {"budgets": rows}


def _regret(affinities: Mapping[str, float], best: dict[str, str], chosen: dict[str, str]):
    """Share of the full optimum's summed affinity that the pruned choices lose."""
    if not best or not chosen or any(k not in affinities for k in chosen.values()):
        return float("nan")
    optimum = sum(affinities[k] for k in best.values())
    achieved = sum(affinities[k] for k in chosen.values())
    return float(max(0.0, (optimum - achieved) / optimum)) if optimum > 0 else float("nan")


def pruning_section(
    comparison: Mapping[str, Any],
    k: int,
    method: str,
    trained: tuple[int, int],
    seconds: tuple[float, float],
) -> Section:
    """The report's section: readouts and time saved, regret and Quality per budget.

    `trained` is (pruned, full) first-order readouts, `seconds` the same for the wall time of
    the readouts and the beam."""
    rows = comparison["budgets"]
    regrets = [r["regret"] for r in rows if np.isfinite(r["regret"])]
    drop = [r["full_quality"] - r["pruned_quality"] for r in rows]
    drop = [d for d in drop if np.isfinite(d)]
    saved = 1 - seconds[0] / seconds[1] if seconds[1] > 0 else float("nan")
    median = float(np.median(regrets)) if regrets else float("nan")
    worst = max(rows, key=lambda r: r["regret"] if np.isfinite(r["regret"]) else -1.0)
    return Section(
        f"Pruning by {method}",
        verdicts=[
            (
                f"Training only the {k} best-estimated sources per target took "
                f"{seconds[0]:.0f} s of readouts instead of {seconds[1]:.0f} s ({saved:.0%} "
                f"saved). Its taxonomy loses {median:.1%} of the full run's summed affinity at "
                f"the median budget (at most {worst['regret']:.1%}, at budget {worst['budget']}),"
                f" and its Quality is {_lower(np.mean(drop) if drop else float('nan'))} than "
                "the full run's on average.",
                bool(regrets) and median < 0.05,
            )
        ],
        paragraphs=[
            f"A second set of readouts was trained for real: per target only the {k} sources "
            f"that {method} scored best before any training ({trained[0]} first-order readouts "
            f"instead of {trained[1]}), the higher-order beam built from their tournament. Its "
            "taxonomy is solved on its own affinities and scored on the full run's (regret: the "
            "share of the full optimum's summed affinity lost; n/a where it chose a combination "
            "the full beam did not train), and by Gain and Quality, which are win rates and so "
            "comparable across the two runs. At small budgets a pruned run may have no source "
            f"that is among the {k} best of every target, so it falls back on weaker roots.",
        ],
        tables=[
            (
                ("budget", "regret", "Quality full", "Quality pruned", "Gain full", "Gain pruned"),
                [
                    (
                        r["budget"],
                        "n/a" if not np.isfinite(r["regret"]) else r["regret"],
                        r["full_quality"],
                        r["pruned_quality"],
                        r["full_gain"],
                        r["pruned_gain"],
                    )
                    for r in rows
                ],
            )
        ],
    )


def pruned_run_section(k: int, method: str, trained: int, full: int, seconds: float) -> Section:
    """The report's note on a run that was itself pruned (no full run to compare with)."""
    return Section(
        f"Pruned by {method}",
        paragraphs=[
            f"This run trained only the {k} sources per target that {method} scored best: "
            f"{trained} of the {full} first-order readouts ({trained / max(full, 1):.0%}), and "
            f"the higher-order beam from their tournament; the readouts took {seconds:.0f} s. "
            "Set [transfer] prune_top_k = 0 and [estimates] prune_top_k = k to train both and "
            "measure the time saved and the regret against the full run (and the estimators' "
            "agreement with the trained readouts, which needs every readout)."
        ],
    )


def _lower(drop: float) -> str:
    """'0.045 lower' / '0.010 higher' for a Quality drop."""
    return f"{drop:.3f} lower" if not drop < 0 else f"{-drop:.3f} higher"

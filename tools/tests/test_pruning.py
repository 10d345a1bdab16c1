"""Pruning by the estimates: which sources are kept, and how a pruned run is compared with the
full one."""

from __future__ import annotations

import math

import pytest

import taskonomy_bip as bip
from taskonomy_tools import pruning

ESTIMATES = {
    "scores": {
        "logme": {
            "a__t": 0.1,
            "b__t": 0.9,
            "c__t": 0.5,
            "t__t": 9.0,
            "random__t": 5.0,
            "a__c": 0.3,
            "b__c": 0.2,
            "t__c": 0.1,
            "c__c": 9.0,
        }
    },
    "skipped": {"u": "pixel_embedding targets have no estimate"},
}


def test_the_best_estimated_sources_are_kept_never_the_target_itself():
    kept = pruning.kept_sources(ESTIMATES, ["t", "c", "u"], ["a", "b", "c", "t"], 2, "logme")
    assert kept == {"t": ["b", "c"], "c": ["a", "b"], "u": ["a", "b", "c", "t"]}


def test_pruning_by_an_estimator_that_was_not_computed_is_named():
    with pytest.raises(ValueError, match="prune_by = 'hscore' is not among the estimates"):
        pruning.kept_sources(ESTIMATES, ["t"], ["a", "b"], 1, "hscore")


FULL = {
    "self__x": 0.5,
    "y__x": 0.3,
    "z__x": 0.2,
    "self__y": 0.6,
    "x__y": 0.3,
    "z__y": 0.1,
    "self__z": 0.2,
    "x__z": 0.7,
    "y__z": 0.1,
}


def _run(affinities):
    wins = {k: min(0.99, v + 0.3) for k, v in affinities.items()}
    return {"affinities": affinities, "gain": wins, "quality": wins}


def test_a_pruned_run_that_keeps_the_best_sources_has_no_regret():
    result = pruning.compare_runs(
        bip, bip.Problem.from_affinities, _run(FULL), _run(FULL), [1, 2, 3], 1, "xyz", "xyz"
    )
    for row in result["budgets"]:
        assert row["regret"] == 0.0 and row["full_choices"] == row["pruned_choices"]
        assert row["full_quality"] == row["pruned_quality"]


def test_a_pruned_run_without_the_best_source_pays_for_it():
    # The pruned run never trained x -> z: at budget 1 it cannot root x and reach z well.
    pruned = {k: v for k, v in FULL.items() if k != "x__z"} | {"y__z": 0.8}
    result = pruning.compare_runs(
        bip, bip.Problem.from_affinities, _run(FULL), _run(pruned), [1], 1, "xyz", "xyz"
    )
    (row,) = result["budgets"]
    assert row["full_choices"]["z"] == "x__z" and row["pruned_choices"]["z"] != "x__z"
    assert 0 < row["regret"] < 1
    optimum = sum(FULL[k] for k in row["full_choices"].values())
    achieved = sum(FULL[k] for k in row["pruned_choices"].values())
    assert row["regret"] == pytest.approx((optimum - achieved) / optimum)


def test_a_choice_the_full_run_never_trained_has_no_regret_figure():
    pruned = dict(FULL) | {"x__y__z": 0.9}
    result = pruning.compare_runs(
        bip, bip.Problem.from_affinities, _run(FULL), _run(pruned), [2], 2, "xyz", "xyz"
    )
    (row,) = result["budgets"]
    assert row["pruned_choices"]["z"] == "x__y__z" and math.isnan(row["regret"])
    section = pruning.pruning_section(result, 2, "logme", (6, 9), (3.0, 9.0))
    assert "67% saved" in section.verdicts[0][0]
    assert section.tables[0][1][0][1] == "n/a"

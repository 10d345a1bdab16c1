"""Estimates vs trained readouts: agreement, regret and pruning on known cases."""

from __future__ import annotations

import json

import numpy as np
import pytest

import taskonomy_bip as bip
from taskonomy_tools.estimates import compare, estimates_section, rank_transplant

SOURCES = ["a", "b", "c", "d"]
TARGETS = ["a", "b", "c", "d", "e"]


def _affinities(seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    out = {}
    for t in TARGETS:
        keys = [f"{s}__{t}" for s in [*SOURCES, "random"] if s != t]
        keys += ["self__" + t] if t in SOURCES else []
        keys += [f"{x}__{y}__{t}" for x in SOURCES for y in SOURCES if x < y and t not in (x, y)]
        values = rng.random(len(keys)) + 0.05
        out |= dict(zip(keys, values / values.sum(), strict=True))
    return out


def _estimates(affinities, how) -> dict:
    scores = {
        k: how(v) for k, v in affinities.items() if k.count("__") == 1 and not k.startswith("self")
    }
    return {"scores": {"oracle": scores}, "seconds": {"oracle": 0.1}, "skipped": {}}


def _nothing_lost(regret: float) -> bool:
    return bool(np.isnan(regret) or abs(regret) < 1e-12)  # NaN: that budget is infeasible


def _compare(affinities, estimates, k=2):
    return compare(bip, estimates, affinities, [*SOURCES, "random"], TARGETS, [1, 2, 3], k)


def test_an_estimator_that_orders_like_the_readouts_has_no_regret():
    affinities = _affinities()
    result = _compare(affinities, _estimates(affinities, lambda v: 10 * v))["methods"]["oracle"]
    assert result["spearman"] == pytest.approx(1.0)
    assert result["top1"] == 1.0 and result["top3"] == 1.0
    assert all(_nothing_lost(r) for r in result["regret"].values())


def test_a_reversed_estimator_is_caught():
    affinities = _affinities()
    result = _compare(affinities, _estimates(affinities, lambda v: -v))["methods"]["oracle"]
    assert result["spearman"] == pytest.approx(-1.0)
    assert result["top1"] == 0.0
    assert np.nanmax(list(result["regret"].values())) > 0.05


def test_pruning_to_every_source_loses_nothing_and_to_one_can():
    affinities = _affinities(1)
    full = _compare(affinities, _estimates(affinities, lambda v: -v), k=5)["methods"]["oracle"]
    assert all(
        r == pytest.approx(0.0, abs=1e-12) or np.isnan(r) for r in full["pruned_regret"].values()
    )
    one = _compare(affinities, _estimates(affinities, lambda v: -v), k=1)["methods"]["oracle"]
    assert np.nanmax(list(one["pruned_regret"].values())) > 0


def test_rank_transplant_keeps_the_trained_values():
    trained = {"x": 0.1, "y": 0.7, "z": 0.2}
    moved = rank_transplant({"x": 5, "y": 1, "z": 3}, trained)
    assert moved == {"x": 0.7, "z": 0.2, "y": 0.1}
    assert sorted(moved.values()) == sorted(trained.values())


def test_the_report_names_the_best_estimator():
    affinities = _affinities()
    estimates = _estimates(affinities, lambda v: v)
    estimates["scores"]["noise"] = {k: float(hash(k) % 97) for k in estimates["scores"]["oracle"]}
    estimates["seconds"]["noise"] = 0.2
    section = estimates_section(_compare(affinities, estimates), 12.0, 2)
    assert "oracle agreed best" in section.paragraphs[0]
    assert json.dumps(section.__dict__)  # the report stores sections as JSON

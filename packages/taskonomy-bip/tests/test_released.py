"""The authors' released numbers: safe loading, their default partition, solver agreement."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from taskonomy_bip import load_affinities, released_problem, sweep


def test_json_and_pickle_hold_the_same_numbers(released: Path) -> None:
    from_json = load_affinities(released / "json" / "all_affinities_16k.json")
    from_pickle = load_affinities(released / "results" / "affinities" / "all_affinities_16k.pkl")
    assert from_json.keys() == from_pickle.keys() and len(from_json) > 1000
    assert all(from_json[k] == pytest.approx(from_pickle[k], abs=1e-12) for k in from_json)


def test_the_default_partition(released: Path) -> None:
    p = released_problem(released / "json" / "all_affinities_16k.json")
    assert len(p.targets) == 22 and p.transform == "sqrt"
    assert set(p.source_only) == {"colorization", "impainting_whole", "jigsaw", "random"}
    assert p.unused == ("class_selected",) and not p.target_only
    assert len(p.sources) == 26
    assert all("class_selected" not in t.sources for t in p.transfers)
    assert all(1e-5 <= t.performance <= 1 for t in p.transfers)


class Evil:
    def __reduce__(self):
        return (os.getcwd, ())


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (Evil(), "refusing posix.getcwd"),
        ({"a__b": "0.5"}, "is not a number"),
        ({"a__b": np.arange(3)}, "refusing numpy"),
        ([0.5], "holds a list"),
        ({"a__b": float("nan")}, "is nan"),
    ],
)
def test_a_pickle_holding_anything_but_numbers_is_refused(
    tmp_path: Path, payload: object, message: str
) -> None:
    path = tmp_path / "affinities.pkl"
    path.write_bytes(pickle.dumps(payload))
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        load_affinities(path)


def test_unreadable_and_garbled_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        load_affinities(tmp_path / "missing.json")
    garbled = tmp_path / "bad.json"
    garbled.write_text("{not json")
    with pytest.raises(ValueError, match="is not an affinity file"):
        load_affinities(garbled)


@pytest.mark.slow
@pytest.mark.parametrize("size", ["16k", "1k"])
def test_glpk_and_highs_agree_on_every_budget_and_order(released: Path, size: str) -> None:
    pytest.importorskip("highspy")
    problem = released_problem(released / "json" / f"all_affinities_{size}.json")
    budgets, orders = range(1, 27), range(1, 6)
    glpk = sweep(problem, budgets, orders, solver="glpk")
    highs = sweep(problem, budgets, orders, solver="highs")
    assert len(glpk) == len(highs) == 130
    for a, b in zip(glpk, highs, strict=True):
        assert a.status == b.status == "optimal", (a.budget, a.max_order)
        assert a.objective == pytest.approx(b.objective, abs=1e-7), (a.budget, a.max_order)
    objective = np.array([s.objective for s in glpk]).reshape(26, 5)
    assert (np.diff(objective, axis=0) >= -1e-12).all()  # more budget never hurts
    assert (np.diff(objective, axis=1) >= -1e-12).all()  # nor does a higher maximum order


def test_win_rates_load_and_every_chosen_key_has_one(released: Path) -> None:
    wins = load_affinities(released / "results" / "winrates" / "wins_vs_task_16k.pkl")
    assert wins == pytest.approx(load_affinities(released / "json" / "wins_vs_task_16k.json"))
    assert all(0.0 <= v <= 1.0 for v in wins.values())
    problem = released_problem(released / "results" / "affinities" / "all_affinities_16k.pkl")
    for solution in sweep(problem, budgets=[2, 6, 12], max_orders=[1, 5]):
        assert solution.choices and all(key in wins for key in solution.choices.values())

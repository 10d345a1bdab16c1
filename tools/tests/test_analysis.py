from __future__ import annotations

import json
import math

import numpy as np
import pytest

from taskonomy_tools.analysis import (
    first_order_matrix,
    normalised_transfer_profiles,
    score_choices,
    split_key,
    task_tree,
)
from taskonomy_tools.evaluation import TASK_GROUPS


def test_split_key_rejects_malformed_keys() -> None:
    assert split_key("a__b__c") == (("a", "b"), "c")
    for bad in ("lonely", "a____b", "__t"):
        with pytest.raises(ValueError, match="transfer key"):
            split_key(bad)


def test_first_order_matrix_leaves_out_higher_orders_and_specials() -> None:
    aff = {"a__b": 0.5, "c__b": 0.2, "a__c__b": 0.1, "self__b": 0.2, "b__a": 0.9, "random__a": 0.1}
    matrix, targets, sources = first_order_matrix(aff)
    assert targets == ["a", "b"] and sources == ["a", "b", "c"]
    assert matrix[1].tolist()[0] == 0.5 and matrix[1, 2] == 0.2 and math.isnan(matrix[0, 0])


def test_profiles_are_standardised_per_target() -> None:
    profiles = normalised_transfer_profiles(np.array([[0.1, 0.2, 0.7], [0.5, np.nan, 0.5]]))
    assert np.allclose(profiles[0].mean(), 0) and np.allclose(profiles[0].std(), 1)
    assert np.isnan(profiles[1, 1]) and np.allclose(profiles[1, [0, 2]], 0)


def test_tree_joins_tasks_with_the_same_transfer_profile_first() -> None:
    # a and b transfer out alike, c and d alike, the two pairs differ.
    aff = {}
    for target, row in {
        "t1": (0.4, 0.4, 0.1, 0.1),
        "t2": (0.1, 0.1, 0.4, 0.4),
        "t3": (0.3, 0.3, 0.2, 0.2),
    }.items():
        for source, value in zip("abcd", row, strict=True):
            aff[f"{source}__{target}"] = value
    tree = task_tree(aff)
    assert frozenset("ab") in tree.clades() and frozenset("cd") in tree.clades()
    assert tree.separates({"x": "ab", "y": "cd"}) == {"x": [], "y": []}
    assert tree.separates({"x": "ac", "y": "bd"}) != {"x": [], "y": []}
    assert tree.group_agreement({"x": "ab", "y": "cd"}) == pytest.approx(1.0)
    assert tree.group_agreement({"x": "abc", "y": "d"}) < 1.0


def test_released_tree_separates_3d_2d_geometric_and_semantic(released_dir) -> None:
    aff = json.loads((released_dir / "json" / "all_affinities_16k.json").read_text())
    tree = task_tree(aff)
    assert len(tree.tasks) >= 24
    assert tree.separates(TASK_GROUPS) == {g: [] for g in TASK_GROUPS}
    assert tree.group_agreement(TASK_GROUPS) == pytest.approx(1.0)


def test_score_choices_refuses_to_drop_a_target() -> None:
    rates = {"a__t": 0.7, "self__u": 0.5}
    assert score_choices({"t": "a__t", "u": "self__u"}, rates, ["t", "u"]) == pytest.approx(0.6)
    with pytest.raises(ValueError, match="'u'"):
        score_choices({"t": "a__t"}, rates, ["t", "u"])

"""Building problems: released keys, roles, transforms, and one clear error per mistake."""

from __future__ import annotations

import math

import pytest

from taskonomy_bip import Problem, Transfer, demo_problem, reduce_problem, transform_affinity

AFFINITIES = {
    "self__a": 0.64,
    "b__a": 0.25,
    "c__b__a": 0.36,
    "self__b": 0.5,
    "a__b": 0.1,
    "random__a": 0.01,
    "c__d": 0.2,
}


def test_roles_and_defaults_follow_the_keys() -> None:
    p = Problem.from_affinities(AFFINITIES, source_only=["random"], target_only=["d"])
    assert p.targets == ("a", "b", "d")
    assert set(p.sources) == {"a", "b", "c", "random"}
    assert p.target_only == ("d",) and set(p.source_only) == {"c", "random"}
    assert p.self_value == {"a": 0.64, "b": 0.5}
    assert p.supervision_cost["c"] == 1.0 and p.importance["d"] == 1.0
    assert {t.key for t in p.transfers} == {"b__a", "c__b__a", "a__b", "random__a", "c__d"}


def test_sqrt_transform_is_applied_and_clipped() -> None:
    p = Problem.from_affinities({"self__a": 0.0, "b__a": 0.25}, transform="sqrt")
    assert p.self_value["a"] == 1e-5
    assert p.transfers[0].performance == 0.5
    assert transform_affinity(4.0, "sqrt") == 1.0
    assert transform_affinity(0.3, "identity") == 0.3


def test_unused_tasks_and_their_transfers_are_dropped() -> None:
    p = Problem.from_affinities(AFFINITIES, unused=["c"], target_only=["d"])
    assert "c" not in p.sources
    assert all("c" not in t.sources for t in p.transfers)
    assert p.unused == ("c",)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"targets": ["a", "zebra"]}, "unknown task(s) in targets: zebra"),
        ({"source_only": ["nope"]}, "unknown task(s) in source_only: nope"),
        ({"targets": ["a"], "source_only": ["a"]}, "both as targets and as source-only"),
        ({"transform": "log"}, "unknown transform 'log'"),
        ({"supervision_cost": {"a": -1.0}}, "costs must be finite and >= 0"),
        ({"importance": {"a": float("nan")}}, "importances must be finite"),
        ({"importance": {"c": 1.0}}, "importance (targets only)"),
    ],
)
def test_bad_options_name_the_problem(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        Problem.from_affinities(AFFINITIES, target_only=["d"], **kwargs)
    assert message in str(err.value)


def test_nan_performance_names_the_key() -> None:
    with pytest.raises(ValueError, match="b__a: value nan is not finite"):
        Problem.from_affinities({"self__a": 0.5, "b__a": math.nan})


def test_missing_self_value_is_explained() -> None:
    with pytest.raises(ValueError, match="no self value for a"):
        Problem.from_affinities({"b__a": 0.5})


def test_a_transfer_into_a_source_only_task_is_refused() -> None:
    with pytest.raises(ValueError, match="goes into b, which is source-only"):
        Problem(
            targets=("a",),
            sources=("a", "b"),
            self_value={"a": 1.0},
            transfers=(Transfer(("a",), "b", 0.3),),
        )


def test_a_transfer_from_an_unknown_source_is_refused() -> None:
    with pytest.raises(ValueError, match="uses z, not a source"):
        Problem(
            targets=("a",),
            sources=("a",),
            self_value={"a": 1.0},
            transfers=(Transfer(("z",), "a", 0.3),),
        )


def test_negative_transfer_cost_is_refused() -> None:
    with pytest.raises(ValueError, match="cost -2"):
        Problem(
            targets=("a",),
            sources=("a", "b"),
            self_value={"a": 1.0},
            transfers=(Transfer(("b",), "a", 0.3, cost=-2),),
        )


def test_dominance_removes_exactly_the_dominated_and_loops() -> None:
    _, report = reduce_problem(demo_problem())
    # autoencoder__rgb2sfnorm -> class_1000 (0.35) is dominated by autoencoder -> class_1000 (0.4);
    # rgb2sfnorm -> rgb2sfnorm can never be chosen.
    assert (report.before, report.dominated, report.self_loops) == (9, 1, 1)
    reduced, _ = reduce_problem(demo_problem())
    keys = {t.key for t in reduced.transfers}
    assert "autoencoder__rgb2sfnorm__class_1000" not in keys
    assert "rgb2sfnorm__autoencoder__rgb2depth" in keys  # better than both its subsets
    assert "rgb2sfnorm__rgb2sfnorm" not in keys

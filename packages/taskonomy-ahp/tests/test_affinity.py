"""Affinity tables and win rates over a dictionary of targets, and the released numbers."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

import taskonomy_ahp as ahp


def synthetic(seed: int = 0, n: int = 2000) -> dict[str, dict[str, np.ndarray]]:
    """Two targets; each competitor's loss is the sample's difficulty plus its own noise level."""
    rng = np.random.default_rng(seed)
    out = {}
    for target, sources in {
        "depth": ["edge2d", "normal", "autoencoder"],
        "normal": ["depth"],
    }.items():
        difficulty = rng.gamma(2.0, 1.0, n)
        keys = [f"self__{target}", f"random__{target}", f"pixels__{target}", f"{target}__{target}"]
        keys += [f"{s}__{target}" for s in sources] + [f"{sources[0]}__{sources[-1]}__{target}"]
        out[target] = {
            key: difficulty * (1 + rng.exponential(0.2 + 0.3 * k, n)) for k, key in enumerate(keys)
        }
    return out


def test_affinities_sum_to_one_per_target_in_the_released_format():
    losses = synthetic()
    table = ahp.affinity_table(losses)
    assert set(table.affinities) == {k for t in losses.values() for k in t} - {
        "pixels__depth",
        "pixels__normal",
    }
    totals = defaultdict(float)
    for key, value in table.affinities.items():
        totals[ahp.key_target(key)] += value
    assert totals == pytest.approx({"depth": 1.0, "normal": 1.0}, abs=1e-12)
    # Less noise, more affinity: self (the least noisy) wins each tournament.
    for target in losses:
        best = max(table.competitors[target], key=table.affinities.get)
        assert best == f"self__{target}"
        assert 0 <= table.consistency_ratio[target] < 1


def test_affinity_equals_the_tournament_priorities():
    losses = synthetic()["depth"]
    keys = [k for k in losses if not k.startswith("pixels")]
    w = ahp.tournament(np.stack([losses[k] for k in keys]))
    expected = ahp.priorities(ahp.ratio_matrix(w))
    table = ahp.affinity_table({"depth": losses})
    np.testing.assert_allclose([table.affinities[k] for k in keys], expected, rtol=1e-12)
    np.testing.assert_array_equal(table.win_fractions["depth"], w)
    assert table.consistency_ratio["depth"] == pytest.approx(
        ahp.consistency_ratio(ahp.ratio_matrix(w), "alonso_lamata2006")
    )


def test_first_order_matrix_and_long_rows():
    table = ahp.affinity_table(synthetic())
    matrix, targets, sources = table.first_order()
    assert targets == ["depth", "normal"]
    assert sources == sorted(["autoencoder", "depth", "edge2d", "normal", "random", "self"])
    assert matrix[0, sources.index("edge2d")] == table.affinities["edge2d__depth"]
    assert matrix[1, sources.index("self")] == table.affinities["self__normal"]
    assert np.isnan(matrix[1, sources.index("edge2d")])
    picked, _, _ = table.first_order(sources=["self", "random"], targets=["normal"])
    assert picked.shape == (1, 2)
    rows = table.rows()
    assert len(rows) == len(table.affinities)
    second = next(r for r in rows if r["key"] == "edge2d__autoencoder__depth")
    assert second["order"] == 2 and second["sources"] == ["edge2d", "autoencoder"]
    assert second["target"] == "depth" and second["affinity"] == table.affinities[second["key"]]


def test_incomplete_tournaments_are_completed():
    losses = {
        "t": {
            "a__t": np.array([1.0, 2.0, np.nan, np.nan]),
            "b__t": np.array([2.0, 3.0, 1.0, 2.0]),
            "c__t": np.array([np.nan, np.nan, 2.0, 3.0]),
        }
    }
    table = ahp.affinity_table(losses)
    assert np.isnan(table.win_fractions["t"][0, 2])
    a, b, c = (table.affinities[k] for k in ("a__t", "b__t", "c__t"))
    assert a > b > c and a + b + c == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("losses", "message"),
    [
        ({"t": {"a__u": [1, 2], "b__t": [1, 2]}}, "'a__u' is listed under target 't'"),
        ({"t": {"t": [1, 2], "b__t": [1, 2]}}, "'t' is listed under target 't'"),
        ({"t": {"a__t": [1, 2], "b__t": [1, 2, 3]}}, r"'b__t' have shape \(3,\)"),
        ({"t": {"a__t": [[1, 2]], "b__t": [1, 2]}}, r"'a__t' have shape \(1, 2\)"),
        ({"t": {"a__t": [1, 2]}}, "at least two"),
        ({"t": {"a__t": [1, 2], "pixels__t": [1, 2]}}, "at least two"),
    ],
)
def test_affinity_table_rejects_bad_input(losses, message):
    with pytest.raises(ValueError, match=message):
        ahp.affinity_table(losses)


def test_unclipped_affinities_explain_the_fix():
    with pytest.raises(ValueError, match=r"target 't': win fraction.*clip"):
        ahp.affinity_table({"t": {"a__t": [1, 2], "b__t": [2, 3]}}, clip=None)


def test_win_rates_against_a_reference():
    losses = {
        "t": {
            "self__t": np.array([1.0, 2.0, 3.0, 4.0]),
            "a__t": np.array([0.0, 2.0, 4.0, np.nan]),
            "pixels__t": np.array([9.0, 9.0, 9.0, 0.0]),
        }
    }
    quality = ahp.win_rates(losses, "self")
    assert quality == {"self__t": 0.5, "a__t": 1 / 3, "pixels__t": 0.25}
    gain = ahp.win_rates(losses, "pixels")
    assert gain == {"self__t": 0.75, "a__t": 1.0, "pixels__t": 0.5}
    with pytest.raises(ValueError, match="no reference competitor 'random__t'"):
        ahp.win_rates(losses, "random")


def test_our_conventions_reproduce_the_released_relation_on_synthetic_losses():
    losses = synthetic(seed=3, n=4000)
    table = ahp.affinity_table(losses)
    quality = ahp.win_rates(losses, "self")
    x, y = relation(table.affinities, quality)
    assert np.corrcoef(x, y)[0, 1] > 0.9


def relation(affinities: dict[str, float], quality: dict[str, float]):
    """logit(Quality win rate) and log(a_s / a_self) for every non-self competitor."""
    keys = [k for k in affinities if not k.startswith("self__")]
    q = np.clip([quality[k] for k in keys], 0.001, 0.999)
    a_self = np.array([affinities[f"self__{ahp.key_target(k)}"] for k in keys])
    return np.log(q / (1 - q)), np.log(np.array([affinities[k] for k in keys]) / a_self)


def test_released_affinities_follow_the_ordinal_normalisation(released):
    affinities = released("all_affinities_16k")
    quality = released("wins_vs_task_16k")
    totals = defaultdict(float)
    for key, value in affinities.items():
        totals[ahp.key_target(key)] += value
    assert len(totals) == 22
    assert all(v == pytest.approx(1.0, abs=1e-9) for v in totals.values())
    assert all(quality[f"self__{t}"] == 0.5 for t in totals)
    x, y = relation(affinities, quality)
    slope = np.polyfit(x, y, 1)[0]
    assert np.corrcoef(x, y)[0, 1] > 0.9  # TASKONOMY.md: ~0.92
    assert 0.9 < slope < 1.3  # ~1.1


def test_a_large_tournament_is_never_refused_for_its_consistency():
    rng = np.random.default_rng(5)
    losses = {"t": {f"s{k}__t": rng.random(300) * (1 + k / 50) for k in range(130)}}
    table = ahp.affinity_table(losses)
    assert np.isfinite(table.consistency_ratio["t"])
    assert sum(table.affinities.values()) == pytest.approx(1.0)
    assert table.affinities["s0__t"] > table.affinities["s129__t"]


def test_a_competitor_without_any_valid_sample_is_named():
    losses = {"t": {"a__t": [1.0, 2.0], "b__t": [2.0, 1.0], "c__t": [np.nan, np.nan]}}
    with pytest.raises(ValueError, match=r"target 't': alternatives \[2\] are not linked"):
        ahp.affinity_table(losses)

"""Bootstrap intervals: each replicate must equal a tournament run on the resampled losses."""

from __future__ import annotations

import numpy as np
import pytest

import taskonomy_ahp as ahp


def losses_with_ties_and_nan(m: int = 7, n: int = 300, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, n)) + np.linspace(0, 1, m)[:, None]
    x[:, ::17] = np.round(x[:, ::17])  # ties
    x[rng.random((m, n)) < 0.02] = np.nan
    x[2, :40] = -0.0  # signed zeros tie with +0.0
    x[3, :20] = 0.0
    return x


@pytest.mark.parametrize("chunk", [1, 64, 4096])
def test_weighted_counts_with_unit_weights_are_the_tournament_counts(chunk):
    x = losses_with_ties_and_nan()
    wins, valid = ahp.weighted_win_counts(x, np.ones((1, x.shape[1]), int), chunk_samples=chunk)
    expected_wins, expected_valid = ahp.win_counts(x)
    np.testing.assert_array_equal(wins[0], expected_wins)
    np.testing.assert_array_equal(valid[0], expected_valid)


def test_weighted_counts_equal_counts_of_the_repeated_samples():
    x = losses_with_ties_and_nan(n=500)
    weights = ahp.resample_weights(x.shape[1], 5, seed=3)
    wins, valid = ahp.weighted_win_counts(x, weights, chunk_samples=128)
    for b in range(5):
        resampled = np.repeat(x, weights[b], axis=1)
        expected_wins, expected_valid = ahp.win_counts(resampled)
        np.testing.assert_array_equal(wins[b], expected_wins)
        np.testing.assert_array_equal(valid[b], expected_valid)


def test_each_replicate_is_the_affinity_table_of_its_resampled_test_set():
    x = losses_with_ties_and_nan(m=6, n=400)
    keys = ["self__depth", "edge2d__depth", "normal__depth", "edge2d__normal__depth"]
    keys += ["random__depth", "pixels__depth"]
    losses = {"depth": dict(zip(keys, x, strict=True))}
    ci = ahp.bootstrap_affinities(losses, n_boot=6, seed=5)
    weights = ahp.resample_weights(x.shape[1], 6, seed=5)
    assert ci.competitors["depth"] == keys[:-1]  # the Gain reference is left out
    for b in range(6):
        resampled = {"depth": {k: np.repeat(v, weights[b]) for k, v in losses["depth"].items()}}
        expected = ahp.affinity_table(resampled).affinities
        np.testing.assert_allclose(list(ci.replicate(b).values()), list(expected.values()), 1e-9)
    assert ci.estimate == ahp.affinity_table(losses).affinities
    assert all(ci.low[k] <= ci.high[k] for k in ci.estimate)


def test_cluster_bootstrap_draws_whole_groups():
    groups = np.repeat(np.arange(6), 50)
    weights = ahp.resample_weights(300, 40, groups=groups, seed=1)
    per_group = weights.reshape(40, 6, 50)
    assert (per_group == per_group[:, :, :1]).all()
    assert (per_group[:, :, 0].sum(axis=1) == 6).all()


def test_clustered_losses_get_wider_intervals_with_groups_than_without():
    """Buildings with their own difficulty for one competitor: samples of a building are not
    independent, so the cluster bootstrap must widen the interval."""
    rng = np.random.default_rng(0)
    buildings = np.repeat(np.arange(8), 250)
    shift = rng.normal(scale=1.0, size=8)[buildings]
    losses = {
        "depth": {
            "self__depth": rng.normal(size=2000),
            "edge2d__depth": rng.normal(size=2000) + shift,
            "random__depth": rng.normal(size=2000) + 3,
        }
    }
    plain = ahp.bootstrap_affinities(losses, n_boot=200)
    clustered = ahp.bootstrap_affinities(losses, n_boot=200, groups=buildings)
    plain_width, clustered_width = (
        ci.high["edge2d__depth"] - ci.low["edge2d__depth"] for ci in (plain, clustered)
    )
    assert clustered_width > 3 * plain_width


def test_intervals_narrow_with_more_samples_and_cover_the_estimate():
    rng = np.random.default_rng(1)
    widths = []
    for n in (200, 3200):
        losses = {"t": {f"s{i}__t": rng.normal(size=n) + 0.1 * i for i in range(5)}}
        ci = ahp.bootstrap_affinities(losses, n_boot=300, level=0.9)
        assert ci.level == 0.9 and ci.n_boot == 300
        assert all(ci.low[k] <= ci.estimate[k] <= ci.high[k] for k in ci.estimate)
        widths.append(ci.high["s0__t"] - ci.low["s0__t"])
    assert 2.5 < widths[0] / widths[1] < 6.5  # about sqrt(16) = 4


def test_targets_with_the_same_samples_share_the_draws():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 100))
    losses = {t: {f"s{i}__{t}": x[i] for i in range(3)} for t in ("a", "b")}
    ci = ahp.bootstrap_affinities(losses, n_boot=20)
    np.testing.assert_array_equal(ci.replicates["a"], ci.replicates["b"])
    rows = ci.rows()
    assert len(rows) == 6 and {"target", "key", "affinity", "low", "high"} <= set(rows[0])


def test_released_scale_tournament_matches_unit_weights_at_83_competitors():
    rng = np.random.default_rng(3)
    x = rng.gamma(2.0, 1.0, 1500) * (1 + rng.exponential(rng.uniform(0.1, 1, (83, 1)), (83, 1500)))
    wins, _ = ahp.weighted_win_counts(x, np.ones((2, 1500), np.int64))
    np.testing.assert_array_equal(wins[1], ahp.win_counts(x)[0])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ahp.resample_weights(0), "n_samples"),
        (lambda: ahp.resample_weights(5, 0), "n_boot"),
        (lambda: ahp.resample_weights(5, groups=[1, 2]), "one label per sample"),
        (lambda: ahp.weighted_win_counts([[1, 2], [2, 1]], [[1, 1, 1]]), "replicates x samples"),
        (lambda: ahp.weighted_win_counts([[1, 2], [2, 1]], [[1, -1]]), "non-negative integers"),
        (lambda: ahp.weighted_win_counts([[1, 2], [2, 1]], [[0.5, 1]]), "non-negative integers"),
        (lambda: ahp.weighted_win_counts([[1, 2]], [[1, 1]]), "two competitors"),
        (
            lambda: ahp.bootstrap_affinities({"t": {"a__t": [1, 2], "b__t": [2, 1]}}, level=95),
            "level",
        ),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()

"""Tournaments from per-sample losses: exact counts, ties, NaN, clipping, chunking."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import taskonomy_ahp as ahp


def brute_force(losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    losses = np.asarray(losses, dtype=float)
    ok = ~np.isnan(losses)
    wins = (losses[:, None, :] < losses[None, :, :]).sum(axis=2)
    return wins, (ok[:, None, :] & ok[None, :, :]).sum(axis=2)


loss_values = st.one_of(
    st.integers(-3, 3).map(float),
    st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-300, 5e-324]),
    st.floats(-1e6, 1e6, allow_nan=False),
)
loss_arrays = st.tuples(st.integers(2, 9), st.integers(1, 300)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=loss_values)
)


@settings(max_examples=150, deadline=None)
@given(loss_arrays, st.sampled_from([1, 7, 2040, 100_000]))
def test_win_counts_equal_the_brute_force_count(losses, chunk_samples):
    wins, valid = ahp.win_counts(losses, chunk_samples=chunk_samples)
    expected_wins, expected_valid = brute_force(losses)
    np.testing.assert_array_equal(wins, expected_wins)
    np.testing.assert_array_equal(valid, expected_valid)


@pytest.mark.parametrize("shape", [(2, 1), (3, 4), (5, 3000)])
@pytest.mark.parametrize("order", ["C", "F"])
def test_the_losses_are_left_untouched(shape, order):
    losses = np.asarray(np.random.default_rng(0).normal(size=shape), order=order)
    losses[0, 0] = -0.0
    before = losses.copy()
    ahp.win_counts(losses)
    np.testing.assert_array_equal(losses, before)
    assert np.signbit(losses[0, 0])


def test_nearly_equal_losses_are_ordered_exactly():
    base = np.random.default_rng(0).random(5000)
    losses = np.stack([base, np.nextafter(base, 2), base, np.nextafter(base, -1)])
    wins, _ = ahp.win_counts(losses)
    np.testing.assert_array_equal(wins, brute_force(losses)[0])
    assert wins[0, 1] == 5000 and wins[0, 2] == 0 and wins[3, 0] == 5000


@pytest.mark.parametrize("m", [2, 83, 300])
def test_many_competitors_and_a_few_ties(m):
    rng = np.random.default_rng(m)
    losses = rng.random((m, 700))
    losses[:, ::50] = np.round(losses[:, ::50], 1)  # some samples with ties
    losses[rng.random(losses.shape) < 0.01] = np.nan
    wins, valid = ahp.win_counts(losses)
    expected_wins, expected_valid = brute_force(losses)
    np.testing.assert_array_equal(wins, expected_wins)
    np.testing.assert_array_equal(valid, expected_valid)


transforms = st.sampled_from(
    [lambda x: 2 * x + 1, lambda x: x**3, lambda x: np.exp(x / 7), lambda x: np.tanh(x / 100)]
)


@settings(max_examples=100, deadline=None)
@given(
    st.tuples(st.integers(2, 8), st.integers(1, 200)).flatmap(
        lambda shape: arrays(
            np.float64,
            shape,
            elements=st.one_of(st.integers(-50, 50).map(float), st.just(np.nan)),
        )
    ),
    transforms,
)
def test_tournament_is_invariant_to_strictly_increasing_transforms(losses, transform):
    np.testing.assert_array_equal(
        ahp.tournament(transform(losses), clip=None), ahp.tournament(losses, clip=None)
    )
    np.testing.assert_array_equal(ahp.tournament(transform(losses)), ahp.tournament(losses))


def test_win_fractions_ties_and_diagonal():
    losses = [[1, 2, 3, 4], [1, 1, 5, 0], [9, 9, 9, 9]]
    w = ahp.tournament(losses, clip=None)
    np.testing.assert_array_equal(np.diag(w), 0.5)
    assert w[0, 1] == 0.25 and w[1, 0] == 0.5  # one tie: a win for neither
    assert w[0, 2] == 1.0 and w[2, 0] == 0.0
    clipped = ahp.tournament(losses)
    assert clipped[0, 2] == 0.999 and clipped[2, 0] == 0.001
    assert ahp.tournament(losses, clip=(0.1, 0.9))[2, 0] == 0.1


def test_nan_samples_are_left_out_of_that_pair_only():
    losses = [[1, 1, np.nan], [2, 0, 0], [np.nan, np.nan, 3]]
    w = ahp.tournament(losses, clip=None)
    assert w[0, 1] == 0.5  # samples 0 and 1 only
    assert w[1, 2] == 1.0  # sample 2 only
    assert np.isnan(w[0, 2]) and np.isnan(w[2, 0])  # no common sample


def test_all_ties_give_equal_priorities():
    w = ahp.tournament(np.ones((4, 100)))
    assert (w[~np.eye(4, dtype=bool)] == 0.001).all()
    np.testing.assert_allclose(ahp.priorities(ahp.ratio_matrix(w)), 0.25)


def test_ratio_matrix_is_w_over_w_transpose():
    w = ahp.tournament(np.random.default_rng(1).random((5, 50)))
    r = ahp.ratio_matrix(w)
    off = ~np.eye(5, dtype=bool)
    np.testing.assert_allclose(r[off], (w / w.T)[off])
    np.testing.assert_array_equal(np.diag(r), 1.0)
    ahp.validate_matrix(r)


def test_ratio_matrix_refuses_unclipped_zeros():
    w = ahp.tournament([[1, 2], [3, 4]], clip=None)
    with pytest.raises(ValueError, match=r"win fraction \(0, 1\) = 1.0 .*clip"):
        ahp.ratio_matrix(w)
    with pytest.raises(ValueError, match="square"):
        ahp.ratio_matrix([0.5])


@pytest.mark.parametrize(
    ("losses", "kwargs", "message"),
    [
        ([[1.0, 2.0]], {}, "2 to 65,536 competitors"),
        ([1.0, 2.0], {}, "2-D"),
        (np.zeros((3, 0)), {}, "no samples"),
        ([["a", "b"], ["c", "d"]], {}, "numbers"),
        ([[1.0], [2.0]], {"clip": (0.5, 0.2)}, "clip must be"),
        ([[1.0], [2.0]], {"chunk_samples": 0}, "chunk_samples must be positive"),
    ],
)
def test_bad_losses_raise_one_clear_error(losses, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ahp.tournament(losses, **kwargs)


class ChunkRecorder:
    """An array-like (like a zarr array) that records which column ranges were read."""

    def __init__(self, data: np.ndarray) -> None:
        self.data, self.shape, self.widths = data, data.shape, []

    def __getitem__(self, key):
        part = self.data[key]
        self.widths.append(part.shape[1])
        return part


def test_large_inputs_are_read_chunk_by_chunk():
    data = np.random.default_rng(2).random((6, 10_000)).astype(np.float32)
    source = ChunkRecorder(data)
    w = ahp.tournament(source, chunk_samples=3000)
    assert max(source.widths) <= 3000 and sum(source.widths) == 10_000
    np.testing.assert_array_equal(w, ahp.tournament(data.astype(np.float64)))

"""Tournaments at Taskonomy's scale, against the plain vectorised count, side by side; and a
200 x 100,000 tournament's peak memory. Run with
`.venv/bin/pytest packages/taskonomy-ahp/benchmarks --benchmark-only`.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import taskonomy_ahp as ahp

TARGETS, COMPETITORS, SAMPLES = 22, 83, 17_356  # the original's 16k test set


@pytest.fixture(scope="module")
def taskonomy_scale() -> list[np.ndarray]:
    """Per-target losses: sample difficulty times per-competitor noise, like real losses."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(TARGETS):
        difficulty = rng.gamma(2.0, 1.0, SAMPLES)
        quality = rng.uniform(0.1, 1.0, (COMPETITORS, 1))
        out.append(difficulty * (1 + rng.exponential(quality, (COMPETITORS, SAMPLES))))
    return out


def plain_tournament(losses: np.ndarray) -> np.ndarray:
    """The plain vectorised version: count_nonzero over the sample axis, row by row."""
    m = len(losses)
    wins = np.empty((m, m))
    for i in range(m):
        wins[i] = np.count_nonzero(losses[i] < losses, axis=1)
    w = np.clip(wins / losses.shape[1], 0.001, 0.999)
    np.fill_diagonal(w, 0.5)
    return w


def rate(benchmark) -> str:
    """Pairwise comparisons per second: m * m * n per target (the diagonal included)."""
    return f"{TARGETS * COMPETITORS * COMPETITORS * SAMPLES / benchmark.stats.stats.min:.3g}"


def test_tournament_plain_baseline(benchmark, taskonomy_scale):
    benchmark.group = "tournament, 22 x 83 x 17,356"
    result = benchmark.pedantic(
        lambda: [plain_tournament(x) for x in taskonomy_scale], rounds=3, iterations=1
    )
    benchmark.extra_info["comparisons per second"] = rate(benchmark)
    np.testing.assert_array_equal(result[0], ahp.tournament(taskonomy_scale[0]))


def test_tournament_ours(benchmark, taskonomy_scale):
    benchmark.group = "tournament, 22 x 83 x 17,356"
    benchmark.pedantic(lambda: [ahp.tournament(x) for x in taskonomy_scale], rounds=3, iterations=1)
    benchmark.extra_info["comparisons per second"] = rate(benchmark)


def test_tournament_200_by_100k_peak_memory(benchmark):
    losses = np.random.default_rng(1).random((200, 100_000))
    benchmark.group = "tournament, 200 x 100,000"

    def run():
        tracemalloc.start()
        w = ahp.tournament(losses)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return w, peak

    w, peak = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["input MB"] = round(losses.nbytes / 2**20, 1)
    benchmark.extra_info["peak MB allocated by tournament()"] = round(peak / 2**20, 1)
    assert w.shape == (200, 200)

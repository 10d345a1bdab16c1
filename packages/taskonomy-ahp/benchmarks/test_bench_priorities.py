"""Priorities and CR of 10x10 and 50x50 matrices: taskonomy-ahp against AHPy, side by side.

Both start from the same dictionary of judgements {(a, b): x}, AHPy's only input form; AHPy runs
with its defaults (precision 4, Donegan & Dodd's random index). Run with
`.venv/bin/pytest packages/taskonomy-ahp/benchmarks --benchmark-only`.
"""

from __future__ import annotations

import numpy as np
import pytest

import taskonomy_ahp as ahp

SCALE = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])


def judgements(n: int, seed: int = 0) -> dict[tuple[str, str], float]:
    """Near-consistent judgements on Saaty's scale, as a careful decision maker gives them."""
    rng = np.random.default_rng([n, seed])
    w = rng.uniform(1, 9, n)
    names = [f"option {i}" for i in range(n)]
    out = {}
    for i in range(n):
        for j in range(i + 1, n):
            ratio = w[i] / w[j] * np.exp(rng.normal(0, 0.2))
            out[names[i], names[j]] = float(SCALE[np.argmin(np.abs(np.log(SCALE / ratio)))])
    return out


@pytest.mark.parametrize("n", [10, 50])
def test_ahpy_baseline(benchmark, n):
    ahpy = pytest.importorskip("ahpy")
    comparisons = judgements(n)
    benchmark.group = f"priorities and CR, {n}x{n}"
    result = benchmark(lambda: ahpy.Compare("bench", comparisons))
    assert np.isfinite(result.consistency_ratio)


@pytest.mark.parametrize("n", [10, 50])
def test_ours_from_judgements(benchmark, n):
    comparisons = judgements(n)
    benchmark.group = f"priorities and CR, {n}x{n}"

    def run():
        matrix, _ = ahp.from_judgements(comparisons)
        return ahp.evaluate(matrix, random_index="donegan_dodd1991")

    assert np.isfinite(benchmark(run).consistency_ratio)


@pytest.mark.parametrize("n", [10, 50])
def test_ours_from_matrix(benchmark, n):
    matrix, _ = ahp.from_judgements(judgements(n))
    benchmark.group = f"priorities and CR, {n}x{n}"
    result = benchmark(lambda: ahp.evaluate(matrix, random_index="donegan_dodd1991"))
    assert np.isfinite(result.consistency_ratio)


def test_ahpy_baseline_many_10x10(benchmark):
    ahpy = pytest.importorskip("ahpy")
    many = [judgements(10, seed) for seed in range(100)]
    benchmark.group = "priorities and CR, 100 matrices 10x10"
    benchmark(lambda: [ahpy.Compare("bench", c).consistency_ratio for c in many])


def test_ours_many_10x10_as_one_stack(benchmark):
    stack = np.stack([ahp.from_judgements(judgements(10, seed))[0] for seed in range(100)])
    benchmark.group = "priorities and CR, 100 matrices 10x10"
    result = benchmark(lambda: ahp.evaluate(stack, random_index="donegan_dodd1991"))
    assert result.priorities.shape == (100, 10)

"""Bootstrap intervals (B = 200) at the demo's scale and at the original's, 22 x 83 x 17,356,
against re-running the tournament on each resampled test set (timed on a few replicates and
scaled to 200). Run with
`.venv/bin/pytest packages/taskonomy-ahp/benchmarks/test_bench_bootstrap.py --benchmark-only`.
"""

from __future__ import annotations

import numpy as np
import pytest

import taskonomy_ahp as ahp

B = 200
SCALES = {
    # the demo: 10 targets, 14 first-order sources + random + self + a beam of 12, 2 x 64 test
    "demo, 10 x 28 x 128": (10, 28, 128),
    "original, 22 x 83 x 17,356": (22, 83, 17_356),
}


def losses(targets: int, competitors: int, samples: int) -> dict[str, dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    out = {}
    for t in range(targets):
        difficulty = rng.gamma(2.0, 1.0, samples)
        quality = rng.uniform(0.1, 1.0, (competitors, 1))
        x = difficulty * (1 + rng.exponential(quality, (competitors, samples)))
        out[f"t{t}"] = {f"s{i}__t{t}": row for i, row in enumerate(x)}
    return out


@pytest.fixture(scope="module", params=list(SCALES))
def scale(request):
    return request.param, losses(*SCALES[request.param])


def test_bootstrap_weighted_counts(benchmark, scale):
    name, data = scale
    benchmark.group = f"bootstrap B={B}, {name}"
    result = benchmark.pedantic(
        lambda: ahp.bootstrap_affinities(data, n_boot=B), rounds=1, iterations=1
    )
    assert result.n_boot == B


def test_bootstrap_rerun_tournaments(benchmark, scale):
    """The naive way: resample, then affinity_table, per replicate; 5 replicates timed, the
    stats are per replicate (multiply by 200 for B = 200)."""
    name, data = scale
    benchmark.group = f"bootstrap B={B}, {name}"
    n = len(next(iter(next(iter(data.values())).values())))
    weights = ahp.resample_weights(n, 5)

    def rerun():
        for w in weights:
            ahp.affinity_table(
                {t: {k: np.repeat(v, w) for k, v in d.items()} for t, d in data.items()}
            )

    benchmark.pedantic(rerun, rounds=1, iterations=1)
    benchmark.extra_info["scaled to B=200 (s)"] = benchmark.stats.stats.min / 5 * B

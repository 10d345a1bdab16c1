"""Chunk and shard sizes for epoch reads: 10,000 64x64 samples (RGB + depth + normals).

Run: .venv/bin/pytest packages/taskonomy-data/benchmarks/test_layout.py --benchmark-only
Chose ``default_layout``: long chunks read faster; shards bound the memory of one write.
"""

from __future__ import annotations

import numpy as np
import pytest

from taskonomy_data import EpochReader, create_store

N, RES = 10_000, 64
TASKS = ["rgb", "rgb2depth", "rgb2sfnorm"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:RES, 0:RES] / RES
    a = rng.random((N, 3, 1, 1))
    base = np.sin(6 * (a[:, 0] * x + a[:, 1] * y)) * 0.5 + 0.5
    return {
        "rgb": np.stack([base, base * a[:, 2], 1 - base], axis=1).astype(np.float32),
        "rgb2depth": (1 + 5 * a[:, 2] * (x + y))[:, None].astype(np.float32),
        "rgb2sfnorm": np.stack([np.sin(base), np.cos(base), 0 * base], axis=1).astype(np.float32),
    }


@pytest.mark.parametrize(("chunk", "shard"), [(64, 512), (256, 1024), (512, 2048), (1024, 1024)])
def test_epoch_read_by_layout(benchmark, data, tmp_path, chunk, shard):
    store = create_store(
        str(tmp_path / "s.zarr"),
        resolution=RES,
        tasks=TASKS,
        splits={"train": {"samples": N}},
        chunk_samples=chunk,
        shard_samples=shard,
    )
    ids = np.stack([np.zeros(N, int), np.arange(N), np.zeros(N, int)], axis=1)
    store.write_dask("train", data, ids=ids)
    reader = EpochReader(store, "train", TASKS, batch_size=64)
    benchmark.pedantic(lambda: sum(len(b["index"]) for b in reader), rounds=3, warmup_rounds=1)
    benchmark.extra_info["samples_per_s"] = N / benchmark.stats.stats.mean

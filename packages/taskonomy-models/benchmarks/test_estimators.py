"""Cheap estimators vs training the first-order readouts, at the demo's scale, side by side.

Run: .venv/bin/pytest packages/taskonomy-models/benchmarks/test_estimators.py --benchmark-only
Demo scale (tools' defaults): 32 px images, tiny encoder (4x4x8 codes), 512 transfer samples,
readouts trained 12 epochs in batches of 64; 14 sources per target. Per target, one group:
each estimator over every source, all three together, and ``train_readouts`` of the 14
first-order readouts (one batched model, then test losses on 128 samples). BENCHMARKS.md
reports the ratios. TASKONOMY_BENCH_PX=64 for 8x8x8 codes.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from taskonomy_models import ENCODERS, TrainConfig, estimate_transferability, train_readouts
from taskonomy_models._tasks import TaskSpec

PX = int(os.environ.get("TASKONOMY_BENCH_PX", "32"))
SOURCES, TRAIN, TEST, EPOCHS, BATCH = 14, 512, 128, 12, 64
DEPTH = TaskSpec("depth", "pixel_regression", 1, "l1")
SCENE = TaskSpec("scene", "classes", 10, "cross_entropy")


@pytest.fixture(scope="module", autouse=True)
def threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def data():
    """Random correlated codes per source (white noise would make Ledoit-Wolf shrink fully,
    see ``hscore``); targets a noisy linear function of source s0's codes."""
    rng = np.random.default_rng(0)
    h = PX // ENCODERS["tiny"].stride
    n, d = TRAIN + TEST, 8 * h * h

    def codes() -> np.ndarray:
        mix = rng.standard_normal((d, d)) * (0.9 ** np.arange(d))[:, None] / 3
        return (rng.standard_normal((n, d)) @ mix).reshape(n, 8, h, h).astype(np.float16)

    reps = {f"s{i}": codes() for i in range(SOURCES)}
    cells = reps["s0"].astype(np.float32).repeat(PX // h, 2).repeat(PX // h, 3)
    depth = np.einsum("nchw,c->nhw", cells, rng.standard_normal(8))[:, None]
    depth += 0.3 * rng.standard_normal(depth.shape)
    scene = (reps["s0"].reshape(n, -1) @ rng.standard_normal((d, 10))).argmax(1)
    return reps, {DEPTH: depth.astype(np.float32), SCENE: scene.astype(np.int64)}


def _split(reps, labels, part):
    cut = slice(0, TRAIN) if part == "train" else slice(TRAIN, None)
    return {s: r[cut] for s, r in reps.items()}, labels[cut]


@pytest.mark.parametrize("task", [DEPTH, SCENE], ids=["pixels", "classes"])
@pytest.mark.parametrize("how", ["logme", "hscore", "ridge", "all three", "train_readouts"])
def test_estimators_vs_readouts(benchmark, data, task, how):
    benchmark.group = f"estimators vs readouts: {task.name} ({task.kind})"
    reps, labels = data
    train, y = _split(reps, labels[task], "train")
    benchmark.extra_info.update(sources=SOURCES, samples=TRAIN, px=PX)
    if how == "train_readouts":
        test, y_test = _split(reps, labels[task], "test")
        config = TrainConfig(epochs=EPOCHS, batch_size=BATCH, progress=False, threads=2)
        comps = [(s,) for s in reps]
        run = lambda: train_readouts(task, comps, train, y, test, y_test, config=config)  # noqa: E731
        benchmark.pedantic(run, rounds=2, warmup_rounds=0)
        return
    methods = ["logme", "hscore", "ridge"] if how == "all three" else [how]

    def run():
        return {m: estimate_transferability(task, train, y, method=m) for m in methods}

    scores = benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    for per_source in scores.values():
        assert max(per_source, key=per_source.get) == "s0"

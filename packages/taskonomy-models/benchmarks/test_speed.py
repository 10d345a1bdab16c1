"""Side-by-side speed measurements at the demo size (64x64 images, tiny encoder, 2 threads).

Run: .venv/bin/pytest packages/taskonomy-models/benchmarks --benchmark-only
Each group compares two ways of doing the same work; BENCHMARKS.md reports the ratios.
Set TASKONOMY_BENCH_PX=128 or 256 (and a GPU) for the larger sizes.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from taskonomy_models import (
    ENCODERS,
    TrainConfig,
    build_network,
    extract_representations,
    train_readouts,
    train_task_network,
)
from taskonomy_models._device import prepare, resolve_device, to_input
from taskonomy_models._readouts import Readout
from taskonomy_models._tasks import TaskSpec
from taskonomy_models._train import per_sample

PX = int(os.environ.get("TASKONOMY_BENCH_PX", "64"))
SIZE = os.environ.get("TASKONOMY_BENCH_SIZE", "tiny")
THREADS = 2
DEVICE = resolve_device("auto")
DEPTH = TaskSpec("depth", "pixel_regression", 1, "l1")
SCENE = TaskSpec("scene", "classes", 10, "cross_entropy")


def images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, 3, PX, PX), dtype=np.float32)


def depth_labels(x: np.ndarray) -> np.ndarray:
    return x.mean(1, keepdims=True)


def scene_labels(x: np.ndarray) -> np.ndarray:
    return (x.mean((1, 2, 3)).argsort().argsort() % 10).astype(np.int64)


@pytest.fixture(scope="module", autouse=True)
def threads():
    before = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    yield
    torch.set_num_threads(before)


# --- 1. readout training from cached representations vs the frozen encoder every step -------

N_READOUT, BATCH = 256, 32


def _readout_steps(task, source_batches, labels: torch.Tensor, code_size, groups: int) -> None:
    """One epoch of ``groups`` readouts of ``task`` (one grouped model) by Adam."""
    torch.manual_seed(0)
    ups = int(np.log2(ENCODERS[SIZE].stride))
    readout = prepare(Readout(task, 8, code_size, ups, SIZE, groups), DEVICE, True)
    opt = torch.optim.Adam(readout.parameters(), 1e-3)
    for i, x in enumerate(source_batches()):
        y = labels[i * BATCH : (i + 1) * BATCH].to(DEVICE)
        pred = readout(to_input(x, True))
        yy = y.unsqueeze(0).expand(groups, *y.shape).flatten(0, 1)
        loss = per_sample(task, pred.flatten(0, 1), yy, None)[0].mean() * groups
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.fixture(scope="module")
def transfer():
    x = images(N_READOUT)
    nets = [build_network(DEPTH, SIZE, (PX, PX), seed=i).eval().to(DEVICE) for i in range(14)]
    reps = [torch.from_numpy(extract_representations(n, x, device=str(DEVICE))) for n in nets]
    labels = {DEPTH: depth_labels(x), SCENE: scene_labels(x)}
    return nets, torch.from_numpy(x), reps, {t: torch.from_numpy(y) for t, y in labels.items()}


@pytest.mark.benchmark(group="readout epoch: cached representations vs frozen encoders")
@pytest.mark.parametrize("source", ["cached", "encoder"])
@pytest.mark.parametrize("readouts", [1, 14])
@pytest.mark.parametrize("task", [DEPTH, SCENE], ids=["pixels", "classes"])
def test_readout_epoch(benchmark, transfer, task, readouts, source):
    """One readout, or the 14 first-order readouts of a target batched (14 source encoders)."""
    nets, x, reps, labels = transfer

    def batches():
        for i in range(0, N_READOUT, BATCH):
            if source == "cached":
                codes = [r[i : i + BATCH].to(DEVICE).float() for r in reps[:readouts]]
            else:
                xb = to_input(x[i : i + BATCH].to(DEVICE), True)
                with torch.no_grad():
                    codes = [net.encode(xb) for net in nets[:readouts]]
            yield torch.cat(codes, 1)

    benchmark.extra_info["samples"] = N_READOUT
    args = (task, batches, labels[task], nets[0].code_size, readouts)
    benchmark.pedantic(_readout_steps, args, rounds=3, warmup_rounds=1)


# --- 2. all first-order readouts of one target: one batched model vs one by one -------------

N_SOURCES, N_TRAIN, N_TEST = 14, 256, 64


@pytest.fixture(scope="module")
def first_order():
    rng = np.random.default_rng(0)
    h = PX // ENCODERS[SIZE].stride
    names = [f"s{i}" for i in range(N_SOURCES)]
    train = {s: rng.standard_normal((N_TRAIN, 8, h, h)).astype(np.float16) for s in names}
    test = {s: rng.standard_normal((N_TEST, 8, h, h)).astype(np.float16) for s in names}
    xtr, xte = images(N_TRAIN, 1), images(N_TEST, 2)
    labels = {
        DEPTH: (depth_labels(xtr), depth_labels(xte)),
        SCENE: (scene_labels(xtr), scene_labels(xte)),
    }
    return names, train, test, labels


CONFIG = TrainConfig(size=SIZE, epochs=1, batch_size=BATCH, progress=False, threads=THREADS)


@pytest.mark.benchmark(group="first-order readouts of one target: batched vs one by one")
@pytest.mark.parametrize("mode", ["batched", "one_by_one"])
@pytest.mark.parametrize("task", [DEPTH, SCENE], ids=["pixels", "classes"])
def test_first_order_readouts(benchmark, first_order, task, mode):
    names, train, test, labels = first_order
    ytr, yte = labels[task]

    def run():
        groups = [names] if mode == "batched" else [[s] for s in names]
        for group in groups:
            train_readouts(task, [(s,) for s in group], train, ytr, test, yte, config=CONFIG)

    benchmark.extra_info["readouts"] = N_SOURCES
    benchmark.pedantic(run, rounds=2, warmup_rounds=1)


# --- 3. task-specific training throughput, channels_last on and off --------------------------

N_TASK = 128


@pytest.mark.benchmark(group=f"task network training {PX}x{PX} {SIZE}: channels_last")
@pytest.mark.parametrize("channels_last", [True, False], ids=["channels_last", "nchw"])
@pytest.mark.parametrize("task", [DEPTH, SCENE], ids=["pixels", "classes"])
def test_task_training(benchmark, task, channels_last):
    x = images(N_TASK)
    y = depth_labels(x) if task is DEPTH else scene_labels(x)
    config = TrainConfig(
        size=SIZE,
        epochs=1,
        batch_size=BATCH,
        channels_last=channels_last,
        progress=False,
        threads=THREADS,
    )
    benchmark.extra_info["images"] = N_TASK
    benchmark.pedantic(
        train_task_network, (task, x, y), {"config": config}, rounds=3, warmup_rounds=1
    )

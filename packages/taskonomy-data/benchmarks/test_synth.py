"""Synthetic generator speed: fully labelled samples per second on one core, and where it goes.

Run: .venv/bin/pytest packages/taskonomy-data/benchmarks/test_synth.py --benchmark-only -s
Measures only (no time asserts); the numbers go into BENCHMARKS.md. Target: >= 100 fully
labelled 64x64 samples/s per core.
"""

from __future__ import annotations

import time

import pytest

from taskonomy_data import task_names
from taskonomy_data.synth import synthesize
from taskonomy_data.synth._render import render_plan_views, view_tasks
from taskonomy_data.synth._views import plan_building

POINTS, VIEWS = 16, 4
SAMPLES = [(p, v) for p in range(POINTS) for v in range(VIEWS)]  # 64 views of one building


@pytest.fixture(scope="module")
def plans():
    return [plan_building(0, b, POINTS, VIEWS) for b in range(2)]


def _render(plans, resolution, tasks=None):
    for plan in plans:
        render_plan_views(plan, SAMPLES, resolution, tasks)


@pytest.mark.parametrize("resolution", [64, 128])
def test_fully_labelled_samples_per_second(benchmark, plans, resolution):
    _render(plans[:1], resolution)  # warm caches (ray grids, imports)
    benchmark.pedantic(_render, args=(plans, resolution), rounds=3, iterations=1)
    rate = len(plans) * len(SAMPLES) / benchmark.stats.stats.mean
    benchmark.extra_info["samples_per_second"] = rate
    print(f"\n{resolution} px: {rate:.1f} fully labelled samples/s (one core)")


def _seconds(plans, resolution, tasks, rounds=3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        _render(plans, resolution, tasks)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("resolution", [64])
def test_share_of_time_per_task(benchmark, plans, resolution):
    """Cost of each task's label over rendering RGB alone (ray casting + shading = 'rgb')."""
    base = _seconds(plans, resolution, [])
    extra = {"rgb": base}
    for task in view_tasks(task_names())[1:]:
        extra[task] = max(_seconds(plans, resolution, [task]) - base, 0.0)
    total = sum(extra.values())
    benchmark.pedantic(_render, args=(plans, resolution, []), rounds=1, iterations=1)
    benchmark.extra_info["share"] = {k: v / total for k, v in extra.items()}
    print(f"\nshare of time per task at {resolution} px (sum of parts {total:.2f} s):")
    for task, seconds in sorted(extra.items(), key=lambda kv: -kv[1]):
        print(f"  {task:16s} {100 * seconds / total:5.1f} %")


def test_synthesize_into_a_store(benchmark, tmp_path):
    """End to end at 64 px, one process: rendering, encoding, compression, writing, pairs."""
    runs = iter(range(100))

    def run():
        synthesize(str(tmp_path / f"s{next(runs)}.zarr"), buildings=2, resolution=64,
                   scheduler="sync", progress=False)  # fmt: skip

    benchmark.pedantic(run, rounds=2, iterations=1)
    rate = 2 * POINTS * VIEWS / benchmark.stats.stats.mean
    benchmark.extra_info["samples_per_second"] = rate
    print(f"\nsynthesize, 64 px, sync: {rate:.1f} samples/s into the store")

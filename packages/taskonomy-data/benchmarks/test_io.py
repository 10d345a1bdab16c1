"""Zarr store vs PNG files in the original layout: 10,000 64x64 samples (RGB + depth + normals).

Run: .venv/bin/pytest packages/taskonomy-data/benchmarks/test_io.py --benchmark-only -s
Each test records samples/s in extra_info; the session prints the rates side by side as ratios.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from taskonomy_data import EpochReader, create_store, open_store
from taskonomy_data._release import CODECS, DOMAIN_BY_FOLDER

N, RES, PNG_N = 10_000, 64, 2_000
TASKS = ["rgb", "rgb2depth", "rgb2sfnorm"]
RATES: dict[str, float] = {}
MEMORY: dict[str, float] = {}


def _scene(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Smooth, compressible images like rendered ones (noise would defeat every codec alike)."""
    y, x = np.mgrid[0:RES, 0:RES] / RES
    a = rng.random((n, 4, 1, 1))
    base = np.sin(6 * (a[:, 0] * x + a[:, 1] * y)) * 0.5 + 0.5
    rgb = np.stack([base, base * a[:, 2], 1 - base], axis=1)
    depth = (1 + 5 * a[:, 3] * (x + y))[:, None]
    normal = np.stack([np.sin(base), np.cos(base), base * 0], axis=1) * 0.99
    return {
        "rgb": np.rint(rgb * 255).astype(np.float32) / 255,
        "rgb2depth": depth.astype(np.float32),
        "rgb2sfnorm": normal.astype(np.float32),
    }


def _write_zarr(url: str, data: dict[str, np.ndarray]) -> None:
    store = create_store(url, resolution=RES, tasks=TASKS, splits={"train": {"samples": N}})
    ids = np.stack([np.zeros(N, int), np.arange(N) // 5, np.arange(N) % 5], axis=1)
    store.write_dask("train", data, ids=ids)


def _write_png(root: Path, data: dict[str, np.ndarray], n: int) -> None:
    for i in range(n):
        stem = f"point_{i // 5}_view_{i % 5}_domain_"
        raws = {
            "rgb": np.rint(data["rgb"][i].transpose(1, 2, 0) * 255).astype(np.uint8),
            "depth_zbuffer": np.rint(data["rgb2depth"][i, 0] * 512).astype(np.uint16),
            "normal": np.rint(data["rgb2sfnorm"][i].transpose(1, 2, 0) * 128 + 127).astype(
                np.uint8
            ),
        }
        for domain, raw in raws.items():
            folder = root / "b0" / domain
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(raw).save(folder / f"{stem}{domain}.png")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("io")
    data = _scene(np.random.default_rng(0), N)
    _write_zarr(str(root / "store.zarr"), data)
    _write_png(root / "png", data, PNG_N)
    yield root, data
    print("\nsamples/s:", {k: round(v) for k, v in RATES.items()})
    for which in ("", " (best round)"):
        png = RATES.get("read png (random order)" + which)
        if png:
            ratios = {
                k: round(v / png, 2)
                for k, v in RATES.items()
                if ("read" in k and k.endswith(which or "call")) or k.endswith("reader")
            }
            print(f"ratio to PNG reads{which}:", ratios)
    if RATES.get("write png"):
        print("zarr write / png write:", round(RATES["write zarr (dask)"] / RATES["write png"], 2))
    print("peak MiB:", MEMORY)


def _record(benchmark, name: str, samples: int) -> None:
    RATES[name] = samples / benchmark.stats.stats.mean
    RATES[name + " (best round)"] = samples / benchmark.stats.stats.min
    benchmark.extra_info["samples_per_s"] = RATES[name]


def _peak(fn) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return round(peak / 2**20, 1)


def test_read_png(benchmark, dataset):
    root, _ = dataset
    order = np.random.default_rng(1).permutation(PNG_N)
    folders = {d: root / "png" / "b0" / d for d in ("rgb", "depth_zbuffer", "normal")}
    codecs = {d: CODECS[DOMAIN_BY_FOLDER[d].codec] for d in folders}
    channels = {"rgb": 3, "depth_zbuffer": 1, "normal": 3}

    def epoch():
        for i in order:
            stem = f"point_{i // 5}_view_{i % 5}_domain_"
            for domain, folder in folders.items():
                with Image.open(folder / f"{stem}{domain}.png") as image:
                    codecs[domain].from_file(np.asarray(image), channels[domain])

    benchmark.pedantic(epoch, rounds=3, iterations=1, warmup_rounds=1)
    _record(benchmark, "read png (random order)", PNG_N)


def test_read_epoch_reader(benchmark, dataset):
    root, data = dataset
    reader = EpochReader(str(root / "store.zarr"), "train", TASKS, batch_size=64)

    def epoch():
        batch = None
        for batch in reader:  # noqa: B007 - only the last batch is kept, to check it
            pass
        return batch

    last = benchmark.pedantic(epoch, rounds=5, iterations=1, warmup_rounds=1)
    np.testing.assert_array_equal(last["rgb"], data["rgb"][last["index"]])
    _record(benchmark, "read zarr epoch reader", N)
    # A fresh reader: the timed one keeps its buffers between epochs, which would hide them.
    fresh = EpochReader(str(root / "store.zarr"), "train", TASKS, batch_size=64)
    MEMORY["epoch reader"] = _peak(lambda: [None for _ in fresh])


def test_read_zarr_one_sample_per_call(benchmark, dataset):
    root, _ = dataset
    store = open_store(str(root / "store.zarr"))
    order = np.random.default_rng(2).permutation(N)[:1000]

    def reads():
        for i in order:
            store.read("train", TASKS, [int(i)])

    benchmark.pedantic(reads, rounds=2, iterations=1)
    _record(benchmark, "read zarr one sample per call", len(order))


def test_write_zarr(benchmark, dataset, tmp_path):
    _, data = dataset
    counter = iter(range(100))
    benchmark.pedantic(
        lambda: _write_zarr(str(tmp_path / f"w{next(counter)}.zarr"), data), rounds=2, iterations=1
    )
    _record(benchmark, "write zarr (dask)", N)
    MEMORY["zarr write"] = _peak(lambda: _write_zarr(str(tmp_path / "peak.zarr"), data))


def test_write_png(benchmark, dataset, tmp_path):
    _, data = dataset
    counter = iter(range(100))
    benchmark.pedantic(
        lambda: _write_png(tmp_path / f"p{next(counter)}", data, PNG_N), rounds=2, iterations=1
    )
    _record(benchmark, "write png", PNG_N)

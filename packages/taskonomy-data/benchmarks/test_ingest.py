"""Ingest rate of the release layout with every domain present, against decoding the same files.

Run: .venv/bin/pytest packages/taskonomy-data/benchmarks/test_ingest.py --benchmark-only -s
A synthetic store (every task) is exported in the release layout once; then (a) ``ingest`` with
Dask's threaded scheduler on 2 workers (scan, point_info, multi-view tasks, decode, encode,
write) and (b) one loop that only opens and decodes the same files. Views/s and their ratio go
to BENCHMARKS.md with the projection for the tiny split and the whole release.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

from taskonomy_data import export, ingest
from taskonomy_data._release import CODECS, DOMAIN_BY_FOLDER

BUILDINGS = 4
RATES: dict[str, float] = {}


@pytest.fixture(scope="module", params=[64, 128], ids=lambda r: f"{r}px")
def release(request, tmp_path_factory):
    from taskonomy_data.synth import synthesize

    root = tmp_path_factory.mktemp(f"ingest{request.param}")
    store = synthesize(
        str(root / "s.zarr"), buildings=BUILDINGS, resolution=request.param, progress=False
    )
    out = export(store, root / "release")
    yield request.param, out, sum(store.samples(s) for s in store.splits)
    res = request.param
    if f"ingest {res}" in RATES and f"decode {res}" in RATES:
        ratio = RATES[f"ingest {res}"] / RATES[f"decode {res}"]
        rates = f"ingest {RATES[f'ingest {res}']:.0f}, decode loop {RATES[f'decode {res}']:.0f}"
        print(f"\n{res} px views/s: {rates} (2 workers vs 1 thread): ratio {ratio:.2f}")


def test_ingest_views_per_second(benchmark, release, tmp_path):
    res, out, views = release
    targets = iter(range(100))

    def run():
        url = tmp_path / f"in{next(targets)}.zarr"
        ingest(out, str(url), scheduler="threads", split=out / "train_val_test_export.csv")
        shutil.rmtree(url)

    from dask import config

    with config.set(num_workers=2):
        benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=1)
    RATES[f"ingest {res}"] = views / benchmark.stats.stats.mean
    benchmark.extra_info["views_per_s"] = RATES[f"ingest {res}"]


def test_decode_the_same_files_in_a_loop(benchmark, release):
    res, out, views = release
    files = [p for p in out.rglob("point_*") if p.is_file()]

    def decode():
        for path in files:
            domain = DOMAIN_BY_FOLDER[path.parent.name]
            if domain.ext == "json":
                json.loads(path.read_text())
            elif domain.ext == "npy":
                np.load(path)
            else:
                with Image.open(path) as image:
                    pixels = np.asarray(image)
                if domain.codec:
                    CODECS[domain.codec].from_file(pixels, 1)

    benchmark.pedantic(decode, rounds=3, iterations=1, warmup_rounds=1)
    RATES[f"decode {res}"] = views / benchmark.stats.stats.mean
    benchmark.extra_info["views_per_s"] = RATES[f"decode {res}"]
    assert len(files) == views * 18  # 16 task files, point_info and mask_valid per view

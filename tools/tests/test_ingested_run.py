"""The method on the original dataset's layout: the tiny profile's synthetic data exported in
the release layout, ingested back (``[dataset] kind = "ingest"``), with a task Taskonomy does
not have declared in the configuration (``[tasks.coarse_depth]``, half-resolution depth)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from taskonomy_data import export, open_store
from taskonomy_tools import config
from taskonomy_tools.pipeline import run_pipeline

COARSE = {"kind": "dense", "channels": 1, "encoding": "depth16", "loss": "l1"}


def _tiny(**dataset):
    base = config.profile("tiny")
    return config.build({"dataset": dataset}, base)


def _write_coarse_depth(release: Path) -> int:
    """A new domain in the release layout: depth at half resolution, 16-bit PNG."""
    written = 0
    for depth in release.glob("*/depth_zbuffer/*_domain_depth_zbuffer.png"):
        pixels = np.asarray(Image.open(depth))
        half = pixels.reshape(pixels.shape[0] // 2, 2, pixels.shape[1] // 2, 2).max(axis=(1, 3))
        folder = depth.parent.parent / "coarse_depth"
        folder.mkdir(exist_ok=True)
        name = depth.name.replace("depth_zbuffer", "coarse_depth")
        Image.fromarray(half.astype(np.uint16)).save(folder / name)
        written += 1
    return written


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("ingested")
    original = run_pipeline(_tiny(), root / "original", log=lambda m: None).parent.parent
    store = open_store(json.loads((original / "dataset/_done.json").read_text())["store"])
    release = export(store, root / "release")
    assert _write_coarse_depth(release) == sum(store.samples(s) for s in store.splits)
    cfg = config.build(
        {
            "dataset": {"kind": "ingest", "source": str(release)},
            "tasks": {
                "targets": [*config.profile("tiny").tasks.targets, "coarse_depth"],
                "coarse_depth": COARSE,
            },
        },
        _tiny(split=str(release / "train_val_test_export.csv")),
    )
    ingested = run_pipeline(cfg, root / "ingested", log=lambda m: None).parent.parent
    return original, ingested


def _affinities(run: Path) -> dict[str, float]:
    return json.loads((run / "affinities" / "affinities.json").read_text())


def test_an_ingested_copy_gives_the_same_affinities(runs):
    original, ingested = runs
    a, b = _affinities(original), _affinities(ingested)
    # Every file round-trips exactly (curvature, the one lossy file, is not in the tiny
    # profile) and so do the pose labels; point matching's negatives are drawn anew by the same
    # rule, so its affinities differ and it is left out of the comparison.
    same = {k: v for k, v in a.items() if not k.endswith("__point_match")}
    assert same and all(k in b for k in same)
    np.testing.assert_allclose([b[k] for k in same], list(same.values()), rtol=0, atol=1e-9)
    # Its first-order transfers are all there; its beam (higher orders) follows its ranking.
    first = {k for k in a if k.endswith("__point_match") and k.count("__") == 1}
    assert first == {k for k in b if k.endswith("__point_match") and k.count("__") == 1}


def test_a_task_declared_in_the_configuration_is_ingested_and_ranked(runs):
    _, ingested = runs
    store = open_store(json.loads((ingested / "dataset/_done.json").read_text())["store"])
    spec = store.spec("coarse_depth")
    assert spec.encoding == "depth_uint16" and spec.kind == "dense"
    batch = store.read("train", ["coarse_depth", "rgb2depth"], [0])
    assert batch["coarse_depth"].shape == batch["rgb2depth"].shape  # resized to the store's size
    affinities = {k: v for k, v in _affinities(ingested).items() if k.endswith("__coarse_depth")}
    sources = {k.split("__")[0] for k in affinities if k.count("__") == 1}
    assert {"rgb2depth", "random"} <= sources and "coarse_depth" not in sources
    assert sum(affinities.values()) == pytest.approx(1.0)
    first_order = {k: v for k, v in affinities.items() if k.count("__") == 1}
    assert max(first_order.values()) > first_order["random__coarse_depth"]
    html = (ingested / "report" / "index.html").read_text()
    assert "targets with no network of their own" in html and "coarse_depth (dense" in html

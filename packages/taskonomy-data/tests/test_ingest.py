import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from taskonomy_data import BadFileError, check_store, ingest, open_store, read_split_csv
from taskonomy_data._ingest import default_splits_dir

needs_released_splits = pytest.mark.skipif(
    not (default_splits_dir() / "train_val_test_tiny.csv").is_file(),
    reason="the released building splits (../shared/taskonomy-2018) are absent",
)

RES = 16
# hanson: train, wiconisco: val, ihlen: test in the released "tiny" split.
BUILDINGS = ("hanson", "wiconisco", "ihlen")


def _point_info(rng):
    return {
        "vanishing_points_gaussian_sphere": {a: rng.random(3).tolist() for a in "xyz"},
        "bounding_box_ranges": {a: sorted(rng.random(2).tolist()) for a in "xyz"},
        "camera_location": rng.random(3).tolist(),
        "camera_rotation_final": rng.random(3).tolist(),
        "field_of_view_rads": 1.18,
        "point_location": rng.random(3).tolist(),
    }


def make_layout(root: Path, downloader: bool = False, seed: int = 0) -> dict:
    """A tiny original layout written with PIL; returns the raw arrays by (building, p, v)."""
    rng = np.random.default_rng(seed)
    truth = {}
    for building in BUILDINGS:
        for point in range(2):
            for view in range(3):
                raw = {
                    "rgb": rng.integers(0, 256, (RES, RES, 3), dtype=np.uint8),
                    "depth_zbuffer": rng.integers(0, 65536, (RES, RES)).astype(np.uint16),
                    "normal": rng.integers(0, 256, (RES, RES, 3), dtype=np.uint8),
                    "segment_semantic": rng.integers(0, 18, (RES, RES), dtype=np.uint8),
                    "edge_texture": rng.integers(0, 65536, (RES, RES)).astype(np.uint16),
                }
                truth[building, point, view] = raw
                files = {d: Image.fromarray(a) for d, a in raw.items()}
                files["point_info"] = _point_info(rng)
                for domain, content in files.items():
                    ext = "json" if domain == "point_info" else "png"
                    folder = (
                        root / domain / "taskonomy" / building
                        if downloader
                        else root / building / domain
                    )
                    folder.mkdir(parents=True, exist_ok=True)
                    path = folder / f"point_{point}_view_{view}_domain_{domain}.{ext}"
                    if ext == "json":
                        path.write_text(json.dumps(content))
                    else:
                        content.save(path)
    # A view lacking one domain is left out.
    folder = root / "normal/taskonomy/hanson" if downloader else root / "hanson/normal"
    (folder / "point_1_view_2_domain_normal.png").unlink()
    return truth


@needs_released_splits
@pytest.mark.parametrize("downloader", [False, True])
def test_ingest_decodes_every_domain(tmp_path, downloader):
    truth = make_layout(tmp_path / "src", downloader)
    store = ingest(tmp_path / "src", str(tmp_path / "s.zarr"), split="tiny")
    assert sorted(store.splits) == ["test", "train", "val"]
    assert check_store(store.url) == []
    assert store.samples("train") == 5  # 6 views, one lacks its normals
    batch = store.read(
        "train",
        [
            "rgb",
            "rgb2depth",
            "rgb2sfnorm",
            "segmentsemantic",
            "edge2d",
            "vanishing_point",
            "room_layout",
        ],
        slice(None),
    )
    for row, (b, p, v) in enumerate(batch["ids"]):
        raw = truth[store.buildings("train")[b], p, v]
        np.testing.assert_array_equal(
            batch["rgb"][row], raw["rgb"].transpose(2, 0, 1) / np.float32(255)
        )
        depth = raw["depth_zbuffer"]
        np.testing.assert_array_equal(batch["rgb2depth_mask"][row, 0], depth < 64500)
        valid = depth < 64500
        np.testing.assert_array_equal(
            batch["rgb2depth"][row, 0][valid], depth[valid] / np.float32(512)
        )
        np.testing.assert_array_equal(
            batch["rgb2sfnorm"][row], (raw["normal"].transpose(2, 0, 1) - np.float32(127)) / 128
        )
        sem = raw["segment_semantic"]
        np.testing.assert_array_equal(batch["segmentsemantic_mask"][row, 0], sem != 0)
        np.testing.assert_array_equal(batch["segmentsemantic"][row][sem != 0], sem[sem != 0])
        np.testing.assert_array_equal(
            batch["edge2d"][row, 0], raw["edge_texture"] / np.float32(65535)
        )
    assert batch["vanishing_point_mask"].all() and batch["room_layout"].shape == (5, 9)
    assert store.provenance["ingest"]["split"] == "tiny"


def test_no_split_takes_everything_and_resolution_resizes(tmp_path):
    make_layout(tmp_path / "src")
    store = ingest(tmp_path / "src", str(tmp_path / "s.zarr"), resolution=8, tasks=["rgb", "depth"])
    assert (
        store.splits == ["all"] and store.samples("all") == 18
    )  # normals not requested: all views kept
    assert store.read("all", ["rgb2depth"], [0])["rgb2depth"].shape == (1, 1, 8, 8)


@needs_released_splits
def test_bad_file_stops_unless_skip_bad(tmp_path):
    make_layout(tmp_path / "src")
    bad = tmp_path / "src/hanson/rgb/point_0_view_1_domain_rgb.png"
    bad.write_bytes(bad.read_bytes()[:40])  # truncated
    with pytest.raises(BadFileError, match=r"point_0_view_1_domain_rgb\.png"):
        ingest(tmp_path / "src", str(tmp_path / "a.zarr"), split="tiny")
    store = ingest(tmp_path / "src", str(tmp_path / "b.zarr"), split="tiny", skip_bad=True)
    assert store.samples("train") == 4
    assert store.provenance["ingest"]["skipped"] == [str(bad)]
    assert check_store(store.url) == []


def test_interrupted_ingest_resumes_to_the_same_store(tmp_path):
    make_layout(tmp_path / "src")
    ingest(tmp_path / "src", str(tmp_path / "clean.zarr"))
    ingest(tmp_path / "src", str(tmp_path / "again.zarr"))
    import zarr

    zarr.open_array(str(tmp_path / "again.zarr/all/_done"), mode="r+")[:] = 0  # as if killed
    zarr.open_array(str(tmp_path / "again.zarr/all/rgb"), mode="r+")[:] = 0
    resumed = ingest(tmp_path / "src", str(tmp_path / "again.zarr"))
    clean = open_store(str(tmp_path / "clean.zarr"))
    names = [s.name for s in clean.view_tasks()]
    a, b = clean.read("all", names, slice(None)), resumed.read("all", names, slice(None))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_tar_archives_are_read_and_traversal_refused(tmp_path):
    make_layout(tmp_path / "layout")
    archives = tmp_path / "archives"
    archives.mkdir()
    with tarfile.open(archives / "hanson.tar", "w") as tar:
        tar.add(tmp_path / "layout/hanson", arcname="hanson")
    store = ingest(archives, str(tmp_path / "t.zarr"))
    assert store.buildings("all") == ["hanson"] and store.samples("all") == 5
    evil = tmp_path / "evil"
    evil.mkdir()
    with tarfile.open(evil / "x.tar", "w") as tar:
        tar.add(tmp_path / "layout/hanson/rgb/point_0_view_0_domain_rgb.png", arcname="../../x.png")
    with pytest.raises(ValueError, match="unsafe member"):
        ingest(evil, str(tmp_path / "e.zarr"))


def test_split_csv_has_bare_carriage_returns():
    try:
        tiny = read_split_csv("tiny")
    except ValueError:
        pytest.skip("taskonomy-2018 folder absent")
    assert tiny["hanson"] == "train" and tiny["wiconisco"] == "val" and tiny["ihlen"] == "test"

"""Synthetic store -> release layout (export) -> ingest: every task comes back, in both layouts.

The files are written in the release's formats (PNG bit depths, ``.npy``, ``point_info`` JSON
with the real field names) and read by the same code that reads a real download.
"""

import json
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from taskonomy_data import BadFileError, check_store, export, ingest, read_split_csv
from taskonomy_data._export import SPLIT_CSV, view_folder
from taskonomy_data._ingest import default_splits_dir
from taskonomy_data._release import CURVATURE_STEP, DOMAIN_OF_TASK, point_info_values

RES = 32
MULTIVIEW = ("fix_pose", "non_fixated_pose", "ego_motion")
# Largest |ingested - original| per task; 0 = exact. Curvature: half the 8-bit file's step, plus
# float16 rounding in the store. Room layout: the box is written as world lo/hi (float64) and
# turned back into centre - camera and extents.
TOLERANCE = {"curvature": CURVATURE_STEP / 2 + 0.05, "room_layout": 1e-4}


@pytest.fixture(scope="module")
def synth_store(tmp_path_factory):
    from taskonomy_data.synth import synthesize

    root = tmp_path_factory.mktemp("synth")
    return synthesize(str(root / "s.zarr"), buildings=3, resolution=RES, progress=False)


@pytest.fixture(scope="module", params=["building", "domain"])
def exported(request, synth_store, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"release_{request.param}") / "taskonomy"
    export(synth_store, out, layout=request.param)
    return request.param, out


def _ingested(exported, tmp_path, **kw):
    _, out = exported
    return ingest(out, str(tmp_path / "in.zarr"), split=out / SPLIT_CSV, **kw)


def test_round_trip_gives_back_every_task(synth_store, exported, tmp_path):
    store = _ingested(exported, tmp_path)
    assert store.splits == synth_store.splits and check_store(store.url) == []
    names = sorted(s.name for s in synth_store.view_tasks())
    assert sorted(s.name for s in store.view_tasks()) == names
    for split in synth_store.splits:
        assert store.buildings(split) == synth_store.buildings(split)
        a, b = synth_store.read(split, names, slice(None)), store.read(split, names, slice(None))
        np.testing.assert_array_equal(a["ids"], b["ids"])
        for key in a:
            task = key.removesuffix("_mask")
            tol = 0 if key.endswith("_mask") else TOLERANCE.get(task, 0)
            np.testing.assert_allclose(b[key], a[key], rtol=0, atol=tol, err_msg=f"{split} {key}")
        original, back = synth_store.root[split], store.root[split]
        np.testing.assert_array_equal(back["camera"][:], original["camera"][:])
        for task in MULTIVIEW:
            x = synth_store.read_pairs(split, task, slice(None))
            y = store.read_pairs(split, task, slice(None))
            np.testing.assert_array_equal(y["views"], x["views"], err_msg=task)
            np.testing.assert_allclose(y[task], x[task], atol=1e-5, err_msg=task)
        _same_point_matching(synth_store, store, split)


def _same_point_matching(original, ingested, split):
    """Positives are every fixated pair; negatives are drawn at random, so by rule and count."""
    x = original.read_pairs(split, "point_match", slice(None))
    y = ingested.read_pairs(split, "point_match", slice(None))
    for pairs in (x, y):
        np.testing.assert_array_equal(
            pairs["views"][pairs["point_match"] == 1], x["views"][x["point_match"] == 1]
        )
    assert (y["point_match"] == 0).sum() == (x["point_match"] == 0).sum()
    ids = ingested.root[split]["ids"][:]
    camera = ingested.root[split]["camera"][:]
    for a, b in y["views"][y["point_match"] == 0]:
        assert ids[a, 0] == ids[b, 0] and ids[a, 1] != ids[b, 1]  # one building, two points
        assert np.linalg.norm(camera[a, 7:] - camera[b, 7:]) > 0.5


def test_files_are_in_the_release_formats(synth_store, exported):
    layout, out = exported
    building = synth_store.buildings("train")[0]

    def file(task, point=0, view=0):
        domain = DOMAIN_OF_TASK[task]
        return view_folder(out, layout, building, domain.folder) / domain.file_name(point, view)

    semantic = file("segmentsemantic")
    assert semantic.parent.name == "segment_semantic" or layout == "domain"
    assert semantic.name == "point_0_view_0_domain_segmentsemantic.png"
    depth = np.asarray(Image.open(file("rgb2depth")))
    assert depth.dtype == np.uint16
    batch = synth_store.read("train", ["rgb2depth", "rgb2sfnorm", "edge2d"], [0])
    np.testing.assert_array_equal(depth == 65535, ~batch["rgb2depth_mask"][0, 0])
    np.testing.assert_array_equal(
        depth[depth != 65535], np.rint(batch["rgb2depth"][0, 0][depth != 65535] * 512)
    )
    normal = np.asarray(Image.open(file("rgb2sfnorm")))
    assert normal.dtype == np.uint8 and normal.shape == (RES, RES, 3)
    np.testing.assert_array_equal(normal.transpose(2, 0, 1), batch["rgb2sfnorm"][0] * 128 + 127)
    assert np.asarray(Image.open(file("edge2d"))).dtype == np.uint16
    assert np.asarray(Image.open(file("reshade"))).dtype == np.uint8
    assert np.load(file("class_1000")).shape == (1000,)
    info_path = view_folder(out, layout, building, "point_info") / (
        "point_0_view_0_domain_fixatedpose.json"
    )
    info = json.loads(info_path.read_text())
    released = default_splits_dir().parent / "constants/point_202_view_5_domain_point_info.json"
    if released.is_file():
        real = json.loads(released.read_text())
        for field in (
            "camera_location",
            "camera_rotation_final",
            "field_of_view_rads",
            "point_location",
            "vanishing_points_gaussian_sphere",
            "bounding_box_ranges",
            "nonfixated_points_in_view",
            "room",
            "view_id",
        ):
            assert type(info[field]) is type(real[field]), field
    csv = (out / SPLIT_CSV).read_bytes()
    assert csv.startswith(b"id,train,val,test\r") and b"\n" not in csv


def test_the_released_point_info_reads():
    released = default_splits_dir().parent / "constants/point_202_view_5_domain_point_info.json"
    if not released.is_file():
        pytest.skip("taskonomy-2018 folder absent")
    values = point_info_values(json.loads(released.read_text()), released)
    assert values["camera"].shape == (10,) and np.isfinite(values["room_layout"]).all()
    np.testing.assert_allclose(values["camera"][6], 1.180512021910271, rtol=1e-6)


@pytest.fixture
def copy(exported, tmp_path):
    layout, out = exported
    target = tmp_path / "copy"
    shutil.copytree(out, target)
    return layout, target


def _file(copy, store, folder, token, ext, building=0, point=0, view=0):
    layout, root = copy
    name = store.buildings("train")[building]
    return (
        view_folder(root, layout, name, folder) / f"point_{point}_view_{view}_domain_{token}.{ext}"
    )


def test_a_view_missing_a_domain_is_named_with_its_task(synth_store, copy, tmp_path):
    lost = _file(copy, synth_store, "normal", "normal", "png", point=1, view=2)
    lost.unlink()
    with pytest.raises(ValueError) as error:
        ingest(copy[1], str(tmp_path / "a.zarr"), split=copy[1] / SPLIT_CSV)
    message = str(error.value)
    assert "point_1_view_2: lacks normal (tasks rgb2sfnorm)" in message
    assert "--skip-bad" in message and "--tasks" in message
    assert not (tmp_path / "a.zarr").exists() and not list(tmp_path.glob("a.zarr*"))
    store = ingest(copy[1], str(tmp_path / "b.zarr"), split=copy[1] / SPLIT_CSV, skip_bad=True)
    assert store.samples("train") == synth_store.samples("train") - 1
    (skipped,) = store.provenance["ingest"]["skipped"]
    assert skipped["view"].endswith("point_1_view_2") and "normal" in skipped["problem"]
    assert check_store(store.url) == []


def test_only_some_domains_downloaded(synth_store, copy, tmp_path):
    layout, root = copy
    for building in synth_store.buildings("train") + synth_store.buildings("val"):
        shutil.rmtree(view_folder(root, layout, building, "normal"), ignore_errors=True)
    shutil.rmtree(view_folder(root, layout, synth_store.buildings("test")[0], "normal"))
    store = ingest(root, str(tmp_path / "a.zarr"), split=root / SPLIT_CSV)
    assert "rgb2sfnorm" not in store.specs and "rgb2depth" in store.specs
    with pytest.raises(ValueError, match=r"rgb2sfnorm \(folder normal\).*download those"):
        ingest(root, str(tmp_path / "b.zarr"), tasks=["rgb", "normal"])


def test_a_point_info_missing_a_field(synth_store, copy, tmp_path):
    path = _file(copy, synth_store, "point_info", "fixatedpose", "json", point=0, view=1)
    info = json.loads(path.read_text())
    del info["vanishing_points_gaussian_sphere"]
    path.write_text(json.dumps(info))
    with pytest.raises(ValueError) as error:
        ingest(copy[1], str(tmp_path / "a.zarr"), split=copy[1] / SPLIT_CSV)
    assert str(path) in str(error.value) and "(needed by vanishing_point)" in str(error.value)
    # Without the tasks that need it, the field is not needed.
    store = ingest(copy[1], str(tmp_path / "b.zarr"), tasks=["rgb", "rgb2depth"])
    assert store.samples("all") == sum(synth_store.samples(s) for s in synth_store.splits)
    store = ingest(copy[1], str(tmp_path / "c.zarr"), split=copy[1] / SPLIT_CSV, skip_bad=True)
    assert store.samples("train") == synth_store.samples("train") - 1


def test_an_unreadable_file_stops_unless_skip_bad(synth_store, copy, tmp_path):
    bad = _file(copy, synth_store, "rgb", "rgb", "png", point=0, view=1)
    bad.write_bytes(bad.read_bytes()[:40])  # truncated
    with pytest.raises(BadFileError, match=r"point_0_view_1_domain_rgb\.png \(task rgb"):
        ingest(copy[1], str(tmp_path / "a.zarr"), split=copy[1] / SPLIT_CSV)
    assert not (tmp_path / "a.zarr").exists()  # only a resumable a.zarr.partial
    store = ingest(copy[1], str(tmp_path / "b.zarr"), split=copy[1] / SPLIT_CSV, skip_bad=True)
    assert store.samples("train") == synth_store.samples("train") - 1
    (skipped,) = store.provenance["ingest"]["skipped"]
    assert str(bad) in skipped["problem"] and str(bad) in skipped["files"]


def test_a_file_in_the_wrong_folder_is_named(synth_store, copy, tmp_path):
    src = _file(copy, synth_store, "rgb", "rgb", "png")
    layout, root = copy
    target = view_folder(root, layout, synth_store.buildings("train")[0], "normal")
    shutil.copy(src, target / src.name)
    with pytest.raises(ValueError, match=r"holds \*_domain_normal.png files, not rgb.png"):
        ingest(root, str(tmp_path / "a.zarr"))


def test_resolution_resizes(exported, tmp_path):
    store = _ingested(exported, tmp_path, resolution=16, tasks=["rgb", "depth", "segmentsemantic"])
    batch = store.read("train", ["rgb2depth", "segmentsemantic"], [0])
    assert batch["rgb2depth"].shape == (1, 1, 16, 16) and batch["segmentsemantic"].shape == (
        1,
        16,
        16,
    )


def test_interrupted_ingest_resumes_to_the_same_store(exported, tmp_path):
    import zarr

    _, out = exported
    clean = ingest(out, str(tmp_path / "clean.zarr"), tasks=["rgb", "rgb2depth"])
    partial = tmp_path / "again.zarr.partial"
    shutil.copytree(Path(clean.url), partial)
    zarr.open_array(str(partial / "all/_done"), mode="r+")[:] = 0  # as if killed
    zarr.open_array(str(partial / "all/rgb"), mode="r+")[:] = 0
    resumed = ingest(out, str(tmp_path / "again.zarr"), tasks=["rgb", "rgb2depth"])
    assert not partial.exists() and resumed.url.endswith("again.zarr")
    a, b = (
        clean.read("all", ["rgb2depth"], slice(None)),
        resumed.read("all", ["rgb2depth"], slice(None)),
    )
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_tar_archives_are_read_and_traversal_refused(synth_store, exported, tmp_path):
    layout, out = exported
    if layout != "building":
        pytest.skip("the release's archives are one per building")
    archives = tmp_path / "archives"
    archives.mkdir()
    building = synth_store.buildings("train")[0]
    with tarfile.open(archives / f"{building}.tar", "w") as tar:
        tar.add(out / building, arcname=building)
    store = ingest(archives, str(tmp_path / "t.zarr"), tasks=["rgb", "edge2d"])
    assert store.buildings("all") == [building]
    evil = tmp_path / "evil"
    evil.mkdir()
    with tarfile.open(evil / "x.tar", "w") as tar:
        tar.add(out / building / "rgb/point_0_view_0_domain_rgb.png", arcname="../../x.png")
    with pytest.raises(ValueError, match="unsafe member"):
        ingest(evil, str(tmp_path / "e.zarr"))


def test_released_split_csv_has_bare_carriage_returns():
    try:
        tiny = read_split_csv("tiny")
    except ValueError:
        pytest.skip("taskonomy-2018 folder absent")
    assert tiny["hanson"] == "train" and tiny["wiconisco"] == "val" and tiny["ihlen"] == "test"
    assert len(tiny) > 20

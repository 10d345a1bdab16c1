import signal
import subprocess
import sys

import dask.array as da
import numpy as np
import pytest

from taskonomy_data import create_store, open_store, task_names

ALL_TASKS = task_names()


def _view_names(store):
    return [s.name for s in store.specs.values() if not s.multiview]


def test_round_trip_every_task_kind(full_store):
    store, written = full_store
    store = open_store(store.url)
    for split, w in written.items():
        index = np.random.default_rng(1).permutation(store.samples(split))[:7]
        batch = store.read(split, _view_names(store), index)
        np.testing.assert_array_equal(batch["ids"], w["ids"][index])
        for name, value in w["values"].items():
            np.testing.assert_array_equal(batch[name], value[index], err_msg=name)
            mask = w["masks"][name]
            if mask is not None:
                np.testing.assert_array_equal(batch[f"{name}_mask"], mask[index], err_msg=name)
            else:
                assert batch[f"{name}_mask"].all()
        # Tasks read from RGB come back as the RGB image.
        np.testing.assert_array_equal(batch["jigsaw"], w["values"]["rgb"][index])
        for name, (views, label, mask) in w["pairs"].items():
            pairs = store.read_pairs(split, name, slice(None))
            np.testing.assert_array_equal(pairs["views"], views)
            np.testing.assert_array_equal(pairs[name], label)
            np.testing.assert_array_equal(pairs[f"{name}_mask"], mask)


def test_training_ready_dtypes_and_shapes(full_store):
    store, _ = full_store
    batch = store.read("train", ["rgb", "segmentsemantic", "class_places", "depth_zbuffer"], [0, 5])
    assert batch["rgb"].dtype == np.float32 and batch["rgb"].shape == (2, 3, 8, 8)
    assert batch["segmentsemantic"].dtype == np.int64 and batch["segmentsemantic"].shape == (
        2,
        8,
        8,
    )
    assert batch["segmentsemantic_mask"].shape == (2, 1, 8, 8)
    assert batch["class_places"].shape == (2, 63) and batch["class_places_mask"].shape == (2,)
    assert "rgb2depth" in batch  # aliases resolve to canonical names


def test_metadata_holds_schema_specs_and_provenance(full_store):
    store, _ = full_store
    meta = open_store(store.url).meta
    assert meta["schema_version"] == 1
    assert meta["provenance"] == {"generator": "tests"}
    assert meta["specs"]["class_1000"]["channels"] == 1000
    assert meta["splits"]["train"]["pairs"]["fix_pose"] == 5
    assert store.buildings("train") == ["a", "b", "c"]


def test_store_specs_override_the_registry(tmp_path):
    from dataclasses import replace

    from taskonomy_data import get_task

    small = replace(get_task("class_1000"), channels=12)
    store = create_store(
        str(tmp_path / "s.zarr"), resolution=4, tasks=[small], splits={"train": {"samples": 3}}
    )
    assert open_store(store.url).spec("class_object").channels == 12


@pytest.mark.parametrize(("start", "count"), [(4, 8), (0, 5), (16, 8)])
def test_writes_must_be_whole_regions(full_store, start, count):
    store, _ = full_store
    values = {s.name: np.zeros((count, *s.stored_shape(8))) for s in store.view_tasks()}
    with pytest.raises(ValueError, match="whole number of regions"):
        store.write("train", start, values, ids=np.zeros((count, 3)))


def test_write_needs_every_view_task(full_store):
    store, _ = full_store
    with pytest.raises(ValueError, match="missing"):
        store.write("val", 0, {"rgb": np.zeros((8, 3, 8, 8))}, ids=np.zeros((8, 3)))


def test_exist_ok_reopens_the_same_plan_and_refuses_another(tmp_path):
    kwargs = {"resolution": 4, "tasks": ["rgb"], "splits": {"train": {"samples": 3}}}
    url = str(tmp_path / "s.zarr")
    create_store(url, **kwargs)
    assert create_store(url, exist_ok=True, **kwargs).samples("train") == 3
    with pytest.raises(ValueError, match="different plan"):
        create_store(url, exist_ok=True, **{**kwargs, "resolution": 8})
    with pytest.raises(Exception, match=r"exist|found|contains"):
        create_store(url, **kwargs)


def _dask_inputs(n, res, seed=0):
    rng = np.random.default_rng(seed)
    rgb = da.from_array(
        (rng.integers(0, 256, (n, 3, res, res)) / 255).astype(np.float32), chunks=(7, -1, -1, -1)
    )
    depth = da.from_array(
        (rng.integers(0, 4000, (n, 1, res, res)) / 512).astype(np.float32), chunks=(5, -1, -1, -1)
    )
    ids = np.stack([np.zeros(n, int), np.arange(n), np.arange(n)], axis=1)
    return {"rgb": rgb, "rgb2depth": depth}, ids


def test_write_dask_realigns_chunks_to_shards(tmp_path):
    # Dask chunks of 7 and 5 samples straddle the 8-sample shards; write_dask rechunks them.
    store = create_store(
        str(tmp_path / "d.zarr"),
        resolution=4,
        tasks=["rgb2depth"],
        splits={"train": {"samples": 50}},
        chunk_samples=4,
        shard_samples=8,
    )
    values, ids = _dask_inputs(50, 4)
    assert store.write_dask("train", values, ids=ids) == 7
    batch = store.read("train", ["rgb", "rgb2depth"], slice(None))
    np.testing.assert_array_equal(batch["rgb"], values["rgb"].compute())
    np.testing.assert_array_equal(batch["rgb2depth"], values["rgb2depth"].compute())
    assert store.write_dask("train", values, ids=ids) == 0  # all done: nothing rewritten


def test_appender_takes_batches_of_any_size(tmp_path):
    store = create_store(
        str(tmp_path / "a.zarr"),
        resolution=4,
        tasks=["rgb"],
        splits={"train": {"samples": 21}},
        chunk_samples=4,
        shard_samples=8,
    )
    rgb = (np.random.default_rng(0).integers(0, 256, (21, 3, 4, 4)) / 255).astype(np.float32)
    ids = np.stack([np.zeros(21, int), np.arange(21), np.zeros(21, int)], axis=1)
    with store.appender("train") as out:
        for a, b in [(0, 3), (3, 13), (13, 14), (14, 21)]:
            out.append({"rgb": rgb[a:b]}, ids=ids[a:b])
    np.testing.assert_array_equal(store.read("train", ["rgb"], slice(None))["rgb"], rgb)
    assert store.pending("train") == []


KILLED_WRITER = """
import os, signal, sys
import numpy as np
from taskonomy_data import open_store
store = open_store(sys.argv[1], mode="r+")
data = np.load(sys.argv[2])
for index, (start, stop) in enumerate(store.regions("train")):
    if index == 3:
        os.kill(os.getpid(), signal.SIGKILL)  # die mid-run, after three regions
    store.write("train", start, {"rgb": data["rgb"][start:stop], "rgb2depth":
                data["rgb2depth"][start:stop]}, ids=data["ids"][start:stop])
"""


def test_kill_then_rerun_equals_an_uninterrupted_run(tmp_path):
    kwargs = {
        "resolution": 4,
        "tasks": ["rgb2depth"],
        "splits": {"train": {"samples": 50}},
        "chunk_samples": 4,
        "shard_samples": 8,
    }
    url = str(tmp_path / "k.zarr")
    create_store(url, **kwargs)
    values, ids = _dask_inputs(50, 4)
    np.savez(tmp_path / "data.npz", ids=ids, **{k: v.compute() for k, v in values.items()})
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, url, str(tmp_path / "data.npz")], timeout=120
    )
    assert proc.returncode == -signal.SIGKILL
    store = create_store(url, exist_ok=True, **kwargs)
    assert store.pending("train") == [3, 4, 5, 6]
    store.read("train", ["rgb2depth"], slice(None))  # readable at every moment
    assert store.write_dask("train", values, ids=ids) == 4
    clean = create_store(str(tmp_path / "clean.zarr"), **kwargs)
    clean.write_dask("train", values, ids=ids)
    a = store.read("train", ["rgb", "rgb2depth"], slice(None))
    b = clean.read("train", ["rgb", "rgb2depth"], slice(None))
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_fsspec_url(tmp_path, fill):
    url = f"file://{tmp_path}/f.zarr"
    store = create_store(
        url,
        resolution=8,
        tasks=ALL_TASKS,
        splits={"train": {"samples": 9, "pairs": {"fix_pose": 2}}},
        chunk_samples=4,
        shard_samples=4,
    )
    written = fill(store)
    again = open_store(url)
    batch = again.read("train", ["rgb2sfnorm", "segment25d"], [8, 0])
    np.testing.assert_array_equal(
        batch["rgb2sfnorm"], written["train"]["values"]["rgb2sfnorm"][[8, 0]]
    )
    np.testing.assert_array_equal(
        batch["segment25d_mask"], written["train"]["masks"]["segment25d"][[8, 0]]
    )

import os
from pathlib import Path

import numpy as np

from taskonomy_data import check_store


def test_a_full_store_is_sound(full_store):
    store, _ = full_store
    assert check_store(store.url) == []


def _chunk_files(store, name):
    folder = Path(store.url) / "train" / name / "c"
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_corrupted_chunk_is_named(full_store):
    store, _ = full_store
    shard = _chunk_files(store, "rgb2depth")[1]
    data = bytearray(shard.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 64] = os.urandom(64)
    shard.write_bytes(bytes(data))
    faults = check_store(store.url)
    assert any(
        f.startswith("train/rgb2depth: samples [8, 12) unreadable")
        or f.startswith("train/rgb2depth: samples [12, 16) unreadable")
        for f in faults
    ), faults


def test_missing_array_is_named(full_store):
    import shutil

    store, _ = full_store
    shutil.rmtree(Path(store.url) / "train" / "rgb2sfnorm")
    assert "train/rgb2sfnorm: array missing" in check_store(store.url)


def test_mismatched_sample_count_is_named(full_store):
    import zarr

    store, _ = full_store
    zarr.open_array(f"{store.url}/train/edge2d", mode="r+").resize((19, 1, 8, 8))
    faults = check_store(store.url)
    assert any(f.startswith("train/edge2d: shape (19,") for f in faults), faults


def test_nans_and_unwritten_regions_are_named(full_store):
    import zarr

    store, _ = full_store
    curvature = zarr.open_array(f"{store.url}/val/curvature", mode="r+")
    curvature[3, 0, 0, 0] = np.nan
    zarr.open_array(f"{store.url}/train/_done", mode="r+")[1] = 0
    faults = check_store(store.url)
    assert "val/curvature: NaN values in samples [0, 4)" in faults
    assert any("train: samples [8, 16) were never written" in f for f in faults)


def test_not_a_store(tmp_path):
    (tmp_path / "x").mkdir()
    assert check_store(str(tmp_path / "x"))

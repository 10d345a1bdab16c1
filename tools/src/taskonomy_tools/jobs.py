"""The pipeline's unit jobs: top-level functions of plain arguments, run serially or on Dask.

Each job reads the dataset store and earlier stages' Zarr stores by path or URL, writes its own
outputs (never shared with another job), marks them complete last, and returns a small summary.
A job whose outputs are already complete returns at once, which is how a killed run resumes.
"""

from __future__ import annotations

import shutil
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import zarr

import taskonomy_models as tm
from taskonomy_data import open_store

from .taskdata import (
    gather_codes,
    model_task,
    read_rgb,
    read_task,
    sample_buildings,
    subset,
    tuple_views,
    with_ground_truth,
)

RANDOM = "random"
PREDICTIONS_KEPT = 3  # test samples on which every readout's outputs are kept for the report


def shown_samples(n_test: int) -> list[int]:
    """The test samples (of those with ground truth) whose outputs are kept: spread evenly."""
    return subset(n_test, PREDICTIONS_KEPT).tolist()


def train_config(settings: dict[str, Any], seed: int, **changes: Any) -> tm.TrainConfig:
    """The trainer's configuration from the `[train]` or `[transfer]` settings."""
    return tm.TrainConfig(
        size=settings["encoder"],
        epochs=settings["epochs"],
        batch_size=settings["batch_size"],
        lr=settings["lr"],
        lr_final=settings["lr"] / 10,
        seed=seed,
        device=settings["device"],
        threads=settings["threads"] or None,
        progress=False,
        **changes,
    )


def encoder_stride(encoder: str) -> int:
    """Image size / code size of a named encoder (jigsaw tiles are cut to a multiple of it)."""
    if encoder not in tm.ENCODERS:
        raise ValueError(f"unknown encoder {encoder!r}; use one of {sorted(tm.ENCODERS)}")
    return tm.ENCODERS[encoder].stride


def task_seed(seed: int, name: str) -> int:
    return (seed * 1_000_003 + zlib.crc32(name.encode())) % 2**31


def create_output_store(url: str) -> str:
    """Create a stage's Zarr store before its jobs start: workers opening it at the same time
    would race to create the root group."""
    zarr.open_group(url, mode="a")
    return url


def _complete(group: zarr.Group) -> bool:
    return bool(group.attrs.get("complete", False))


def train_network_job(
    store_url: str, task: str, index: Sequence[int], train: dict[str, Any], seed: int, out: str
) -> dict[str, Any]:
    """Step I for one task: train its network on `index` of the train split; save `out`."""
    path = Path(out)
    if path.exists():
        return {"task": task, "skipped": True}
    start = time.perf_counter()
    store = open_store(store_url)
    stride = encoder_stride(train["encoder"])
    images, labels, mask, _ = with_ground_truth(
        *read_task(store, "train", task, index, stride=stride)
    )
    spec = model_task(store.spec(task).to_dict())
    config = train_config(train, task_seed(seed, task))
    workdir = path.with_suffix("")  # checkpoints while training, so a killed job resumes
    network = tm.train_task_network(spec, images, labels, mask, config, workdir)
    tm.save_network(network, path)
    shutil.rmtree(workdir, ignore_errors=True)
    return {"task": task, "seconds": time.perf_counter() - start}


def represent_job(
    store_url: str,
    source: str,
    network_path: str | None,
    splits: dict[str, tuple[str, list[int]]],
    encoder: str,
    seed: int,
    out_url: str,
) -> dict[str, Any]:
    """Frozen codes of one source (or the untrained `random` encoder) for the images of each
    `splits[name] = (dataset split, indices)`, stored as `<source>/<name>`."""
    group = zarr.open_group(out_url, mode="r+").require_group(source)
    if _complete(group):
        return {"source": source, "skipped": True}
    store = open_store(store_url)
    if network_path is None:
        dummy = {"name": RANDOM, "kind": "vector", "channels": 1, "loss": "l2"}
        size = store.resolution
        network = tm.build_network(dummy, encoder, (size, size), seed=task_seed(seed, RANDOM))
    else:
        network = tm.load_network(network_path)
    for name, (split, index) in splits.items():
        images = read_rgb(store, split, index)
        codes = tm.extract_representations(network, images)
        array = group.create_array(
            name, shape=codes.shape, dtype=codes.dtype, chunks=codes.shape, overwrite=True
        )
        array[...] = codes
    group.attrs["complete"] = True
    return {"source": source}


def load_representations(reps_url: str, sources: Sequence[str], split: str) -> dict[str, Any]:
    root = zarr.open_group(reps_url, mode="r")
    return {s: root[s][split][...] for s in sources}


def readout_job(
    store_url: str,
    target: str,
    competitors: Sequence[Sequence[str]],
    reps_url: str,
    transfer_index: Sequence[int],
    test_index: Sequence[int],
    transfer: dict[str, Any],
    seed: int,
    out_url: str,
    baselines: bool = False,
    network_path: str | None = None,
    represented: dict[str, list[int]] | None = None,
) -> dict[str, Any]:
    """Step II for one target: every readout in `competitors`, plus the `pixels` baseline when
    `baselines` and the `self` losses of the target's own network when `network_path` is given;
    per-sample test losses into Zarr.

    For a multi-view target the indices are its tuples, and `represented` gives the views whose
    codes the representation store holds (`{"transfer": [...], "test": [...]}`): each tuple's
    codes are gathered from them."""
    group = zarr.open_group(out_url, mode="r+").require_group(target)
    if _complete(group):
        return {"target": target, "skipped": True}
    start = time.perf_counter()
    store = open_store(store_url)
    spec = model_task(store.spec(target).to_dict())
    # Samples without ground truth for this target are left out of all its competitors alike.
    x_train, y_train, m_train, keep_train = with_ground_truth(
        *read_task(store, "val", target, transfer_index)
    )
    x_test, y_test, m_test, keep_test = with_ground_truth(
        *read_task(store, "test", target, test_index)
    )
    sources = sorted({s for c in competitors for s in c})
    reps = {}
    for name, split, index, keep in (
        ("transfer", "val", transfer_index, keep_train),
        ("test", "test", test_index, keep_test),
    ):
        codes = load_representations(reps_url, sources, name)
        if spec["images_per_sample"] > 1:
            views = tuple_views(store, split, target, index)[keep]
            reps[name] = {s: gather_codes(r, views, represented[name]) for s, r in codes.items()}
        else:
            reps[name] = {s: r[keep] for s, r in codes.items()}
    config = train_config(transfer, task_seed(seed, target))
    result = tm.train_readouts(
        spec,
        [tuple(c) for c in competitors],
        reps["transfer"],
        y_train,
        reps["test"],
        y_test,
        m_train,
        m_test,
        config=config,
        keep_predictions=shown_samples(len(y_test)),
    )
    names, losses = list(result.names), [result.losses]
    if baselines:
        pixels = tm.train_pixels_baseline(
            spec, x_train, y_train, x_test, y_test, m_train, m_test, config=config
        )
        names.append(f"pixels__{target}")
        losses.append(pixels[None])
    if network_path is not None:
        own = tm.per_sample_losses(tm.load_network(network_path), x_test, y_test, m_test)
        names.append(f"self__{target}")
        losses.append(own[None])
    table = np.concatenate(losses).astype(np.float64)
    array = group.create_array(
        "losses", shape=table.shape, dtype=table.dtype, chunks=table.shape, overwrite=True
    )
    array[...] = table
    shown = np.stack([result.predictions[n] for n in result.names]).astype(np.float16)
    array = group.create_array(
        "predictions", shape=shown.shape, dtype=shown.dtype, chunks=shown.shape, overwrite=True
    )
    array[...] = shown
    buildings = sample_buildings(store, "test", target, test_index)[keep_test]
    array = group.create_array(
        "test_buildings",
        shape=buildings.shape,
        dtype="int32",
        chunks=buildings.shape,
        overwrite=True,
    )
    array[...] = buildings
    group.attrs["names"] = names
    group.attrs["predicted"] = list(result.names)
    group.attrs["complete"] = True
    return {"target": target, "readouts": len(names), "seconds": time.perf_counter() - start}


def read_predictions(url: str, target: str) -> dict[str, np.ndarray]:
    """`{readout key: outputs on the target's shown_samples()}` from a losses store."""
    group = zarr.open_group(url, mode="r")[target]
    return dict(zip(group.attrs["predicted"], group["predictions"][...], strict=True))


def read_test_buildings(url: str, target: str) -> np.ndarray:
    """The building of each of a target's test samples (the columns of its losses)."""
    return zarr.open_group(url, mode="r")[target]["test_buildings"][...]


def read_losses(url: str, target: str) -> dict[str, np.ndarray]:
    """`{competitor key: per-sample test losses}` of one target from a losses store."""
    group = zarr.open_group(url, mode="r")[target]
    return dict(zip(group.attrs["names"], group["losses"][...], strict=True))

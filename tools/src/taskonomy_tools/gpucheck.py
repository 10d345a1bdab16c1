"""`taskonomy gpu-check`: a shortened `full` profile end to end, then its throughput figures.

The pipeline runs on every task of the `full` dictionary (ResNet-50 at 128 px) on a few
buildings for 1-2 epochs, which shows that each stage works on the device; then, in this process,
one task's network training (bf16 autocast and channels_last on CUDA), representation extraction
and its first-order readouts are timed, and the model FLOPs of one training batch are counted
with `torch.utils.flop_counter.FlopCounterMode` (on the meta device: exact, nothing computed).
Everything lands in one JSON file.

>>> bf16_peak_tflops("NVIDIA H100 80GB HBM3"), bf16_peak_tflops("NVIDIA H100 PCIe")
(989.0, 756.0)
"""

from __future__ import annotations

import math
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import config as config_module
from . import jobs
from .config import RunConfig
from .rundir import read_json, recorded_seconds, write_json
from .taskdata import model_task, read_rgb, read_task, with_ground_truth

#: bf16 dense tensor-core peaks (TFLOP/s, no sparsity) by a substring of
#: `torch.cuda.get_device_name()`, first match wins. Unknown cards get no fraction.
BF16_PEAKS: tuple[tuple[str, float], ...] = (
    ("H200", 989.0),
    ("H100 PCIe", 756.0),
    ("H100 SXM", 989.0),
    ("H100 80GB HBM3", 989.0),  # what an H100 SXM calls itself
    ("A100", 312.0),
)
STAGES = ("dataset", "networks", "representations", "estimates", "readouts", "beam")
STAGES += ("affinities",)
STAGES += ("evaluation", "predictions")
WARMUP_STEPS = 3


def bf16_peak_tflops(device_name: str) -> float | None:
    """The card's bf16 dense peak in TFLOP/s from :data:`BF16_PEAKS`, or None if unknown."""
    return next((peak for key, peak in BF16_PEAKS if key in device_name), None)


def check_config(overrides: dict[str, Any], buildings: int, epochs: int, cuda: bool) -> RunConfig:
    """The `full` profile shortened to `buildings` and `epochs`, then `overrides` (as from a
    TOML file). Without CUDA the jobs run serially and ask for no GPU."""
    if buildings < 3:
        raise ValueError(
            f"--buildings must be >= 3 (train, val and test each need one), got {buildings}"
        )
    if not 1 <= epochs <= 5:
        raise ValueError(f"--epochs must be 1-5 for a check, got {epochs}")
    short: dict[str, Any] = {
        "dataset": {"buildings": buildings},
        "train": {"epochs": epochs},
        "transfer": {"epochs": epochs},
    }
    if not cuda:
        short["compute"] = {"scheduler": "serial", "gpus_per_worker": 0}
    cfg = config_module.build(short, config_module.profile("full"))
    return config_module.build(overrides, cfg)


def run_gpu_check(
    cfg: RunConfig,
    json_path: Path,
    workdir: Path | None = None,
    steps: int = 30,
    batch_sizes: tuple[int, ...] = (),
    log=print,
) -> dict[str, Any]:
    """Run the shortened pipeline and the measurements; write and return the figures."""
    import torch

    from .pipeline import run_pipeline, split_indices

    if steps < 1 or any(b < 2 for b in batch_sizes):
        raise ValueError("--steps must be >= 1 and every batch size >= 2")
    if workdir is not None and workdir.exists() and any(workdir.iterdir()):
        raise ValueError(
            f"--workdir {workdir} is not empty; pass a new folder (timings need a fresh run)"
        )
    cuda = torch.cuda.is_available() and cfg.train.device in ("auto", "cuda")
    device = torch.device("cuda" if cuda else "cpu")
    name = torch.cuda.get_device_name(0) if cuda else f"CPU ({platform.machine()})"
    log(f"gpu-check: device {device.type} ({name}), torch {torch.__version__}")
    with tempfile.TemporaryDirectory(prefix="gpu-check-") as tmp:
        run = (workdir or Path(tmp)) / "run"
        start = time.perf_counter()
        run_pipeline(cfg, run, log=log)
        pipeline = {"seconds": time.perf_counter() - start, "stages": stage_seconds(run)}
        store_url = read_json(run / "dataset" / "_done.json")["store"]
        from taskonomy_data import open_store

        store = open_store(store_url)
        indices = split_indices(cfg, store_url)
        task = measured_task(cfg, store)
        if cuda:
            torch.cuda.reset_peak_memory_stats()
        training = [
            measure_training(cfg, store, indices, task, device, steps, b)
            for b in batch_sizes or (cfg.train.batch_size,)
        ]
        extraction = measure_extraction(run, store, indices, task)
        readouts = measure_readouts(cfg, run, store, indices, task, extraction["images_per_s"])
        memory = None
        if cuda:
            memory = {
                "peak_allocated_bytes": torch.cuda.max_memory_allocated(),
                "peak_reserved_bytes": torch.cuda.max_memory_reserved(),
                "scope": "the measurements in this process (pipeline jobs ran in Dask workers)",
            }
    peak = bf16_peak_tflops(name) if cuda else None
    for t in training:
        t["fraction_of_bf16_peak"] = (
            None if peak is None else t["model_flops_per_s"] / (peak * 1e12)
        )
    figures = {
        "device": {
            "type": device.type,
            "name": name,
            "torch": torch.__version__,
            "cuda": torch.version.cuda,
            "bf16_dense_peak_tflops": peak,
            "fraction_note": None
            if peak is not None
            else (
                "no fraction: on the CPU there is no bf16 tensor-core peak to compare with"
                if not cuda
                else f"no fraction: {name!r} is not in gpucheck.BF16_PEAKS; add its bf16 dense peak"
            ),
        },
        "config": {
            "encoder": cfg.train.encoder,
            "resolution": cfg.dataset.resolution,
            "buildings": cfg.dataset.buildings,
            "sources": len(cfg.tasks.sources),
            "targets": len(cfg.tasks.targets),
            "epochs": cfg.train.epochs,
            "scheduler": cfg.compute.scheduler,
            "gpus_per_worker": cfg.compute.gpus_per_worker,
        },
        "pipeline": pipeline,
        "training": training,
        "extraction": extraction,
        "readouts": readouts,
        "memory": memory,
    }
    figures["summary"] = summary(figures)
    write_json(json_path, figures)
    log(figures["summary"])
    return figures


def stage_seconds(run: Path) -> dict[str, float]:
    """Each pipeline stage's wall time (see `rundir.Stage.seconds`)."""
    recorded = recorded_seconds(run)
    return {stage: recorded[stage] for stage in STAGES}


def measured_task(cfg: RunConfig, store) -> str:
    """rgb2depth when it is a source and a target, else the first single-image task that is."""
    both = [t for t in cfg.tasks.sources if t in cfg.tasks.targets]
    single = [
        t for t in both if not store.spec(t).multiview and store.spec(t).input != "jigsaw_tiles"
    ]
    if not single:
        raise ValueError("gpu-check needs a single-image task that is both a source and a target")
    return "rgb2depth" if "rgb2depth" in single else single[0]


def _sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def measure_training(cfg, store, indices, task, device, steps: int, batch_size: int) -> dict:
    """Images/s of `task`'s network over `steps` steps after a warm-up, and its model FLOPs."""
    import taskonomy_models as tm

    stride = jobs.encoder_stride(cfg.train.encoder)
    images, labels, mask, _ = with_ground_truth(
        *read_task(store, "train", task, indices["train"], stride=stride)
    )
    bs = min(batch_size, len(images))
    per_epoch = max(1, len(images) // bs)
    total = WARMUP_STEPS + steps
    epochs = math.ceil(total / per_epoch)
    total = epochs * per_epoch
    marks: dict[int, float] = {}

    def on_step(step: int, _loss: float) -> None:
        if step in (WARMUP_STEPS, total):
            _sync(device)
            marks[step] = time.perf_counter()

    settings = cfg.section("train") | {"epochs": epochs, "batch_size": bs, "device": device.type}
    config = jobs.train_config(settings, cfg.seed)
    spec = model_task(store.spec(task).to_dict())
    tm.train_task_network(spec, images, labels, mask, config, on_step=on_step)
    rate = (total - WARMUP_STEPS) * bs / (marks[total] - marks[WARMUP_STEPS])
    flops = training_flops(spec, cfg.train.encoder, images.shape[1:], bs)
    return {
        "task": task,
        "batch_size": bs,
        "steps_timed": total - WARMUP_STEPS,
        "autocast": "bf16" if device.type == "cuda" and config.amp else None,
        "channels_last": config.channels_last,
        "images_per_s": rate,
        "model_flops_per_image": flops / bs,
        "model_flops_per_s": rate * flops / bs,
    }


def training_flops(spec: dict, encoder: str, image_shape: tuple[int, ...], batch: int) -> int:
    """FLOPs of one training batch (forward and backward), counted on the meta device."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    import taskonomy_models as tm

    net = tm.build_network(spec, encoder, tuple(image_shape[-2:]), image_shape[-3]).to("meta")
    x = torch.empty((batch, *image_shape), device="meta")
    with FlopCounterMode(display=False) as counter:
        net(x).float().sum().backward()
    return counter.get_total_flops()


def measure_extraction(run: Path, store, indices, task: str) -> dict[str, Any]:
    """Images/s of one trained encoder over the transfer and test views (repeated to >= 1 s)."""
    import taskonomy_models as tm

    network = tm.load_network(run / "networks" / f"{task}.pt")
    images = np.concatenate(
        [read_rgb(store, "val", indices["transfer"]), read_rgb(store, "test", indices["test"])]
    )
    tm.extract_representations(network, images[:8])  # warm-up: device start, kernel choice
    passes, start = 0, time.perf_counter()
    while passes < 1 or (time.perf_counter() - start < 1.0 and passes < 20):
        tm.extract_representations(network, images)
        passes += 1
    seconds = time.perf_counter() - start
    return {
        "task": task,
        "images": len(images) * passes,
        "images_per_s": len(images) * passes / seconds,
    }


def measure_readouts(cfg, run: Path, store, indices, target: str, encode_rate: float) -> dict:
    """All first-order readouts of `target` from cached codes, timed, against the encoder
    recompute path: the same training plus every source encoder over the transfer images in
    every epoch (each source has the same encoder, so at the measured extraction rate)."""
    import taskonomy_models as tm

    sources = [*cfg.tasks.sources, jobs.RANDOM]
    reps_url = read_json(run / "representations" / "_done.json")["store"]
    x, y_train, m_train, keep_train = with_ground_truth(
        *read_task(store, "val", target, indices["transfer"])
    )
    _, y_test, m_test, keep_test = with_ground_truth(
        *read_task(store, "test", target, indices["test"])
    )
    train = {
        s: r[keep_train]
        for s, r in jobs.load_representations(reps_url, sources, "transfer").items()
    }
    test = {
        s: r[keep_test] for s, r in jobs.load_representations(reps_url, sources, "test").items()
    }
    spec = model_task(store.spec(target).to_dict())
    settings = cfg.section("transfer") | {
        "encoder": cfg.train.encoder,
        "device": cfg.train.device,
        "threads": cfg.train.threads,
    }
    competitors = [(s,) for s in sources]
    warm = jobs.train_config(settings | {"epochs": 1}, cfg.seed)
    few = {s: r[:8] for s, r in train.items()}
    tm.train_readouts(spec, competitors, few, y_train[:8], few, y_train[:8], config=warm)
    config = jobs.train_config(settings, cfg.seed)
    start = time.perf_counter()
    tm.train_readouts(
        spec, competitors, train, y_train, test, y_test, m_train, m_test, config=config
    )
    seconds = time.perf_counter() - start
    encode_per_epoch = len(sources) * len(x) / encode_rate
    recompute = seconds + config.epochs * encode_per_epoch
    return {
        "target": target,
        "readouts": len(competitors),
        "train_samples": len(y_train),
        "epochs": config.epochs,
        "seconds": seconds,
        "readouts_per_s": len(competitors) / seconds,
        "readout_samples_per_s": len(competitors) * len(y_train) * config.epochs / seconds,
        "recompute_seconds": recompute,
        "cached_vs_recompute": recompute / seconds,
        "recompute_note": "the cached run's time plus, per epoch, every source's encoder over the "
        "transfer images at the measured extraction rate",
    }


def summary(figures: dict[str, Any]) -> str:
    """The one line printed at the end."""
    dev, read = figures["device"], figures["readouts"]
    train = ", ".join(
        f"{t['images_per_s']:.0f} img/s at batch {t['batch_size']}"
        + (
            f" ({t['fraction_of_bf16_peak']:.1%} of bf16 peak)"
            if t["fraction_of_bf16_peak"]
            else ""
        )
        for t in figures["training"]
    )
    memory = figures["memory"]
    peak = f"{memory['peak_allocated_bytes'] / 2**30:.1f} GiB" if memory else "n/a (CPU)"
    return (
        f"gpu-check on {dev['name']} (torch {dev['torch']}): training {train}; "
        f"extraction {figures['extraction']['images_per_s']:.0f} img/s; "
        f"readouts {read['readouts_per_s']:.2f}/s, cached {read['cached_vs_recompute']:.1f}x "
        f"the recompute path; peak memory {peak}; pipeline {figures['pipeline']['seconds']:.0f} s"
    )

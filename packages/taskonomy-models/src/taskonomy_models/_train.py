"""Step I: train a task-specific network; evaluate it per sample; predict."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch import Tensor

from ._data import ArrayLike, check_dataset, image_geometry, to_tensors
from ._device import prepare, resolve_device, set_threads, to_input
from ._fit import TrainConfig, fit
from ._losses import LOSSES
from ._network import TaskNetwork, build_network
from ._tasks import TaskSpec, as_task


def batch_loss(task: TaskSpec, pred: Tensor, y: Tensor, m: Tensor | None) -> tuple[Tensor, int]:
    """Mean per-sample loss over the samples of a batch that hold valid ground truth."""
    values, weight = per_sample(task, pred, y, m)
    valid = weight > 0
    count = int(valid.sum())
    if count == 0:
        raise ValueError(
            f"task {task.name!r}: every sample of a batch is fully masked, so the loss is "
            "undefined; drop samples without valid ground truth"
        )
    return values[valid].mean(), count


def per_sample(task: TaskSpec, pred: Tensor, y: Tensor, m: Tensor | None) -> tuple[Tensor, Tensor]:
    """Per-sample losses in float32 whatever the network's autocast dtype: bf16 sums over a
    sample's pixels, softmax and distances would lose the differences the tournament ranks."""
    weights = None
    if task.class_weights is not None:
        weights = torch.tensor(task.class_weights, device=pred.device)
    with torch.autocast(pred.device.type, enabled=False):
        return LOSSES[task.loss].fn(pred.float(), y, m, weights)


def train_task_network(
    task: TaskSpec | Mapping[str, Any],
    images: ArrayLike,
    labels: ArrayLike,
    masks: ArrayLike | None = None,
    config: TrainConfig | None = None,
    workdir: str | os.PathLike | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> TaskNetwork:
    """Train the network of ``task`` from scratch (seeded; resumes from ``workdir``'s checkpoint).

    ``workdir`` receives ``checkpoint.pt`` and ``metrics.jsonl`` (one JSON line per epoch).
    Returns the trained network in eval mode on the CPU.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.random((8, 3, 32, 32), dtype=np.float32)
    >>> task = {"name": "gray", "kind": "pixel_regression", "channels": 1, "loss": "l1"}
    >>> net = train_task_network(task, x, x.mean(1, keepdims=True),
    ...                          config=TrainConfig(epochs=1, batch_size=4, progress=False))
    >>> net.task.name
    'gray'
    """
    task, config = as_task(task), config or TrainConfig()
    in_channels, h, w = check_dataset(task, images, labels, masks)
    set_threads(config.threads)
    device = resolve_device(config.device)
    net = build_network(task, config.size, (h, w), in_channels, seed=config.seed)
    prepare(net, device, config.channels_last)

    def step_loss(index: np.ndarray) -> tuple[Tensor, int]:
        x, y, m = to_tensors(task, index, images, labels, masks, device)
        return batch_loss(task, net(to_input(x, config.channels_last)), y, m)

    identity = {"kind": "task_network", **net.architecture()}
    fit(net, step_loss, images.shape[0], config, device, identity, workdir, task.name, on_step)
    return net.to("cpu", memory_format=torch.contiguous_format)


@torch.no_grad()
def per_sample_losses(
    network: TaskNetwork,
    images: ArrayLike,
    labels: ArrayLike,
    masks: ArrayLike | None = None,
    batch_size: int = 128,
    device: str = "auto",
) -> np.ndarray:
    """The network's own loss on every sample, float64 (N,): the ``self`` competitor.

    >>> import numpy as np
    >>> net = build_network({"name": "v", "kind": "vector", "channels": 2, "loss": "l2"},
    ...                     "tiny", (32, 32), seed=0)
    >>> per_sample_losses(net, np.zeros((3, 3, 32, 32), np.float32),
    ...                   np.zeros((3, 2), np.float32)).shape
    (3,)
    """
    task = network.task
    check_dataset(task, images, labels, masks)
    dev = resolve_device(device)
    network.eval().to(dev)
    out = []
    for start in range(0, images.shape[0], batch_size):
        x, y, m = to_tensors(task, slice(start, start + batch_size), images, labels, masks, dev)
        out.append(per_sample(task, network(x), y, m)[0].double().cpu())
    network.to("cpu")
    return torch.cat(out).numpy()


@torch.no_grad()
def predict(
    network: TaskNetwork, images: ArrayLike, batch_size: int = 128, device: str = "auto"
) -> np.ndarray:
    """Outputs for a batch of images, float32: class probabilities (softmax over axis 1) for
    classes kinds, the raw output otherwise (pixel maps, vectors, embeddings).

    >>> import numpy as np
    >>> net = build_network({"name": "s", "kind": "pixel_classes", "channels": 4,
    ...                      "loss": "cross_entropy"}, "tiny", (32, 32), seed=0)
    >>> predict(net, np.zeros((2, 3, 32, 32), np.float32)).shape
    (2, 4, 32, 32)
    """
    task = network.task
    image_geometry(task, images)
    dev = resolve_device(device)
    network.eval().to(dev)
    out = []
    for start in range(0, images.shape[0], batch_size):
        x, _, _ = to_tensors(task, slice(start, start + batch_size), images, device=dev)
        y = network(x).float()
        if task.kind in ("classes", "pixel_classes"):
            y = y.softmax(1)
        out.append(y.cpu())
    network.to("cpu")
    return torch.cat(out).numpy()


def train_pixels_baseline(
    task: TaskSpec | Mapping[str, Any],
    train_images: ArrayLike,
    train_labels: ArrayLike,
    test_images: ArrayLike,
    test_labels: ArrayLike,
    train_masks: ArrayLike | None = None,
    test_masks: ArrayLike | None = None,
    config: TrainConfig | None = None,
    workdir: str | os.PathLike | None = None,
) -> np.ndarray:
    """The ``pixels`` competitor: a network of size ``config.size`` trained from scratch on the
    (few) transfer images; returns its per-sample test losses (N_test,).

    >>> import numpy as np
    >>> x = np.random.default_rng(0).random((8, 3, 32, 32), dtype=np.float32)
    >>> y = x.mean((1, 2, 3))[:, None].astype(np.float32)
    >>> task = {"name": "bright", "kind": "vector", "channels": 1, "loss": "l1"}
    >>> train_pixels_baseline(task, x, y, x, y,
    ...     config=TrainConfig(epochs=1, batch_size=4, progress=False)).shape
    (8,)
    """
    config = config or TrainConfig()
    net = train_task_network(task, train_images, train_labels, train_masks, config, workdir)
    return per_sample_losses(net, test_images, test_labels, test_masks, device=config.device)

"""Representation extraction: each frozen encoder runs once over the images it must encode."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from tqdm.auto import tqdm

from ._data import ArrayLike, image_geometry, to_tensors
from ._device import autocast, prepare, resolve_device, to_input
from ._network import TaskNetwork

_F16_MAX = float(np.finfo(np.float16).max)


@torch.no_grad()
def extract_representations(
    network: TaskNetwork,
    images: ArrayLike,
    batch_size: int = 256,
    device: str = "auto",
    out: ArrayLike | None = None,
    progress: bool = False,
) -> ArrayLike:
    """The frozen encoder's codes for ``images`` as float16, (N, C, h, w) or (N, k, C, h, w).

    The encoder sees one image at a time, so a k-image task's network (pose, matching) also
    encodes single images (N, C, H, W): its codes are then (N, C, h, w), as a transfer source
    for single-image targets needs. The encoder is convolutional: images of another size than
    the network was trained on (a multiple of its stride) give codes of their size, so a jigsaw
    network trained on tiles encodes whole views. Written into ``out`` (any array-like of that
    shape, e.g. a zarr array) when given, so that Step II never runs an encoder again.

    >>> import numpy as np
    >>> from taskonomy_models import build_network
    >>> net = build_network({"name": "e", "kind": "pixel_regression", "channels": 1,
    ...                      "loss": "l1"}, "tiny", (32, 32), seed=0)
    >>> r = extract_representations(net, np.zeros((5, 3, 32, 32), np.float32))
    >>> r.shape, r.dtype
    ((5, 8, 4, 4), dtype('float16'))
    """
    task = network.task
    if task.images_per_sample > 1 and len(images.shape) == 4:
        task = replace(task, images_per_sample=1)  # single images through the same encoder
    _, h, w = image_geometry(task, images)
    stride = network.config.stride
    if h % stride or w % stride:
        raise ValueError(
            f"images of {h}x{w} px are not a multiple of the encoder's stride {stride}; "
            "crop or resize them"
        )
    n = images.shape[0]
    k = task.images_per_sample
    code = (network.config.code_channels, h // stride, w // stride)
    shape = (n, *code) if k == 1 else (n, k, *code)
    if out is None:
        out = np.empty(shape, np.float16)
    elif tuple(out.shape) != shape:
        raise ValueError(f"out has shape {tuple(out.shape)}, expected {shape}")
    dev = resolve_device(device)
    channels_last = dev.type == "cuda"  # as trained there; on the CPU NCHW encodes as fast
    prepare(network.eval(), dev, channels_last)
    for start in tqdm(range(0, n, batch_size), desc="encode", disable=not progress, leave=False):
        x, _, _ = to_tensors(task, slice(start, start + batch_size), images, device=dev)
        with autocast(dev, True):
            z = network.encode(to_input(x, channels_last))
        out[start : start + x.shape[0]] = z.float().clamp(-_F16_MAX, _F16_MAX).half().cpu().numpy()
    network.to("cpu", memory_format=torch.contiguous_format)
    return out

"""Where and how a model runs: device choice, CPU threads, bf16 autocast, memory format."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import torch
from torch import nn


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``"auto"``/None picks CUDA when present, else the CPU."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} asked for, but no CUDA GPU is visible; use 'cpu'")
    return dev


def set_threads(threads: int | None) -> None:
    """CPU threads for torch: ``threads``, or (None or 0) all cores up to 4 (more rarely pays
    off for these small convolutions and starves neighbours on shared machines)."""
    if threads is not None and threads < 0:
        raise ValueError(f"threads must be >= 0 (0: choose), got {threads}")
    n = threads or min(4, os.cpu_count() or 1)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


def prepare(model: nn.Module, device: torch.device, channels_last: bool) -> nn.Module:
    model.to(device)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    return model


def to_input(x: torch.Tensor, channels_last: bool) -> torch.Tensor:
    if channels_last and x.dim() == 4:
        return x.contiguous(memory_format=torch.channels_last)
    return x


@contextlib.contextmanager
def autocast(device: torch.device, enabled: bool) -> Iterator[None]:
    """bf16 autocast on CUDA (no loss scaling needed); a no-op on the CPU, where bf16 is slow."""
    if enabled and device.type == "cuda":
        with torch.autocast("cuda", dtype=torch.bfloat16):
            yield
    else:
        yield

"""The training loop shared by task networks, readouts and the pixels baseline.

Reproducible and resumable: the data order of epoch ``e`` is a permutation drawn from
``(seed, e)``, nothing else is random during training, and a checkpoint holds the model,
optimiser and schedule states and the step count. A run killed at any point and started again
with the same work folder continues from its last checkpoint to the same final weights.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from ._device import autocast
from ._network import atomic_save

SCHEDULES = ("cosine", "step", "constant")


@dataclass(frozen=True)
class TrainConfig:
    """How to train (task networks, readouts and the pixels baseline alike).

    ``lr`` decays to ``lr_final`` over the run: by a cosine, in one ``step`` at 2/3 of the run
    (the original's 1e-4 -> 1e-5), or not at all (``constant``). ``device="auto"`` uses CUDA when
    present with bf16 autocast (``amp``); ``threads`` are the CPU threads (None or 0: up to 4).
    ``checkpoint_every`` steps (0: once per epoch) bounds the work lost to a kill.

    >>> TrainConfig(epochs=2, batch_size=16).lr_at(0, 10)
    0.001
    """

    size: str = "tiny"
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    lr_final: float = 1e-4
    schedule: str = "cosine"
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"
    threads: int | None = None
    channels_last: bool = True
    amp: bool = True
    checkpoint_every: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; use one of {SCHEDULES}")
        for name in ("epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not (self.lr > 0 and self.lr_final > 0):
            raise ValueError(f"learning rates must be positive, got {self.lr}, {self.lr_final}")

    def lr_at(self, step: int, total: int) -> float:
        progress = step / max(total, 1)
        if self.schedule == "constant":
            return self.lr
        if self.schedule == "step":
            return self.lr if progress < 2 / 3 else self.lr_final
        cos = 0.5 * (1 + math.cos(math.pi * progress))
        return self.lr_final + (self.lr - self.lr_final) * cos

    def fingerprint(self) -> dict[str, Any]:
        """What must match for a checkpoint to be resumed (not where or how fast it runs)."""
        keep = asdict(self)
        for k in ("device", "threads", "progress", "checkpoint_every"):
            keep.pop(k)
        return keep


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(n)


def batches_per_epoch(n: int, batch_size: int) -> int:
    # The last partial batch is dropped (a batch of one breaks batch norm) unless it is all.
    return max(1, n // batch_size)


def fit(
    model: nn.Module,
    step_loss: Callable[[np.ndarray], tuple[Tensor, int]],
    n: int,
    config: TrainConfig,
    device: torch.device,
    identity: dict[str, Any],
    workdir: str | os.PathLike | None = None,
    desc: str = "train",
    on_step: Callable[[int, float], None] | None = None,
) -> nn.Module:
    """Train ``model`` by Adam on ``step_loss(sorted sample indices) -> (loss, samples)``.

    ``identity`` (plain data) is stored in checkpoints; resuming a different run is refused.
    """
    bs = min(config.batch_size, n)
    per_epoch = batches_per_epoch(n, bs)
    total = config.epochs * per_epoch
    # Fused Adam on a GPU: one kernel for all parameters instead of several per tensor.
    opt = torch.optim.Adam(
        model.parameters(),
        lr=config.lr,
        weight_decay=config.weight_decay,
        fused=device.type == "cuda",
    )
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: config.lr_at(s, total) / config.lr)
    identity = {**identity, "train": config.fingerprint(), "samples": n}
    ckpt = log = None
    step = 0
    if workdir is not None:
        ckpt, log = Path(workdir) / "checkpoint.pt", Path(workdir) / "metrics.jsonl"
        if ckpt.exists():
            step = _resume(ckpt, identity, model, opt, sched, device)

    bar = tqdm(total=total, initial=step, desc=desc, disable=not config.progress, leave=False)
    epoch_loss, epoch_seen, tic = 0.0, 0, time.perf_counter()
    model.train()
    while step < total:
        epoch, i = divmod(step, per_epoch)
        index = np.sort(epoch_order(config.seed, epoch, n)[i * bs : (i + 1) * bs])
        with autocast(device, config.amp):
            loss, seen = step_loss(index)
        value = float(loss.detach())
        if not math.isfinite(value):
            raise FloatingPointError(
                f"{desc}: the loss became {value} at step {step}; lower the learning rate "
                "or check the inputs"
            )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        step += 1
        epoch_loss, epoch_seen = epoch_loss + value * seen, epoch_seen + seen
        rate = epoch_seen / max(time.perf_counter() - tic, 1e-9)
        bar.update()
        bar.set_postfix(loss=f"{value:.4g}", per_s=f"{rate:.0f}")
        if on_step is not None:
            on_step(step, value)
        end_of_epoch = step % per_epoch == 0
        every = config.checkpoint_every
        if ckpt is not None and (end_of_epoch or step == total or (every and step % every == 0)):
            _save(ckpt, identity, model, opt, sched, step)
        if end_of_epoch:
            if log is not None:
                record = {
                    "epoch": epoch + 1,
                    "step": step,
                    "loss": epoch_loss / epoch_seen,
                    "lr": sched.get_last_lr()[0],
                    "samples_per_s": rate,
                    "seconds": time.perf_counter() - tic,
                }
                with log.open("a") as f:
                    f.write(json.dumps(record) + "\n")
            epoch_loss, epoch_seen, tic = 0.0, 0, time.perf_counter()
    bar.close()
    model.eval()
    return model


def _save(path: Path, identity, model, opt, sched, step: int) -> None:
    state = {
        "identity": identity,
        "step": step,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "schedule": sched.state_dict(),
    }
    atomic_save(state, path)


def _resume(path: Path, identity, model, opt, sched, device) -> int:
    blob = torch.load(path, map_location=device, weights_only=True)
    if blob.get("identity") != identity:
        raise ValueError(
            f"checkpoint {path} was written by a different run (task, data size or training "
            "settings differ); pass a fresh work folder or delete the checkpoint"
        )
    model.load_state_dict(blob["model"])
    opt.load_state_dict(blob["optimizer"])
    sched.load_state_dict(blob["schedule"])
    return int(blob["step"])

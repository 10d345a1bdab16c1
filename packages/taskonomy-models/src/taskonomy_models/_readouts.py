"""Step II: transfer readouts from cached representations, many trained as one batched model.

A readout of sources {s1..sk} for target t (TASKONOMY.md, Step II): clip each channel to mean
+/- 5 sigma (statistics of the transfer set), batch-norm, two parallel streams of two 3x3 convs
(as wide as the input), concatenate, batch-norm, then t's decoder freshly initialised.
Multi-image targets run this trunk on each image with shared weights and concatenate.

Readouts with the same input width are stacked as groups of one grouped model (``_layers``):
each group computes, trains (Adam is element-wise; the summed loss gives each group its own
gradient) and is initialised (seeded by its name) exactly as the readout would be alone.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ._data import ArrayLike, check_labels, check_masks, label_tensors
from ._decoders import build_decoder
from ._device import prepare, resolve_device, set_threads, to_input
from ._encoders import encoder_config
from ._fit import TrainConfig, fit
from ._layers import cat_groups, conv_bn_relu, load_grouped
from ._tasks import TaskSpec, as_task, competitor_name
from ._train import per_sample

CLIP_SIGMAS = 5.0


class Readout(nn.Module):
    """``groups`` readouts of ``in_channels`` input channels each (see the module docstring)."""

    def __init__(
        self,
        target: TaskSpec,
        in_channels: int,
        code_size: tuple[int, int],
        upsamplings: int,
        size: str = "tiny",
        groups: int = 1,
    ) -> None:
        super().__init__()
        c, g = in_channels, groups
        self.groups, self.images = g, target.images_per_sample
        self.register_buffer("low", torch.full((g * c,), -math.inf))
        self.register_buffer("high", torch.full((g * c,), math.inf))
        self.norm_in = nn.BatchNorm2d(g * c)
        self.stream_a = nn.Sequential(conv_bn_relu(c, c, groups=g), conv_bn_relu(c, c, groups=g))
        self.stream_b = nn.Sequential(conv_bn_relu(c, c, groups=g), conv_bn_relu(c, c, groups=g))
        self.norm_out = nn.BatchNorm2d(g * 2 * c)
        width = 2 * c * self.images
        self.decoder = build_decoder(
            target, width, code_size, upsamplings, encoder_config(size), groups
        )

    def forward(self, x: Tensor) -> Tensor:
        """(N * images, groups * in_channels, h, w) -> (groups, N, target output...)."""
        shape = (1, -1, 1, 1)
        x = torch.maximum(torch.minimum(x, self.high.view(shape)), self.low.view(shape))
        x = self.norm_in(x)
        z = self.norm_out(cat_groups([self.stream_a(x), self.stream_b(x)], self.groups))
        if self.images > 1:  # per-image codes side by side, within each group
            nk, _, h, w = z.shape
            z = z.reshape(nk // self.images, self.images, self.groups, -1, h, w).transpose(1, 2)
            z = z.reshape(nk // self.images, -1, h, w)
        return self.decoder(z)


@dataclass(frozen=True)
class ReadoutResult:
    """Per-sample test losses of every competitor: ``losses[i]`` belongs to ``names[i]``; and,
    when asked for, each competitor's outputs on chosen test samples (``predictions[name]``, as
    :func:`predict` gives them: class probabilities for classes kinds)."""

    names: list[str]
    losses: np.ndarray
    predictions: dict[str, np.ndarray] = field(default_factory=dict)

    def as_dict(self) -> dict[str, np.ndarray]:
        return dict(zip(self.names, self.losses, strict=True))


def readout_seed(name: str, seed: int) -> int:
    """Initialisation seed of one readout: its own, whether trained alone or batched."""
    return (seed * 1_000_003 + zlib.crc32(name.encode())) % 2**63


def train_readouts(
    target: TaskSpec | Mapping[str, Any],
    competitors: Sequence[Sequence[str]],
    train_representations: Mapping[str, ArrayLike],
    train_labels: ArrayLike,
    test_representations: Mapping[str, ArrayLike],
    test_labels: ArrayLike,
    train_masks: ArrayLike | None = None,
    test_masks: ArrayLike | None = None,
    config: TrainConfig | None = None,
    workdir: str | os.PathLike | None = None,
    chunk: int | None = None,
    on_step: Callable[[int, float], None] | None = None,
    keep_predictions: Sequence[int] = (),
) -> ReadoutResult:
    """Train every readout of ``target`` at once; return per-sample TEST losses.

    ``competitors`` are source tuples: ``("s",)``, ``("s1", "s2")``, ``(t,)`` for ``t__t``,
    ``("random",)``, each a key of both representation mappings (float16 arrays from
    :func:`extract_representations`, (N, C, h, w) or (N, k, C, h, w) for k images per
    sample). Names follow the released format (``s1__s2__t``). ``chunk`` caps how many readouts
    share one grouped model (memory); ``config.size`` sizes the target decoder.
    ``keep_predictions`` (test-sample indices) keeps every readout's outputs on those samples.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> reps = {s: rng.standard_normal((16, 8, 4, 4)).astype(np.float16) for s in "ab"}
    >>> y = rng.standard_normal((16, 3)).astype(np.float32)
    >>> task = {"name": "t", "kind": "vector", "channels": 3, "loss": "l2"}
    >>> res = train_readouts(task, [("a",), ("b",), ("a", "b")], reps, y, reps, y,
    ...                      config=TrainConfig(epochs=1, batch_size=8, progress=False))
    >>> res.names, res.losses.shape
    (['a__t', 'b__t', 'a__b__t'], (3, 16))
    """
    task, config = as_task(target), config or TrainConfig()
    comps = [tuple(c) for c in competitors]
    names = [competitor_name(c, task.name) for c in comps]
    if not comps or any(not c for c in comps) or len(set(names)) != len(names):
        raise ValueError(f"competitors must be non-empty, distinct source tuples, got {comps}")
    sources = sorted({s for c in comps for s in c})
    train = _load(sources, train_representations, train_labels.shape[0], task, "train")
    test = _load(sources, test_representations, test_labels.shape[0], task, "test")
    code_size = tuple(next(iter(train.values())).shape[-2:])
    for split in (train, test):
        for s, r in split.items():
            if r.shape[-2:] != code_size or r.shape[-3] != train[s].shape[-3]:
                raise ValueError(f"representations of {s!r} differ in shape across sources/splits")
    grid, ups = _output_grid(task, train_labels, code_size)
    for labels, masks in ((train_labels, train_masks), (test_labels, test_masks)):
        check_labels(task, labels, labels.shape[0], grid)
        check_masks(task, masks, labels.shape[0], grid)

    set_threads(config.threads)
    device = resolve_device(config.device)
    bounds = {s: _clip_bounds(r) for s, r in train.items()}
    if device.type == "cuda":  # the float16 codes are small: keep them on the GPU, no copy per step
        train = {s: r.to(device) for s, r in train.items()}
        test = {s: r.to(device) for s, r in test.items()}
    channels = {s: r.shape[-3] for s, r in train.items()}
    # Readouts of equal input width share grouped models of at most `chunk` groups each.
    by_width: dict[int, list[int]] = {}
    for i, c in enumerate(comps):
        by_width.setdefault(sum(channels[s] for s in c), []).append(i)
    chunks = [
        idx[j : j + (chunk or len(idx))]
        for idx in by_width.values()
        for j in range(0, len(idx), chunk or len(idx))
    ]
    models = nn.ModuleList()
    for members in chunks:
        singles = []
        for i in members:
            cin = sum(channels[s] for s in comps[i])
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(readout_seed(names[i], config.seed))
                single = Readout(task, cin, code_size, ups, config.size)
            single.low.copy_(torch.cat([bounds[s][0] for s in comps[i]]))
            single.high.copy_(torch.cat([bounds[s][1] for s in comps[i]]))
            singles.append(single)
        grouped = Readout(task, cin, code_size, ups, config.size, groups=len(members))
        load_grouped(grouped, singles)
        models.append(grouped)
    prepare(models, device, config.channels_last)

    def run_models(reps: dict[str, Tensor], index, labels, masks):
        """Per chunk: (member indices, per-sample losses (g, n), valid (g, n), outputs)."""
        y, m = label_tensors(task, index, labels, masks, device)
        batch = {s: r[_on(index, r)].float() for s, r in reps.items()}
        for members, model in zip(chunks, models, strict=True):
            x = torch.cat([batch[s] for i in members for s in comps[i]], dim=-3)
            x = to_input(x.flatten(0, 1) if x.dim() == 5 else x, config.channels_last)
            pred = model(x)
            g, n = pred.shape[:2]
            yy = y.unsqueeze(0).expand(g, *y.shape).flatten(0, 1)
            mm = None if m is None else m.unsqueeze(0).expand(g, *m.shape).flatten(0, 1)
            values, weight = per_sample(task, pred.flatten(0, 1), yy, mm)
            yield members, values.view(g, n), weight.view(g, n) > 0, pred

    def step_loss(index: np.ndarray) -> tuple[Tensor, int]:
        total, count = 0.0, 0
        for _, values, valid, _ in run_models(train, index, train_labels, train_masks):
            count = int(valid[0].sum())
            if count == 0:
                raise ValueError(
                    f"task {task.name!r}: every sample of a batch is fully masked; drop "
                    "samples without valid ground truth"
                )
            total = total + (values * valid).sum(1).div(count).sum()
        return total, count

    identity = {"kind": "readouts", "task": task.to_dict(), "names": names}
    fit(
        models,
        step_loss,
        train_labels.shape[0],
        config,
        device,
        identity,
        workdir,
        f"readouts->{task.name}",
        on_step,
    )
    losses = np.empty((len(comps), test_labels.shape[0]))
    keep = np.unique(np.asarray(keep_predictions, dtype=np.int64))
    if len(keep) and not (keep[0] >= 0 and keep[-1] < test_labels.shape[0]):
        raise ValueError(f"keep_predictions must index the {test_labels.shape[0]} test samples")
    kept: dict[str, list[np.ndarray]] = {name: [] for name in names} if len(keep) else {}
    with torch.no_grad():
        for start in range(0, test_labels.shape[0], 256):
            index = slice(start, start + 256)
            here = torch.from_numpy(keep[(keep >= start) & (keep < start + 256)] - start)
            for members, values, _, pred in run_models(test, index, test_labels, test_masks):
                losses[members, index] = values.double().cpu().numpy()
                if len(here):
                    out = pred[:, here.to(pred.device)].float()
                    if task.kind in ("classes", "pixel_classes"):
                        out = out.softmax(2)
                    for g, i in enumerate(members):
                        kept[names[i]].append(out[g].cpu().numpy())
    predictions = {name: np.concatenate(parts) for name, parts in kept.items()}
    return ReadoutResult(names, losses, predictions)


def _on(index: np.ndarray | slice, like: Tensor) -> np.ndarray | slice | Tensor:
    """A batch's sample index, as a tensor on the device of the codes it selects."""
    if isinstance(index, slice):
        return index
    return torch.from_numpy(index).to(like.device)


def _load(sources, mapping, n: int, task: TaskSpec, split: str) -> dict[str, Tensor]:
    k = task.images_per_sample
    out = {}
    for s in sources:
        if s not in mapping:
            raise ValueError(f"no {split} representations for source {s!r}; pass them by name")
        r = torch.from_numpy(np.ascontiguousarray(np.asarray(mapping[s]), dtype=np.float16))
        ok = r.dim() == (4 if k == 1 else 5) and (k == 1 or r.shape[1] == k)
        if not ok or r.shape[0] != n:
            want = f"({n}, C, h, w)" if k == 1 else f"({n}, {k}, C, h, w)"
            raise ValueError(
                f"{split} representations of {s!r} have shape {tuple(r.shape)}, expected {want} "
                f"to match the {split} labels and target {task.name!r}"
            )
        out[s] = r
    return out


def _clip_bounds(rep: Tensor) -> tuple[Tensor, Tensor]:
    """Per-channel mean -/+ 5 sigma over samples, images and positions."""
    x = rep.double().movedim(-3, 0).reshape(rep.shape[-3], -1)
    mean, std = x.mean(1), x.std(1, correction=0)
    return (mean - CLIP_SIGMAS * std).float(), (mean + CLIP_SIGMAS * std).float()


def _output_grid(task: TaskSpec, labels: ArrayLike, code_size) -> tuple[Any, int]:
    if not task.is_pixelwise:
        return None, 0
    grid = tuple(int(v) for v in labels.shape[-2:])
    factor = grid[0] // code_size[0]
    ups = round(math.log2(max(factor, 1)))
    if grid != (code_size[0] * 2**ups, code_size[1] * 2**ups):
        raise ValueError(
            f"target {task.name!r}: labels of {grid[0]}x{grid[1]} pixels are not a power-of-two "
            f"upsampling of {code_size[0]}x{code_size[1]} representations"
        )
    return grid, ups

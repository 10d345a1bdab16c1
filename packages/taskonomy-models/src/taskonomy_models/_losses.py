"""Per-sample losses by name, masked where the ground truth is invalid.

Every loss maps ``(prediction, target, mask, class_weights)`` to two ``(N,)`` tensors: the loss of
each sample and its amount of valid ground truth (0 = fully masked, loss undefined). Pixel losses
average over the valid pixels of each sample, so a sample's loss does not depend on its batch.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

LossFn = Callable[[Tensor, Tensor, "Tensor | None", "Tensor | None"], tuple[Tensor, Tensor]]


@dataclass(frozen=True)
class Loss:
    fn: LossFn
    kinds: tuple[str, ...]
    doc: str


def _masked_mean(values: Tensor, mask: Tensor | None, weight: Tensor | None = None):
    """Mean of ``values`` (N, ...) over everything but the sample axis, where ``mask`` is true."""
    w = torch.ones_like(values) if weight is None else weight.expand_as(values)
    if mask is not None:
        w = w * mask.to(values.dtype).expand_as(values)
    dims = tuple(range(1, values.dim()))
    total = w.sum(dims) if dims else w
    summed = (values * w).sum(dims) if dims else values * w
    return summed / total.clamp_min(1e-12), total


def _pointwise(error: Callable[[Tensor], Tensor]) -> LossFn:
    def fn(pred, target, mask, _weights):
        err = error(pred.float() - target.float())
        if err.dim() == 4:  # channels averaged, then pixels: one value per pixel first
            err = err.mean(1, keepdim=True)
        elif err.dim() == 2:
            err = err.mean(1)
        return _masked_mean(err, mask)

    return fn


def cross_entropy(pred, target, mask, weights):
    """Hard (int64 class ids) or soft (float distributions over the class axis) targets."""
    logp = F.log_softmax(pred.float(), dim=1)
    if target.dtype == torch.int64:
        ce = -logp.gather(1, target.unsqueeze(1)).squeeze(1)
        w = None if weights is None else weights[target]
    else:
        ce = -(target.float() * logp).sum(1)
        w = None if weights is None else (target.float() * _bcast(weights, target)).sum(1)
    if mask is not None and mask.dim() == 4:
        mask = mask[:, 0]
    return _masked_mean(ce, mask, w)


def _bcast(weights: Tensor, like: Tensor) -> Tensor:
    return weights.view(1, -1, *([1] * (like.dim() - 2)))


def metric(pred, target, mask, _weights, margin: float = 1.0, points: int = 256):
    """Contrastive loss on pixel embeddings (segmentation): pixels of one segment are pulled
    together, pixels of different segments pushed at least ``margin`` apart. A fixed grid of about
    ``points`` pixels per image is compared pairwise, so the loss is deterministic."""
    n, e, h, w = pred.shape
    stride = max(1, math.ceil(math.sqrt(h * w / points)))
    emb = pred.float()[:, :, ::stride, ::stride].reshape(n, e, -1).transpose(1, 2)
    seg = target[:, ::stride, ::stride].reshape(n, -1)
    if mask is None:
        valid = torch.ones_like(seg, dtype=torch.bool)
    else:
        valid = mask[:, 0, ::stride, ::stride].reshape(n, -1)
    dist = torch.cdist(emb, emb).clamp_min(0)
    same = seg.unsqueeze(2) == seg.unsqueeze(1)
    pair_loss = torch.where(same, dist.square(), F.relu(margin - dist).square())
    pair_valid = valid.unsqueeze(2) & valid.unsqueeze(1)
    pair_valid &= ~torch.eye(seg.shape[1], dtype=torch.bool, device=seg.device)
    return _masked_mean(pair_loss, pair_valid)


def pose(pred, target, mask, _weights):
    """L2 on poses stored as 6-vectors (3 rotation angles in radians, then 3 translations), one
    or more per sample (egomotion: 18 = three poses). Angle errors wrap around 2*pi."""
    if pred.shape[1] % 6:
        raise ValueError(
            f"the pose loss needs vectors of 6k values (3 angles, 3 translations per pose), got "
            f"{pred.shape[1]}; use 'l2' for other vectors"
        )
    diff = (pred.float() - target.float()).view(pred.shape[0], -1, 6)
    rot = torch.atan2(torch.sin(diff[..., :3]), torch.cos(diff[..., :3]))
    err = torch.cat([rot, diff[..., 3:]], dim=-1).square().flatten(1).mean(1)
    return _masked_mean(err, mask)


LOSSES: dict[str, Loss] = {
    "l1": Loss(
        _pointwise(torch.abs),
        ("pixel_regression", "vector"),
        "mean absolute error over valid pixels / vector entries",
    ),
    "l2": Loss(
        _pointwise(torch.square),
        ("pixel_regression", "vector"),
        "mean squared error over valid pixels / vector entries",
    ),
    "cross_entropy": Loss(
        cross_entropy,
        ("classes", "pixel_classes"),
        "cross-entropy with hard or soft targets and optional class weights",
    ),
    "metric": Loss(metric, ("pixel_embedding",), "contrastive metric loss on pixel embeddings"),
    "pose": Loss(pose, ("vector",), "L2 on 6-DoF poses with wrapped angles"),
}

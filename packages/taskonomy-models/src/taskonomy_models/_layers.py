"""Layers that hold ``groups`` independent copies of themselves, and a way to fill them.

A module built with ``groups=R`` computes exactly what R modules built with ``groups=1`` compute,
side by side on the channel axis (convolutions, batch norm) or on a group axis (linear layers).
Every parameter and buffer of the grouped module is the concatenation, on its first axis, of the
same tensor in the R single modules, which is how :func:`load_grouped` initialises it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn


class GroupedLinear(nn.Module):
    """``groups`` independent linear maps on input of shape (N, groups, in_features)."""

    def __init__(self, in_features: int, out_features: int, groups: int = 1) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(groups, out_features, in_features))
        self.bias = nn.Parameter(torch.empty(groups, out_features))
        bound = 1 / math.sqrt(in_features)  # nn.Linear's default initialisation, per group
        nn.init.uniform_(self.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        return torch.einsum("ngi,goi->ngo", x, self.weight) + self.bias


def conv_bn_relu(cin: int, cout: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(groups * cin, groups * cout, 3, stride, 1, bias=False, groups=groups),
        nn.BatchNorm2d(groups * cout),
        nn.ReLU(inplace=True),
    )


def up_bn_relu(cin: int, cout: int, groups: int = 1) -> nn.Sequential:
    """Doubles the resolution with a 4x4 stride-2 transposed convolution."""
    return nn.Sequential(
        nn.ConvTranspose2d(groups * cin, groups * cout, 4, 2, 1, bias=False, groups=groups),
        nn.BatchNorm2d(groups * cout),
        nn.ReLU(inplace=True),
    )


def cat_groups(parts: Sequence[Tensor], groups: int) -> Tensor:
    """Concatenate per-group channel blocks: parts (N, groups*c_i, ...) -> (N, groups*sum, ...)."""
    n, rest = parts[0].shape[0], parts[0].shape[2:]
    split = [p.reshape(n, groups, -1, *rest) for p in parts]
    return torch.cat(split, dim=2).reshape(n, -1, *rest)


@torch.no_grad()
def load_grouped(grouped: nn.Module, singles: Sequence[nn.Module]) -> None:
    """Fill ``grouped`` (built with groups=len(singles)) with the tensors of the single modules."""
    states = [s.state_dict() for s in singles]
    target = grouped.state_dict()
    if set(target) != set(states[0]):
        raise ValueError("grouped and single modules differ in structure")
    for key, value in target.items():
        parts = [s[key] for s in states]
        if value.dim() == 0:  # batch norm's step counter: identical in every copy
            value.copy_(parts[0])
        else:
            value.copy_(torch.cat(parts, dim=0))


@torch.no_grad()
def extract_single(grouped: nn.Module, single: nn.Module, index: int) -> None:
    """The inverse of :func:`load_grouped` for one group: copy group ``index`` into ``single``."""
    source = grouped.state_dict()
    for key, value in single.state_dict().items():
        if value.dim() == 0:
            value.copy_(source[key])
        else:
            n = value.shape[0]
            value.copy_(source[key][index * n : (index + 1) * n])

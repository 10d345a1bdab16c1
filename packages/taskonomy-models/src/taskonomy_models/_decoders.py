"""Decoders by output kind, each able to hold ``groups`` independent copies (see ``_layers``).

Pixel-wise kinds (regression, classes, embedding) use an upsampling convolution stack from the
code back to the image resolution; vectors and classes use three fully connected layers. Every
decoder maps (N, groups * in_channels, h, w) to (groups, N, channels[, H, W]).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from ._encoders import EncoderConfig
from ._layers import GroupedLinear, conv_bn_relu, up_bn_relu
from ._tasks import TaskSpec


class PixelDecoder(nn.Module):
    """Learned x2 stages (transposed conv + conv) up to ``learned`` of the ``upsamplings``; the
    rest is a fixed bilinear upsampling of the output, which keeps small sizes cheap."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        upsamplings: int,
        width: int,
        learned: int | None = None,
        groups: int = 1,
    ) -> None:
        super().__init__()
        self.groups, self.out_channels = groups, out_channels
        stages = upsamplings if learned is None else min(learned, upsamplings)
        self.scale = 2 ** (upsamplings - stages)
        layers: list[nn.Module] = [conv_bn_relu(in_channels, width, groups=groups)]
        c = width
        for _ in range(stages):
            nxt = max(c // 2, 16)
            layers += [up_bn_relu(c, nxt, groups), conv_bn_relu(nxt, nxt, groups=groups)]
            c = nxt
        layers.append(nn.Conv2d(groups * c, groups * out_channels, 3, 1, 1, groups=groups))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        y = self.layers(x)
        if self.scale > 1:
            y = F.interpolate(y, scale_factor=self.scale, mode="bilinear", align_corners=False)
        n, _, h, w = y.shape
        return y.reshape(n, self.groups, self.out_channels, h, w).transpose(0, 1)


class DenseDecoder(nn.Module):
    def __init__(self, in_features: int, out_features: int, width: int, groups: int = 1) -> None:
        super().__init__()
        self.groups = groups
        self.layers = nn.Sequential(
            GroupedLinear(in_features, width, groups),
            nn.ReLU(inplace=True),
            GroupedLinear(width, width, groups),
            nn.ReLU(inplace=True),
            GroupedLinear(width, out_features, groups),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x.reshape(x.shape[0], self.groups, -1)).transpose(0, 1)


def build_decoder(
    task: TaskSpec,
    in_channels: int,
    code_size: tuple[int, int],
    upsamplings: int,
    config: EncoderConfig,
    groups: int = 1,
) -> nn.Module:
    """The decoder of ``task`` reading ``in_channels`` code channels of spatial size ``code_size``;
    pixel decoders double the resolution ``upsamplings`` times.

    >>> from taskonomy_models._encoders import ENCODERS
    >>> t = TaskSpec("scene", "classes", 5, "cross_entropy")
    >>> build_decoder(t, 8, (8, 8), 3, ENCODERS["tiny"]).layers[-1].weight.shape
    torch.Size([1, 5, 64])
    """
    if task.is_pixelwise:
        return PixelDecoder(
            in_channels,
            task.channels,
            upsamplings,
            config.decoder_width,
            config.decoder_stages,
            groups,
        )
    features = in_channels * code_size[0] * code_size[1]
    return DenseDecoder(features, task.channels, config.fc_width, groups)

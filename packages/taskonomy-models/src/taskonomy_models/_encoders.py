"""One encoder family for every task, in named sizes, from a tiny CPU net to the original.

The original (``resnet50``) is ResNet-50 with block 4 unstrided and no global pooling, then a 3x3
convolution to 8 channels with batch norm and ReLU: a 16x16x8 code from a 256x256 image. Smaller
sizes keep the shape of the design (residual stages, a final 3x3 conv to a small code).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import Tensor, nn

from ._layers import conv_bn_relu


@dataclass(frozen=True)
class EncoderConfig:
    """A size of the family. ``stride`` = image size / code size; decoders read ``decoder_width``
    (channels of the first pixel-decoder layer), ``decoder_stages`` (learned x2 upsamplings of
    pixel decoders, None = all; a bilinear upsampling does the rest) and ``fc_width`` (hidden
    units of the fully connected decoders)."""

    block: str  # "basic" (two 3x3 convs) or "bottleneck" (1x1, 3x3, 1x1, x4 expansion)
    stem: int
    widths: tuple[int, ...]
    depths: tuple[int, ...]
    strides: tuple[int, ...]
    stem_stride: int = 2
    stem_pool: bool = False
    code_channels: int = 8
    decoder_width: int = 32
    fc_width: int = 64
    decoder_stages: int | None = None

    @property
    def stride(self) -> int:
        return self.stem_stride * (2 if self.stem_pool else 1) * math.prod(self.strides)


ENCODERS: dict[str, EncoderConfig] = {
    # 32-64 px on a CPU: 64x64 -> 8x8x8; pixel outputs learned at 16x16, then bilinear.
    "tiny": EncoderConfig(
        "basic", 16, (16, 32, 32), (1, 1, 1), (1, 2, 2), decoder_width=32, decoder_stages=1
    ),
    # The tiny encoder with every decoder upsampling learned: pixel outputs at full resolution,
    # so thin maps (edges, keypoints) can be drawn rather than blurred from an 8x8 output.
    "tiny_fullres": EncoderConfig(
        "basic", 16, (16, 32, 32), (1, 1, 1), (1, 2, 2), decoder_width=32, decoder_stages=None
    ),
    # 64-128 px: 128x128 -> 8x8x8.
    "small": EncoderConfig(
        "basic",
        32,
        (32, 64, 128, 128),
        (1, 1, 1, 1),
        (1, 2, 2, 2),
        decoder_width=64,
        fc_width=128,
        decoder_stages=2,
    ),
    # ResNet-18 body, block 4 unstrided: 256x256 -> 16x16x8.
    "resnet18": EncoderConfig(
        "basic",
        64,
        (64, 128, 256, 512),
        (2, 2, 2, 2),
        (1, 2, 2, 1),
        stem_pool=True,
        decoder_width=256,
        fc_width=512,
    ),
    # The original: ResNet-50, block 4 unstrided, 256x256 -> 16x16x8.
    "resnet50": EncoderConfig(
        "bottleneck",
        64,
        (64, 128, 256, 512),
        (3, 4, 6, 3),
        (1, 2, 2, 1),
        stem_pool=True,
        decoder_width=256,
        fc_width=1024,
    ),
}


def encoder_config(size: str | EncoderConfig) -> EncoderConfig:
    if isinstance(size, EncoderConfig):
        return size
    if size not in ENCODERS:
        raise ValueError(f"unknown encoder size {size!r}; use one of {sorted(ENCODERS)}")
    return ENCODERS[size]


class _Basic(nn.Module):
    expansion = 1

    def __init__(self, cin: int, width: int, stride: int) -> None:
        super().__init__()
        cout = width * self.expansion
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 3, stride, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, cout, 3, 1, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.skip = _shortcut(cin, cout, stride)

    def forward(self, x: Tensor) -> Tensor:
        return (self.body(x) + self.skip(x)).relu_()


class _Bottleneck(_Basic):
    expansion = 4

    def __init__(self, cin: int, width: int, stride: int) -> None:
        nn.Module.__init__(self)
        cout = width * self.expansion
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, width, 3, stride, 1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.Conv2d(width, cout, 1, bias=False),
            nn.BatchNorm2d(cout),
        )
        self.skip = _shortcut(cin, cout, stride)


def _shortcut(cin: int, cout: int, stride: int) -> nn.Module:
    if cin == cout and stride == 1:
        return nn.Identity()
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class Encoder(nn.Module):
    """Image (N, in_channels, H, W) -> code (N, code_channels, H/stride, W/stride)."""

    def __init__(self, config: EncoderConfig, in_channels: int = 3) -> None:
        super().__init__()
        self.config = config
        block = {"basic": _Basic, "bottleneck": _Bottleneck}[config.block]
        layers: list[nn.Module] = [
            nn.Conv2d(
                in_channels,
                config.stem,
                7 if config.stem_pool else 3,
                config.stem_stride,
                3 if config.stem_pool else 1,
                bias=False,
            ),
            nn.BatchNorm2d(config.stem),
            nn.ReLU(inplace=True),
        ]
        if config.stem_pool:
            layers.append(nn.MaxPool2d(3, 2, 1))
        cin = config.stem
        for width, depth, stride in zip(config.widths, config.depths, config.strides, strict=True):
            for i in range(depth):
                layers.append(block(cin, width, stride if i == 0 else 1))
                cin = width * block.expansion
        layers.append(conv_bn_relu(cin, config.code_channels))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        return self.layers(x)

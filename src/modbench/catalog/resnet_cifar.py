"""ResNet-56 for CIFAR-10 and its Ghost version: GhostNet's Table 4.

He et al. (CVPR 2016, Section 4.2) build CIFAR ResNets of 6n + 2 layers: a 3×3 conv to 16
channels, three stages of n basic blocks at widths 16, 32, 64 (the first block of stages 2 and 3
halves the size), global average pooling and a 64→10 classifier. Shortcuts are identities; where
the shape changes the shortcut is option A, the input subsampled by 2 and zero-padded to the new
width, so it has no parameters. n = 9 gives ResNet-56: 0.85M weights, 125M multiply-adds, the
figures GhostNet's Table 4 prints. The Ghost version replaces every convolution (stem included)
with a Ghost module of the same kernel (s = ``ratio``, d = ``dw_size``); the classifier is kept.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.conv import conv_bn_act
from modbench.catalog.ghost import ConvUnit, ghost_conv_unit
from modbench.catalog.published import GHOSTNET
from modbench.catalog.registry import Source, register
from modbench.catalog.resnet import BasicBlock

CIFAR_WIDTHS = (16, 32, 64)


class ZeroPadShortcut(nn.Module):
    """Option A shortcut: take every ``stride``-th pixel and zero-pad the channels up to ``out_channels``."""

    def __init__(self, in_channels: int, out_channels: int, stride: int) -> None:
        super().__init__()
        if out_channels < in_channels:
            raise ValueError(f"option A can only widen: {in_channels} → {out_channels} channels")
        self.stride = stride
        self.extra = out_channels - in_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        low = self.extra // 2
        return F.pad(x, (0, 0, 0, 0, low, self.extra - low))


class CifarResNet(nn.Module):
    """3×3 stem to 16, three stages of ``blocks_per_stage`` basic blocks (16, 32, 64), pool, FC."""

    def __init__(self, blocks_per_stage: int, conv: ConvUnit = conv_bn_act, num_classes: int = 10) -> None:
        super().__init__()
        if blocks_per_stage < 1:
            raise ValueError(f"blocks_per_stage must be at least 1, got {blocks_per_stage}")
        self.stem = conv(3, CIFAR_WIDTHS[0], 3)
        blocks: list[nn.Module] = []
        channels = CIFAR_WIDTHS[0]
        for stage, width in enumerate(CIFAR_WIDTHS):
            for block in range(blocks_per_stage):
                stride = 2 if block == 0 and stage > 0 else 1
                shortcut = ZeroPadShortcut(channels, width, stride) if stride > 1 or channels != width else None
                blocks.append(BasicBlock(channels, width, stride, conv=conv, shortcut=shortcut))
                channels = width
        self.stages = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


@register(
    family="model",
    example_input=inputs.image(3),
    source=Source(paper=GHOSTNET + ", Table 4 (ResNet-56 on CIFAR-10)"),
    tags=("cnn", "residual", "cifar", "ghost-paper"),
)
def resnet56_cifar(num_classes: int = 10, hw: int = 32) -> nn.Module:
    """ResNet-56 for 32×32 CIFAR-10 (He et al. 2016, option A shortcuts); published 0.85M weights, 125M MACs."""
    return CifarResNet(9, conv_bn_act, num_classes)


@register(
    family="model",
    example_input=inputs.image(3),
    source=Source(paper=GHOSTNET + ", Table 4 (Ghost-ResNet-56)"),
    tags=("cnn", "residual", "cifar", "ghost", "ghost-paper"),
)
def ghost_resnet56_cifar(ratio: int = 2, dw_size: int = 3, num_classes: int = 10, hw: int = 32) -> nn.Module:
    """Ghost-ResNet-56: every conv of ``resnet56_cifar`` a Ghost module; published (s=2, d=3) 0.43M, 63M MACs."""
    return CifarResNet(9, ghost_conv_unit(ratio, dw_size), num_classes)

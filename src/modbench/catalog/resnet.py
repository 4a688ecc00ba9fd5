"""ResNet family: basic and bottleneck residual blocks, ResNet-50, and ResNet-50 with CBAM.

He et al., "Deep Residual Learning for Image Recognition", CVPR 2016 (seed 003 names it). The
layout is torchvision's ``resnet50`` (stride on the bottleneck's 3×3 conv, "ResNet v1.5"), so its
parameter count is exactly 25,557,032. ``resnet50_cbam`` puts CBAM on every bottleneck's
residual branch output, before the addition, as the CBAM paper (Woo et al., ECCV 2018) does.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.attention import CBAM
from modbench.catalog.conv import conv_bn_act
from modbench.catalog.ghost import ConvUnit, ghost_conv_unit
from modbench.catalog.published import GHOSTNET
from modbench.catalog.registry import Source, register

_SEED_003 = "003_8a18f65d998948f5.txt"
_SEED_004 = "004_81c9ba79a33398cc.txt"
_PAPER = "He et al., Deep Residual Learning for Image Recognition, CVPR 2016"

# Residual branch output channels → an attention module for it (None: plain ResNet).
AttentionFactory = Callable[[int], nn.Module]


def _shortcut(in_channels: int, out_channels: int, stride: int, conv: ConvUnit = conv_bn_act) -> nn.Module:
    """Identity when the shape is kept, else a 1×1 projection (stride s) with batch norm (option B)."""
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return conv(in_channels, out_channels, 1, stride, act=None)


class BasicBlock(nn.Module):
    """Two 3×3 conv + BN (ReLU between), added to the shortcut, then ReLU (ResNet-18/34's block).

    ``conv`` builds each conv unit (a Ghost module for Ghost-ResNets); ``shortcut`` replaces the
    default identity-or-projection shortcut (the CIFAR ResNets' parameter-free option A).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        stride: int = 1,
        conv: ConvUnit = conv_bn_act,
        shortcut: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.residual = nn.Sequential(
            conv(in_channels, out_channels, 3, stride),
            conv(out_channels, out_channels, 3, act=None),
        )
        self.shortcut = shortcut if shortcut is not None else _shortcut(in_channels, out_channels, stride)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.residual(x) + self.shortcut(x))


class Bottleneck(nn.Module):
    """1×1 reduce, 3×3 (stride s), 1×1 expand to ``expansion``× width, each with BN; [attention]; add; ReLU."""

    def __init__(
        self,
        in_channels: int,
        mid_channels: int,
        stride: int = 1,
        expansion: int = 4,
        attention: AttentionFactory | None = None,
        conv: ConvUnit = conv_bn_act,
    ) -> None:
        super().__init__()
        out_channels = mid_channels * expansion
        layers: list[nn.Module] = [
            conv(in_channels, mid_channels, 1),
            conv(mid_channels, mid_channels, 3, stride),
            conv(mid_channels, out_channels, 1, act=None),
        ]
        if attention is not None:
            layers.append(attention(out_channels))
        self.residual = nn.Sequential(*layers)
        self.shortcut = _shortcut(in_channels, out_channels, stride, conv)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.residual(x) + self.shortcut(x))


class ResNet(nn.Module):
    """Bottleneck ResNet: 7×7/2 stem, 3×3/2 max pool, four stages (widths 64…512), pool, FC.

    ``conv`` builds every conv unit of the stages, shortcuts included; the stem stays a plain
    convolution.
    """

    def __init__(
        self,
        stage_blocks: tuple[int, ...],
        num_classes: int = 1000,
        attention: AttentionFactory | None = None,
        conv: ConvUnit = conv_bn_act,
    ) -> None:
        super().__init__()
        self.stem = nn.Sequential(conv_bn_act(3, 64, 7, stride=2), nn.MaxPool2d(3, stride=2, padding=1))
        stages: list[nn.Module] = []
        channels = 64
        for index, blocks in enumerate(stage_blocks):
            mid_channels = 64 * 2**index
            stage: list[nn.Module] = []
            for block in range(blocks):
                stride = 2 if block == 0 and index > 0 else 1
                stage.append(Bottleneck(channels, mid_channels, stride, attention=attention, conv=conv))
                channels = mid_channels * 4
            stages.append(nn.Sequential(*stage))
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_003, paper=_PAPER),
    tags=("conv", "residual", "seed-003"),
)
def residual_basic(in_channels: int = 64, out_channels: int = 64, stride: int = 1, hw: int = 56) -> nn.Module:
    """ResNet basic block (two 3×3 convs; ResNet-34's conv2_x by default); projection if the shape changes."""
    return BasicBlock(in_channels, out_channels, stride)


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_003, paper=_PAPER),
    tags=("conv", "residual", "seed-003"),
)
def residual_bottleneck(
    in_channels: int = 256, mid_channels: int = 64, expansion: int = 4, stride: int = 1, hw: int = 56
) -> nn.Module:
    """ResNet bottleneck block (1×1, 3×3, 1×1; ResNet-50's conv2_x by default); projection if the shape changes."""
    return Bottleneck(in_channels, mid_channels, stride, expansion)


@register(
    family="model",
    example_input=inputs.image(3),
    source=Source(seed=_SEED_003, paper=_PAPER + ", Table 1"),
    tags=("cnn", "residual", "imagenet", "seed-003"),
)
def resnet50(num_classes: int = 1000, hw: int = 224) -> nn.Module:
    """ResNet-50 in torchvision's layout: 25,557,032 parameters, 4.1G MACs at 224×224."""
    return ResNet((3, 4, 6, 3), num_classes)


@register(
    family="model",
    example_input=inputs.image(3),
    source=Source(seed=_SEED_004, paper="Woo et al., CBAM: Convolutional Block Attention Module, ECCV 2018, Table 4"),
    tags=("cnn", "residual", "attention", "imagenet", "seed-004"),
)
def resnet50_cbam(num_classes: int = 1000, reduction: int = 16, kernel_size: int = 7, hw: int = 224) -> nn.Module:
    """ResNet-50 with CBAM (reduction 16, 7×7) on each bottleneck's branch output, before the addition.

    The CBAM is seed 004's: its MLP has no biases and its spatial conv no batch norm, whereas the
    paper's code has both; that is why this model has ≈16k fewer parameters than the paper's
    28.09M. The published ResNet-50 → CBAM growth is 25.56M → 28.09M (+9.9 %), not 0.1 %.
    """
    return ResNet((3, 4, 6, 3), num_classes, attention=lambda channels: CBAM(channels, reduction, kernel_size))


@register(
    family="model",
    example_input=inputs.image(3),
    source=Source(paper=GHOSTNET + ", Table 5"),
    tags=("cnn", "residual", "ghost", "imagenet", "ghost-paper"),
)
def ghost_resnet50(ratio: int = 2, dw_size: int = 3, num_classes: int = 1000, hw: int = 224) -> nn.Module:
    """Ghost-ResNet-50: every conv of ResNet-50's stages a Ghost module (published s=2: 13.0M, s=4: 6.5M).

    The paper's Table 5 replaces the convolutions of ResNet-50 with Ghost modules (d = 3) at
    s = 2 and s = 4 (published FLOPs 2.2B and 1.2B). Here the bottlenecks' 1×1 and 3×3 convs and
    the projection shortcuts become Ghost modules; the 7×7 stem and the FC classifier stay plain.
    """
    return ResNet((3, 4, 6, 3), num_classes, conv=ghost_conv_unit(ratio, dw_size))

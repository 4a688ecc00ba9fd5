"""Attention that reweights CNN features: CBAM's channel and spatial attention, squeeze-and-excitation.

Each module here returns the input multiplied by its attention map, so it can be dropped into a
network (or measured) as a block. The seed's ``ChannelAttention`` and ``SpatialAttention`` return
the map and leave the multiplication to ``CBAM``; the composed CBAM computes the same.
"""

from __future__ import annotations

import torch
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.registry import Source, register

_SEED_004 = "004_81c9ba79a33398cc.txt"
_CBAM_PAPER = "Woo et al., CBAM: Convolutional Block Attention Module, ECCV 2018"


class ChannelAttention(nn.Module):
    """CBAM's channel attention: avg- and max-pooled descriptors through one shared MLP, summed, sigmoid.

    The MLP is two 1×1 convolutions without bias (C → C/r → C with ReLU between), as in the seed:
    2·C·(C/r) parameters, run twice per sample (once per descriptor).
    """

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        hidden = channels // reduction
        if hidden < 1:
            raise ValueError(f"channels ({channels}) must be at least the reduction ratio ({reduction})")
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.max_pool = nn.AdaptiveMaxPool2d(1)
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=False),
            nn.ReLU(),
            nn.Conv2d(hidden, channels, 1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = torch.sigmoid(self.mlp(self.avg_pool(x)) + self.mlp(self.max_pool(x)))
        return x * weights


class SpatialAttention(nn.Module):
    """CBAM's spatial attention: channel-wise mean and max maps, concatenated, k×k conv (no bias), sigmoid."""

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        descriptors = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.conv(descriptors))


class CBAM(nn.Module):
    """Channel attention, then spatial attention on the channel-refined features (sequential, as in the paper)."""

    def __init__(self, channels: int, reduction: int = 16, kernel_size: int = 7) -> None:
        super().__init__()
        self.channel = ChannelAttention(channels, reduction)
        self.spatial = SpatialAttention(kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.spatial(self.channel(x))


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation with a hard-sigmoid gate, as MobileNetV3 and GhostNet use it.

    Global average pool, 1×1 conv (with bias) to ``reduced_channels``, ReLU, 1×1 conv (with bias)
    back, hard sigmoid, multiply. Each network rounds ``reduced_channels`` its own way, so the
    caller passes it.
    """

    def __init__(self, channels: int, reduced_channels: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, reduced_channels, 1)
        self.act = nn.ReLU(inplace=True)
        self.expand = nn.Conv2d(reduced_channels, channels, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(self.expand(self.act(self.reduce(self.pool(x)))))


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_004, paper=_CBAM_PAPER),
    tags=("attention", "seed-004"),
)
def channel_attention(in_channels: int = 64, reduction: int = 16, hw: int = 32) -> nn.Module:
    """CBAM channel attention from seed 004, applied to its input (the seed returns only the map)."""
    return ChannelAttention(in_channels, reduction)


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_004, paper=_CBAM_PAPER),
    tags=("attention", "seed-004"),
)
def spatial_attention(in_channels: int = 64, kernel_size: int = 7, hw: int = 32) -> nn.Module:
    """CBAM spatial attention from seed 004, applied to its input (the seed returns only the map)."""
    return SpatialAttention(kernel_size)


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_004, paper=_CBAM_PAPER),
    tags=("attention", "seed-004"),
)
def cbam(in_channels: int = 64, reduction: int = 16, kernel_size: int = 7, hw: int = 32) -> nn.Module:
    """CBAM from seed 004: channel attention (reduction 16) then spatial attention (7×7 conv)."""
    return CBAM(in_channels, reduction, kernel_size)

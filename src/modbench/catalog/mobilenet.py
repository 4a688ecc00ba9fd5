"""MobileNetV3-Large and -Small: the models seed 004 and GhostNet's Table 7 compare GhostNet with.

Howard et al., "Searching for MobileNetV3", ICCV 2019, Tables 1 (Large) and 2 (Small). Inverted residuals (1×1 expand,
depthwise k×k, optional squeeze-and-excite, 1×1 project) with ReLU or hard-swish, the layout
torchvision's ``mobilenet_v3_large`` and ``mobilenet_v3_small`` use.
"""

from __future__ import annotations

import torch
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.attention import SqueezeExcite
from modbench.catalog.conv import ActFactory, conv_bn_act, make_divisible, relu_inplace
from modbench.catalog.registry import Source, register

_SEED_004 = "004_81c9ba79a33398cc.txt"

# MobileNetV3-Large, the paper's Table 1, one row per bottleneck:
# (kernel, expansion width, output width, squeeze-and-excite, hard-swish, stride).
LARGE_BOTTLENECKS: tuple[tuple[int, int, int, bool, bool, int], ...] = (
    (3, 16, 16, False, False, 1),
    (3, 64, 24, False, False, 2),
    (3, 72, 24, False, False, 1),
    (5, 72, 40, True, False, 2),
    (5, 120, 40, True, False, 1),
    (5, 120, 40, True, False, 1),
    (3, 240, 80, False, True, 2),
    (3, 200, 80, False, True, 1),
    (3, 184, 80, False, True, 1),
    (3, 184, 80, False, True, 1),
    (3, 480, 112, True, True, 1),
    (3, 672, 112, True, True, 1),
    (5, 672, 160, True, True, 2),
    (5, 960, 160, True, True, 1),
    (5, 960, 160, True, True, 1),
)


# MobileNetV3-Small, the paper's Table 2, in the same layout.
SMALL_BOTTLENECKS: tuple[tuple[int, int, int, bool, bool, int], ...] = (
    (3, 16, 16, True, False, 2),
    (3, 72, 24, False, False, 2),
    (3, 88, 24, False, False, 1),
    (5, 96, 40, True, True, 2),
    (5, 240, 40, True, True, 1),
    (5, 240, 40, True, True, 1),
    (5, 120, 48, True, True, 1),
    (5, 144, 48, True, True, 1),
    (5, 288, 96, True, True, 2),
    (5, 576, 96, True, True, 1),
    (5, 576, 96, True, True, 1),
)


def _hardswish() -> nn.Module:
    return nn.Hardswish(inplace=True)


class InvertedResidual(nn.Module):
    """1×1 expand (skipped when the width does not change), depthwise k×k, [SE], 1×1 linear projection.

    The residual connection is used when stride is 1 and the width is kept.
    """

    def __init__(
        self,
        in_channels: int,
        mid_channels: int,
        out_channels: int,
        kernel_size: int,
        use_se: bool,
        act: ActFactory,
        stride: int,
    ) -> None:
        super().__init__()
        self.use_residual = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if mid_channels != in_channels:
            layers.append(conv_bn_act(in_channels, mid_channels, 1, act=act))
        layers.append(conv_bn_act(mid_channels, mid_channels, kernel_size, stride, groups=mid_channels, act=act))
        if use_se:
            layers.append(SqueezeExcite(mid_channels, make_divisible(mid_channels // 4, 8)))
        layers.append(conv_bn_act(mid_channels, out_channels, 1, act=None))
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.block(x)
        return out + x if self.use_residual else out


class MobileNetV3(nn.Module):
    """MobileNetV3 trunk from a bottleneck table, a 1×1 conv to 6× the last width, pool, two-layer head."""

    def __init__(
        self,
        bottlenecks: tuple[tuple[int, int, int, bool, bool, int], ...],
        head_channels: int,
        num_classes: int = 1000,
        width_mult: float = 1.0,
        dropout: float = 0.2,
    ) -> None:
        super().__init__()
        table_channels = 16
        channels = make_divisible(table_channels * width_mult, 8)
        layers: list[nn.Module] = [conv_bn_act(3, channels, 3, stride=2, act=_hardswish)]
        for kernel_size, expansion, out, use_se, use_hs, stride in bottlenecks:
            out_channels = make_divisible(out * width_mult, 8)
            # The expansion is a factor of the block's actual (rounded) input width, as in the
            # paper's TensorFlow models; at 1.0x this is the table's width.
            mid_channels = make_divisible(channels * expansion / table_channels, 8)
            act = _hardswish if use_hs else relu_inplace
            layers.append(InvertedResidual(channels, mid_channels, out_channels, kernel_size, use_se, act, stride))
            channels, table_channels = out_channels, out
        layers.append(conv_bn_act(channels, 6 * channels, 1, act=_hardswish))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(6 * channels, head_channels),
            nn.Hardswish(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(head_channels, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.pool(self.features(x)))


@register(
    family="model",
    example_input=inputs.image(3),
    source=Source(seed=_SEED_004, paper="Howard et al., Searching for MobileNetV3, ICCV 2019, Table 1"),
    tags=("cnn", "imagenet", "seed-004"),
)
def mobilenetv3_large(num_classes: int = 1000, width_mult: float = 1.0, hw: int = 224) -> nn.Module:
    """MobileNetV3-Large at 224×224 (published at 1.0×: 5.4M params, 219M MACs; at 0.75×: 4.0M, 155M).

    The published figures are the paper's Table 3 (also quoted in GhostNet's Table 7). modbench
    counts 5,483,032 parameters and 216.6M MACs at 1.0× (1.1 % below the printed 219M; modbench
    counts the multiply-adds of convolutions and linear layers only, and the paper does not say
    what else its figure includes) and 3.99M / 154.6M at 0.75×.

    Output widths are scaled by ``width_mult`` and rounded to multiples of 8; expansion widths
    follow the rounded input width and the 1280-wide head is kept at every width, as in the
    paper's TensorFlow models. That reproduces the published 0.75× figures (3.99M params,
    155M MACs); torchvision's rounding (expansions scaled on their own, head scaled) gives 3.38M
    and 140M there. At 1.0× both layouts are identical to torchvision's ``mobilenet_v3_large``.
    """
    return MobileNetV3(LARGE_BOTTLENECKS, 1280, num_classes, width_mult)


@register(
    family="model",
    example_input=inputs.image(3),
    source=Source(paper="Howard et al., Searching for MobileNetV3, ICCV 2019, Table 2; GhostNet Table 7"),
    tags=("cnn", "imagenet", "ghost-paper"),
)
def mobilenetv3_small(num_classes: int = 1000, width_mult: float = 1.0, hw: int = 224) -> nn.Module:
    """MobileNetV3-Small at 224×224 (paper Table 2; published at 1.0×: 2.5M params, 56M MACs).

    The same inverted residuals as ``mobilenetv3_large`` with the Small table, a 1×1 conv to
    576, and a 1024-wide head. At 1.0× the layout is torchvision's ``mobilenet_v3_small``
    (2,542,856 parameters).
    """
    return MobileNetV3(SMALL_BOTTLENECKS, 1024, num_classes, width_mult)

"""Ghost family: the Ghost module (seed 004) and GhostNet 1.0× built from Ghost bottlenecks.

Han et al., "GhostNet: More Features from Cheap Operations", CVPR 2020. A Ghost module makes
m = ceil(n/s) "intrinsic" feature maps with an ordinary convolution and the other m(s−1) with a
cheap depthwise d×d convolution of those, then keeps the first n. Its saving over a plain k×k
convolution is ≈ s only when d = k or c·k² ≫ (s−1)·d² (GhostNet itself uses k = 1, d = 3).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.attention import SqueezeExcite
from modbench.catalog.conv import ActFactory, conv_bn_act, make_divisible, relu_inplace
from modbench.catalog.registry import Source, register

_SEED_004 = "004_81c9ba79a33398cc.txt"
_PAPER = "Han et al., GhostNet: More Features from Cheap Operations, CVPR 2020"

# GhostNet 1.0×, the paper's Table 1, one row per Ghost bottleneck:
# (depthwise kernel, expansion width, output width, squeeze-and-excite, stride).
GHOSTNET_BOTTLENECKS: tuple[tuple[int, int, int, bool, int], ...] = (
    (3, 16, 16, False, 1),
    (3, 48, 24, False, 2),
    (3, 72, 24, False, 1),
    (5, 72, 40, True, 2),
    (5, 120, 40, True, 1),
    (3, 240, 80, False, 2),
    (3, 200, 80, False, 1),
    (3, 184, 80, False, 1),
    (3, 184, 80, False, 1),
    (3, 480, 112, True, 1),
    (3, 672, 112, True, 1),
    (5, 672, 160, True, 2),
    (5, 960, 160, False, 1),
    (5, 960, 160, True, 1),
    (5, 960, 160, False, 1),
    (5, 960, 160, True, 1),
)


class GhostModule(nn.Module):
    """Primary k×k conv to m = ceil(n/s) maps, cheap depthwise d×d conv to m(s−1) more, concat, keep n.

    Both convolutions are followed by batch norm and (if ``relu``) ReLU, as in the seed and the
    paper's code. Parameters: c·m·k² + m(s−1)·d² weights + 2 per batch-norm channel.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 1,
        ratio: int = 2,
        dw_size: int = 3,
        stride: int = 1,
        relu: bool = True,
    ) -> None:
        super().__init__()
        if ratio < 2:
            raise ValueError(f"ratio must be at least 2 (ratio 1 is a plain convolution), got {ratio}")
        if dw_size % 2 == 0:
            raise ValueError(f"dw_size must be odd so ghost maps keep the intrinsic maps' size, got {dw_size}")
        self.out_channels = out_channels
        intrinsic = -(-out_channels // ratio)  # ceil without going through floats
        act = relu_inplace if relu else None
        self.primary = conv_bn_act(in_channels, intrinsic, kernel_size, stride, act=act)
        self.cheap = conv_bn_act(intrinsic, intrinsic * (ratio - 1), dw_size, groups=intrinsic, act=act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        intrinsic = self.primary(x)
        ghosts = self.cheap(intrinsic)
        return torch.cat([intrinsic, ghosts], dim=1)[:, : self.out_channels]


ConvUnit = Callable[..., nn.Module]
"""Builds a conv unit as ``conv_bn_act(in_channels, out_channels, kernel_size, stride, act=...)`` does."""


def ghost_conv_unit(ratio: int, dw_size: int) -> ConvUnit:
    """A drop-in for ``conv_bn_act`` that builds a Ghost module instead (the paper's Tables 2–5).

    This is how the paper turns VGG-16 and ResNets into Ghost networks: every convolution
    (with its batch norm and ReLU) becomes a Ghost module with the same kernel, stride and width;
    a unit without activation becomes a Ghost module without ReLU. Grouped convolutions have no
    Ghost counterpart here and are refused.
    """

    def build(
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        groups: int = 1,
        act: ActFactory | None = relu_inplace,
    ) -> nn.Module:
        if groups != 1:
            raise ValueError(f"a Ghost module replaces only ungrouped convolutions, got groups={groups}")
        return GhostModule(in_channels, out_channels, kernel_size, ratio, dw_size, stride, relu=act is not None)

    return build


class GhostBottleneck(nn.Module):
    """Ghost bottleneck: Ghost module (expand, ReLU), [depthwise stride-2 conv], [SE], Ghost module (project).

    The shortcut is the identity when shape is kept, otherwise a depthwise k×k (stride s) and a
    1×1 convolution, each with batch norm, as in the paper's code.
    """

    def __init__(
        self, in_channels: int, mid_channels: int, out_channels: int, kernel_size: int, use_se: bool, stride: int
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = [GhostModule(in_channels, mid_channels, relu=True)]
        if stride > 1:
            layers.append(conv_bn_act(mid_channels, mid_channels, kernel_size, stride, groups=mid_channels, act=None))
        if use_se:
            layers.append(SqueezeExcite(mid_channels, make_divisible(mid_channels * 0.25, 4)))
        layers.append(GhostModule(mid_channels, out_channels, relu=False))
        self.residual = nn.Sequential(*layers)
        if in_channels == out_channels and stride == 1:
            self.shortcut: nn.Module = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                conv_bn_act(in_channels, in_channels, kernel_size, stride, groups=in_channels, act=None),
                conv_bn_act(in_channels, out_channels, 1, act=None),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.residual(x) + self.shortcut(x)


class GhostNet(nn.Module):
    """GhostNet (paper Table 1): 3×3 stem, 16 Ghost bottlenecks, 1×1 conv to 960, pool, 1×1 conv to 1280, FC."""

    def __init__(self, num_classes: int = 1000, width_mult: float = 1.0, dropout: float = 0.2) -> None:
        super().__init__()
        channels = make_divisible(16 * width_mult, 4)
        self.stem = conv_bn_act(3, channels, 3, stride=2)
        blocks: list[nn.Module] = []
        for kernel_size, expansion, out, use_se, stride in GHOSTNET_BOTTLENECKS:
            out_channels = make_divisible(out * width_mult, 4)
            mid_channels = make_divisible(expansion * width_mult, 4)
            blocks.append(GhostBottleneck(channels, mid_channels, out_channels, kernel_size, use_se, stride))
            channels = out_channels
        final_channels = make_divisible(GHOSTNET_BOTTLENECKS[-1][1] * width_mult, 4)
        blocks.append(conv_bn_act(channels, final_channels, 1))
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Sequential(nn.Conv2d(final_channels, 1280, 1), nn.ReLU(inplace=True), nn.Flatten())
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(1280, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.head(self.pool(self.blocks(self.stem(x))))))


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_004, paper=_PAPER),
    tags=("conv", "ghost", "seed-004"),
)
def ghost(
    in_channels: int = 32,
    out_channels: int = 64,
    kernel_size: int = 1,
    ratio: int = 2,
    dw_size: int = 3,
    stride: int = 1,
    relu: bool = True,
    hw: int = 32,
) -> nn.Module:
    """Ghost module from seed 004 (GhostNet, CVPR 2020) with the seed's defaults (k=1, s=2, d=3).

    Unlike the seed, ratio < 2 and an even dw_size are refused (the seed builds an empty cheap
    op for s = 1 and fails to concatenate for even d), and the primary width is an integer ceil.
    """
    return GhostModule(in_channels, out_channels, kernel_size, ratio, dw_size, stride, relu)


@register(
    family="model",
    example_input=inputs.image(3),
    source=Source(seed=_SEED_004, paper=_PAPER + ", Table 1"),
    tags=("cnn", "ghost", "imagenet", "seed-004"),
)
def ghostnet(num_classes: int = 1000, width_mult: float = 1.0, hw: int = 224) -> nn.Module:
    """GhostNet 1.0× for 224×224 ImageNet (paper Table 1; published: 5.2M params, 141M MACs).

    Channel widths are scaled by ``width_mult`` and rounded to multiples of 4, as in the paper's
    code; the 1280-wide head is not scaled. Dropout 0.2 before the classifier.
    """
    return GhostNet(num_classes, width_mult)

"""Plain convolution family: the conv-BN-activation unit, depthwise and 1×1-MLP (NiN) blocks, CoordConv.

``conv_bn_act`` is the unit that most CNN blocks in the catalog repeat (Ghost, MobileNetV3,
GhostNet, ResNet build on it), so every block counts the same convolution the same way.
``conv2d`` is the baseline that Ghost, CoordConv and S2-MLP are compared with.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import partial

import torch
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.registry import Source, register

ActFactory = Callable[[], nn.Module]

relu_inplace: ActFactory = partial(nn.ReLU, inplace=True)
"""The default activation of ``conv_bn_act``: in place, as torchvision's CNNs do, so it allocates nothing."""

_SEED_001 = "001_6c60effe9a579057.txt"
_SEED_003 = "003_8a18f65d998948f5.txt"
_SEED_004 = "004_81c9ba79a33398cc.txt"


def make_divisible(value: float, divisor: int) -> int:
    """Round a scaled channel count to a multiple of ``divisor``, never more than 10 % below ``value``.

    The rounding MobileNet, MobileNetV3 and GhostNet use when a width multiplier scales channels.
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def conv_out_size(size: int, kernel_size: int, stride: int = 1, padding: int = 0) -> int:
    """Output length of a convolution or (floor-mode) pooling window along one spatial axis."""
    return (size + 2 * padding - kernel_size) // stride + 1


def conv_bn_act(
    in_channels: int,
    out_channels: int,
    kernel_size: int = 3,
    stride: int = 1,
    groups: int = 1,
    act: ActFactory | None = relu_inplace,
) -> nn.Sequential:
    """k×k convolution without bias, batch norm, then an optional activation (children conv, bn, act).

    The bias is left out because batch norm's shift makes it redundant. Padding is
    ``kernel_size // 2`` ("same" for odd kernels at stride 1).
    """
    layers: OrderedDict[str, nn.Module] = OrderedDict(
        conv=nn.Conv2d(
            in_channels,
            out_channels,
            kernel_size,
            stride,
            kernel_size // 2,
            groups=groups,
            bias=False,
        ),
        bn=nn.BatchNorm2d(out_channels),
    )
    if act is not None:
        layers["act"] = act()
    return nn.Sequential(layers)


def mlpconv(in_channels: int, out_channels: int, kernel_size: int, stride: int, padding: int) -> nn.Sequential:
    """NiN's "mlpconv" block: a k×k convolution and two 1×1 convolutions, each with bias and ReLU (seed 001).

    The two 1×1 convolutions are a two-layer perceptron applied to every pixel's channel vector:
    the "network in network" that replaces fully connected layers. A plain ``nn.Sequential``,
    as in the seed, so a walk over a NiN prints the seed's layer names.
    """
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1),
        nn.ReLU(),
    )


class AddCoords(nn.Module):
    """Append x and y coordinate channels (and optionally the radius) to an N×C×H×W tensor.

    Coordinates run over ``linspace(-1, 1)`` along each axis, as the seed's code does (its prose
    says ``[0/W, …, (W-1)/W]``; the code is followed). The radius is ``sqrt(x² + y²)``, the
    distance from the centre. They are rebuilt every forward so any input size works, and their
    cost is part of what CoordConv costs.
    """

    def __init__(self, with_r: bool = False) -> None:
        super().__init__()
        self.with_r = with_r

    @property
    def extra_channels(self) -> int:
        """How many channels ``forward`` appends."""
        return 3 if self.with_r else 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, _, height, width = x.shape
        xs = torch.linspace(-1, 1, width, device=x.device, dtype=x.dtype).view(1, 1, 1, width)
        ys = torch.linspace(-1, 1, height, device=x.device, dtype=x.dtype).view(1, 1, height, 1)
        coords = [xs.expand(batch, 1, height, width), ys.expand(batch, 1, height, width)]
        if self.with_r:
            coords.append(torch.sqrt(xs**2 + ys**2).expand(batch, 1, height, width))
        return torch.cat([x, *coords], dim=1)


class CoordConv(nn.Module):
    """A convolution (with bias) over the input plus coordinate channels (Liu et al., 2018).

    With ``coords=False`` no channel is appended: the same convolution without them, the
    baseline that isolates what the coordinates cost.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int = 3,
        stride: int = 1,
        with_r: bool = False,
        coords: bool = True,
    ) -> None:
        super().__init__()
        self.add_coords: nn.Module = AddCoords(with_r) if coords else nn.Identity()
        extra = getattr(self.add_coords, "extra_channels", 0)
        self.conv = nn.Conv2d(in_channels + extra, out_channels, kernel_size, stride, kernel_size // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.add_coords(x))


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_003, paper="LeCun et al., Gradient-based learning applied to document recognition, 1998"),
    tags=("conv", "baseline", "seed-003"),
)
def conv2d(
    in_channels: int = 32, out_channels: int = 64, kernel_size: int = 3, stride: int = 1, hw: int = 32
) -> nn.Module:
    """Plain k×k convolution + batch norm + ReLU: the baseline for Ghost, CoordConv and S2-MLP.

    The convolution has no bias (batch norm follows); padding is ``kernel_size // 2``.
    """
    return conv_bn_act(in_channels, out_channels, kernel_size, stride)


@register(
    family="block",
    example_input=inputs.vector(),
    source=Source(seed=_SEED_003),
    tags=("mlp", "baseline", "seed-003"),
)
def linear(in_features: int = 512, out_features: int = 512, bias: bool = True) -> nn.Module:
    """Fully connected layer (seed 003's contrast to convolution): in_features·out_features weights."""
    return nn.Linear(in_features, out_features, bias=bias)


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(paper="Howard et al., MobileNets: Efficient Convolutional Neural Networks for Mobile Vision, 2017"),
    tags=("conv", "depthwise"),
)
def depthwise_conv2d(in_channels: int = 32, kernel_size: int = 3, stride: int = 1, hw: int = 32) -> nn.Module:
    """Depthwise k×k convolution + batch norm + ReLU (MobileNets): one k×k filter per channel.

    The cheap operation of Ghost and the spatial step of MobileNetV3's inverted residuals.
    """
    return conv_bn_act(in_channels, in_channels, kernel_size, stride, groups=in_channels)


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_001, paper="Lin et al., Network In Network, ICLR 2014"),
    tags=("conv", "mlp", "seed-001"),
)
def nin_block(
    in_channels: int = 32, out_channels: int = 64, kernel_size: int = 3, stride: int = 1, padding: int = 1, hw: int = 32
) -> nn.Module:
    """NiN block from seed 001: k×k convolution and two 1×1 convolutions, each with bias and ReLU."""
    return mlpconv(in_channels, out_channels, kernel_size, stride, padding)


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(
        seed=_SEED_004,
        paper=(
            "Liu et al., An intriguing failing of convolutional neural networks and the CoordConv solution, "
            "NeurIPS 2018"
        ),
    ),
    tags=("conv", "seed-004"),
)
def coordconv(
    in_channels: int = 32,
    out_channels: int = 64,
    kernel_size: int = 3,
    stride: int = 1,
    with_r: bool = False,
    coords: bool = True,
    hw: int = 32,
) -> nn.Module:
    """CoordConv from seed 004: x, y (and with_r: radius) channels appended, then a k×k conv with bias.

    ``coords=False`` appends nothing: the same convolution without the extra channels.
    Unlike the seed, padding is ``kernel_size // 2`` rather than an argument defaulting to 0, so the
    output has the size ``conv2d`` gives; like the seed, there is no batch norm or activation.
    Coordinates use ``linspace(-1, 1)`` as the seed's code does, not the ``[0/W, …]`` of its prose.
    """
    return CoordConv(in_channels, out_channels, kernel_size, stride, with_r, coords)

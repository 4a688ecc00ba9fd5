"""VGG-16 for CIFAR-10 and its Ghost version: the baseline of GhostNet's Tables 2 and 3.

GhostNet (Han et al., CVPR 2020) reports VGG-16 on CIFAR-10 at 15.0M weights and 313M FLOPs
(multiply-adds), the figures of the CIFAR VGG-16 in Li et al., "Pruning Filters for Efficient
ConvNets" (ICLR 2017, Table 2): thirteen 3×3 convolutions with batch norm and ReLU in VGG's
configuration D, then a 512→512 fully connected layer with batch norm and ReLU and a 512→10
classifier. The Ghost version replaces every convolution with a Ghost module of the same kernel
(s = ``ratio``, d = ``dw_size``), as the paper's Section 4.1 does; the classifier is kept.
"""

from __future__ import annotations

import torch
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.conv import conv_bn_act
from modbench.catalog.ghost import ConvUnit, ghost_conv_unit
from modbench.catalog.published import GHOSTNET
from modbench.catalog.registry import Source, register

# VGG configuration D: output widths of the 3×3 convolutions, "M" a 2×2 max pool.
VGG16_LAYERS: tuple[int | str, ...] = (
    64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M",
)  # fmt: skip


class VGGCifar(nn.Module):
    """VGG-16 trunk built from ``conv`` units, 2×2 max pools, then FC 512 (BN, ReLU) and FC to the classes."""

    def __init__(self, conv: ConvUnit = conv_bn_act, num_classes: int = 10) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for layer in VGG16_LAYERS:
            if layer == "M":
                layers.append(nn.MaxPool2d(2))
            else:
                layers.append(conv(channels, int(layer), 3))
                channels = int(layer)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels, 512),
            nn.BatchNorm1d(512),
            nn.ReLU(inplace=True),
            nn.Linear(512, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


@register(
    family="model",
    example_input=inputs.image(3),
    source=Source(paper=GHOSTNET + ", Tables 2/3 (VGG-16 on CIFAR-10)"),
    tags=("cnn", "cifar", "ghost-paper"),
)
def vgg16_cifar(num_classes: int = 10, hw: int = 32) -> nn.Module:
    """VGG-16 for 32×32 CIFAR-10, GhostNet's Tables 2/3 baseline (published 15.0M weights, 313M MACs).

    Layout of Li et al. 2017's CIFAR VGG-16 (batch norm after every conv, FC 512 + BN before the
    classifier), whose figures (1.5×10⁷ parameters, 3.13×10⁸ FLOPs) GhostNet's table repeats.
    ``hw`` must be 32 for the 512-wide flatten (five 2×2 pools); the example input follows it.
    """
    return VGGCifar(conv_bn_act, num_classes)


@register(
    family="model",
    example_input=inputs.image(3),
    source=Source(paper=GHOSTNET + ", Tables 2/3 (Ghost-VGG-16)"),
    tags=("cnn", "cifar", "ghost", "ghost-paper"),
)
def ghost_vgg16_cifar(ratio: int = 2, dw_size: int = 3, num_classes: int = 10, hw: int = 32) -> nn.Module:
    """Ghost-VGG-16 for CIFAR-10: every conv of ``vgg16_cifar`` a 3×3 Ghost module (s = ratio, d = dw_size).

    Table 2 varies d (1, 3, 5, 7) at s = 2 and Table 3 varies s (2…5) at d = 3; published at
    s = 2, d = 3: 7.7M weights, 158M MACs. The first convolution (3 input channels) is a Ghost
    module too; the classifier stays a plain FC layer.
    """
    return VGGCifar(ghost_conv_unit(ratio, dw_size), num_classes)

"""Inception family: the GoogLeNet inception module with and without 1×1 reductions, and GoogLeNet.

Szegedy et al., "Going Deeper with Convolutions", CVPR 2015 (seed 003 summarises it). As in the
paper, every convolution has a bias and is followed by ReLU; there is no batch norm (that came
with Inception v2 and torchvision's GoogLeNet, which also uses 3×3 instead of 5×5 convolutions).
"""

from __future__ import annotations

import torch
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.registry import Source, register

_SEED_003 = "003_8a18f65d998948f5.txt"
_PAPER = "Szegedy et al., Going Deeper with Convolutions, CVPR 2015"

# The paper's Table 1, one row per inception module:
# (name, 1×1, 3×3 reduce, 3×3, 5×5 reduce, 5×5, pool proj); a max pool precedes 4a and 5a.
GOOGLENET_INCEPTIONS: tuple[tuple[str, int, int, int, int, int, int], ...] = (
    ("3a", 64, 96, 128, 16, 32, 32),
    ("3b", 128, 128, 192, 32, 96, 64),
    ("4a", 192, 96, 208, 16, 48, 64),
    ("4b", 160, 112, 224, 24, 64, 64),
    ("4c", 128, 128, 256, 24, 64, 64),
    ("4d", 112, 144, 288, 32, 64, 64),
    ("4e", 256, 160, 320, 32, 128, 128),
    ("5a", 256, 160, 320, 32, 128, 128),
    ("5b", 384, 192, 384, 48, 128, 128),
)


def _conv_relu(in_channels: int, out_channels: int, kernel_size: int) -> list[nn.Module]:
    return [nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2), nn.ReLU(inplace=True)]


def _branch(in_channels: int, reduce_channels: int | None, out_channels: int, kernel_size: int) -> nn.Sequential:
    """[1×1 reduction + ReLU], then k×k conv + ReLU."""
    if reduce_channels is None:
        return nn.Sequential(*_conv_relu(in_channels, out_channels, kernel_size))
    return nn.Sequential(
        *_conv_relu(in_channels, reduce_channels, 1), *_conv_relu(reduce_channels, out_channels, kernel_size)
    )


class Inception(nn.Module):
    """Four parallel branches concatenated: 1×1; [1×1 →] 3×3; [1×1 →] 5×5; 3×3 max pool [→ 1×1].

    A reduction width of ``None`` leaves that 1×1 convolution out: with all three ``None`` it is
    the paper's naive module (Figure 2a), whose pool branch passes all input channels through.
    """

    def __init__(
        self,
        in_channels: int,
        ch1x1: int,
        ch3x3red: int | None,
        ch3x3: int,
        ch5x5red: int | None,
        ch5x5: int,
        pool_proj: int | None,
    ) -> None:
        super().__init__()
        self.branch1 = nn.Sequential(*_conv_relu(in_channels, ch1x1, 1))
        self.branch3 = _branch(in_channels, ch3x3red, ch3x3, 3)
        self.branch5 = _branch(in_channels, ch5x5red, ch5x5, 5)
        pool = nn.MaxPool2d(3, stride=1, padding=1)
        self.branch_pool = (
            nn.Sequential(pool) if pool_proj is None else nn.Sequential(pool, *_conv_relu(in_channels, pool_proj, 1))
        )
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + (in_channels if pool_proj is None else pool_proj)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)], dim=1)


class GoogLeNet(nn.Module):
    """GoogLeNet (paper Table 1 / Figure 3) without the auxiliary classifiers.

    Stem: 7×7/2 conv 64, 3×3/2 max pool, LRN, 1×1 conv 64, 3×3 conv 192, LRN, 3×3/2 max pool;
    inception 3a–3b, max pool, 4a–4e, max pool, 5a–5b; global average pool, dropout 0.4, linear.
    Max pools round up (``ceil_mode``) as in the paper's Caffe model, so 224 → 112 → 56 → 28 → 14 → 7.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.4) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(3, 64, 7, stride=2, padding=3),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75),
            *_conv_relu(64, 64, 1),
            *_conv_relu(64, 192, 3),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75),
            nn.MaxPool2d(3, stride=2, ceil_mode=True),
        )
        layers: list[nn.Module] = []
        channels = 192
        for name, *widths in GOOGLENET_INCEPTIONS:
            if name in ("4a", "5a"):
                layers.append(nn.MaxPool2d(3, stride=2, ceil_mode=True))
            module = Inception(channels, *widths)
            layers.append(module)
            channels = module.out_channels
        self.inceptions = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(dropout), nn.Linear(channels, num_classes)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.inceptions(self.stem(x)))


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_003, paper=_PAPER + ", Table 1 (inception 3a)"),
    tags=("conv", "inception", "seed-003"),
)
def inception(
    in_channels: int = 192,
    ch1x1: int = 64,
    ch3x3red: int = 96,
    ch3x3: int = 128,
    ch5x5red: int = 16,
    ch5x5: int = 32,
    pool_proj: int = 32,
    hw: int = 28,
) -> nn.Module:
    """GoogLeNet inception(3a) from seed 003: 1×1 reductions before 3×3 and 5×5, pool projection; 256 out.

    Its convolution weights number 192·64 + 192·96 + 96·128·9 + 192·16 + 16·32·25 + 192·32 =
    163,328 (163,696 parameters with the biases), while the paper's Table 1 prints 159K for 3a.
    The same table's 128M ops for 3a agree with 163,328: at 28×28 each weight is used 784 times,
    and 163,328 × 784 = 128.05M (159K × 784 would be 125M). The entry follows the table's
    layer widths, so it reproduces the ops column and differs from the params column by 2.7 %.
    """
    return Inception(in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj)


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_003, paper=_PAPER + ", Figure 2a"),
    tags=("conv", "inception", "seed-003"),
)
def inception_naive(
    in_channels: int = 192, ch1x1: int = 64, ch3x3: int = 128, ch5x5: int = 32, hw: int = 28
) -> nn.Module:
    """Naive inception (seed 003's first figure): 3a's branch widths with no 1×1 reductions; 416 out.

    The 1×1, 3×3 and 5×5 convolutions read the input directly and the 3×3 max pool passes all
    192 input channels through, so the output has 64 + 128 + 32 + 192 = 416 channels, as in the
    paper's naive module (its growing width is why the reductions were introduced).
    """
    return Inception(in_channels, ch1x1, None, ch3x3, None, ch5x5, None)


@register(
    family="model",
    example_input=inputs.image(3),
    source=Source(seed=_SEED_003, paper=_PAPER + ", Table 1"),
    tags=("cnn", "inception", "imagenet", "seed-003"),
)
def googlenet(num_classes: int = 1000, hw: int = 224) -> nn.Module:
    """GoogLeNet from seed 003 / the paper's Table 1, 224×224, without the two auxiliary classifiers.

    The auxiliary classifiers only add a training loss and are discarded at inference (seed 003
    says so too), so the entry measures the network that is deployed. LRN is kept as in the paper.
    """
    return GoogLeNet(num_classes)

"""Network in Network (seed 001) and the same trunk with an AlexNet-style fully connected head.

Lin et al., "Network In Network", ICLR 2014, in the d2l layout that seed 001 prints (1×224×224
Fashion-MNIST input, 10 classes). ``nin`` ends in a NiN block with one channel per class and a
global average pool; ``nin_fc_head`` replaces those with three fully connected layers, the head
that NiN was designed to remove. Both are flat ``nn.Sequential`` models, so their children can be
walked layer by layer like the seed's printout.
"""

from __future__ import annotations

from torch import nn

from modbench.catalog import inputs
from modbench.catalog.conv import conv_out_size, mlpconv
from modbench.catalog.registry import Source, register

_SEED_001 = "001_6c60effe9a579057.txt"
_SOURCE = Source(seed=_SEED_001, paper="Lin et al., Network In Network, ICLR 2014")
_TRUNK_CHANNELS = 384
_FC_WIDTH = 4096


def nin_trunk(in_channels: int = 1) -> list[nn.Module]:
    """Seed 001's layers up to and including the dropout before the last NiN block."""
    return [
        mlpconv(in_channels, 96, kernel_size=11, stride=4, padding=0),
        nn.MaxPool2d(3, stride=2),
        mlpconv(96, 256, kernel_size=5, stride=1, padding=2),
        nn.MaxPool2d(3, stride=2),
        mlpconv(256, _TRUNK_CHANNELS, kernel_size=3, stride=1, padding=1),
        nn.MaxPool2d(3, stride=2),
        nn.Dropout(0.5),
    ]


def nin_trunk_size(hw: int) -> int:
    """Spatial side of the trunk's output for an hw×hw input (5 at 224)."""
    size = conv_out_size(hw, 11, stride=4)
    for _ in range(3):
        size = conv_out_size(size, 3, stride=2)
    return size


@register(family="model", example_input=inputs.image(1), source=_SOURCE, tags=("cnn", "seed-001"))
def nin(num_classes: int = 10, hw: int = 224) -> nn.Module:
    """NiN exactly as seed 001 lists it: four NiN blocks, max pools, dropout 0.5, global average pool."""
    return nn.Sequential(
        *nin_trunk(),
        mlpconv(_TRUNK_CHANNELS, num_classes, kernel_size=3, stride=1, padding=1),
        nn.AdaptiveAvgPool2d((1, 1)),
        nn.Flatten(),
    )


@register(family="model", example_input=inputs.image(1), source=_SOURCE, tags=("cnn", "mlp", "seed-001"))
def nin_fc_head(num_classes: int = 10, hw: int = 224) -> nn.Module:
    """Seed 001's NiN trunk with an AlexNet-style head instead of the last NiN block + global pool.

    Not in the seed: it is the comparison the seed's claim implies. After the trunk (to the third
    max pool and its dropout): Flatten → Linear(384·5·5, 4096) → ReLU → Dropout(0.5) →
    Linear(4096, 4096) → ReLU → Dropout(0.5) → Linear(4096, num_classes), as AlexNet's classifier.
    """
    features = _TRUNK_CHANNELS * nin_trunk_size(hw) ** 2
    return nn.Sequential(
        *nin_trunk(),
        nn.Flatten(),
        nn.Linear(features, _FC_WIDTH),
        nn.ReLU(inplace=True),
        nn.Dropout(0.5),
        nn.Linear(_FC_WIDTH, _FC_WIDTH),
        nn.ReLU(inplace=True),
        nn.Dropout(0.5),
        nn.Linear(_FC_WIDTH, num_classes),
    )

"""The small MNIST CNN of seed 003 ("一个小栗子"): two 5×5 convolutions and one fully connected layer."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.conv import conv_out_size
from modbench.catalog.registry import Source, register

_SEED_003 = "003_8a18f65d998948f5.txt"


class LeNetMNIST(nn.Module):
    """conv 1→10 (5×5), max pool 2, ReLU, conv 10→20 (5×5), max pool 2, ReLU, flatten, linear → classes.

    Pooling comes before ReLU, as in the seed (the two commute for max pooling).
    """

    def __init__(self, hw: int = 28, num_classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, kernel_size=5)
        self.conv2 = nn.Conv2d(10, 20, kernel_size=5)
        self.pool = nn.MaxPool2d(2)
        side = conv_out_size(conv_out_size(conv_out_size(conv_out_size(hw, 5), 2, 2), 5), 2, 2)
        self.fc = nn.Linear(20 * side * side, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.pool(self.conv1(x)))
        x = F.relu(self.pool(self.conv2(x)))
        return self.fc(x.flatten(1))


@register(
    family="model",
    example_input=inputs.image(1),
    source=Source(seed=_SEED_003, paper="LeCun et al., Gradient-based learning applied to document recognition, 1998"),
    tags=("cnn", "seed-003"),
)
def lenet_mnist(num_classes: int = 10, hw: int = 28) -> nn.Module:
    """Seed 003's small Net on 1×28×28: conv 1→10 k5, conv 10→20 k5, max pool 2, fc 320→10."""
    return LeNetMNIST(hw, num_classes)

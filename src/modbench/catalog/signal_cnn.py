"""Seed 000's signal classifiers: a two-stage CNN, and the same CNN with a gMLP on its feature map.

The input is a 10000×12 single-channel signal (10000 time steps of 12 sensor channels, as an
N×1×H×W image) with 6 classes. Both models share :class:`SignalConvTrunk`; the seed's comments
give its intermediate shapes, (5, 99, 7) after the first stage and (10, 10, 4) after the second.
The seed's ``forward`` returns ``(feature, output)``; here both models return only the logits, so
the two are measured on the same single-tensor output (the CNN's feature is
``trunk(x).flatten(1)``; the CNN-gMLP's is the 64-wide hidden layer).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.modules.utils import _pair

from modbench.catalog import inputs
from modbench.catalog.gmlp import gMLP
from modbench.catalog.registry import Source, register

SEED = "000_fc0367ff21d6b9af.txt"


class SignalConvTrunk(nn.Module):
    """The seed's two conv stages: Conv(1→5, k=(200,3), s=(50,1), p=1)-ReLU-MaxPool(2, p=1), then
    Conv(5→10, k=(20,2), s=(4,1), p=1)-ReLU-MaxPool(2). Output N×10×H'×W' (10×10×4 at 10000×12)."""

    def __init__(self, height: int, width: int) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(
            nn.Conv2d(1, 5, kernel_size=(200, 3), stride=(50, 1), padding=1),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, padding=1),
        )
        self.conv2 = nn.Sequential(
            nn.Conv2d(5, 10, kernel_size=(20, 2), stride=(4, 1), padding=1),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2),
        )
        self.out_channels = self.conv2[0].out_channels
        self.out_hw = _output_hw((height, width), [*self.conv1, *self.conv2])

    @property
    def out_features(self) -> int:
        """Channels × height × width of the trunk's output, the width of the flattened feature."""
        return self.out_channels * self.out_hw[0] * self.out_hw[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x))


def _output_hw(hw: tuple[int, int], layers: list[nn.Module]) -> tuple[int, int]:
    """Spatial size after ``layers`` (floor mode, dilation 1), so heads are sized before any forward.

    Raises ValueError when the input is too small for a kernel, instead of failing at run time.
    """
    height, width = hw
    for layer in layers:
        if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
            (kh, kw), (sh, sw), (ph, pw) = (_pair(layer.kernel_size), _pair(layer.stride), _pair(layer.padding))
            height = (height + 2 * ph - kh) // sh + 1
            width = (width + 2 * pw - kw) // sw + 1
            if height < 1 or width < 1:
                raise ValueError(
                    f"input {hw[0]}×{hw[1]} is too small for the signal CNN's kernels "
                    f"(the default is 10000×12)"
                )
    return height, width


class SignalCNN(nn.Module):
    """Seed 000's CNN: conv trunk, flatten (400 at the default input), Linear to the classes."""

    def __init__(self, height: int, width: int, num_classes: int) -> None:
        super().__init__()
        self.trunk = SignalConvTrunk(height, width)
        self.out = nn.Linear(self.trunk.out_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.trunk(x).flatten(1))


class SignalCNNgMLP(nn.Module):  # noqa: N801  (the seed's "CNN-gMLP")
    """Seed 000's CNN-gMLP: conv trunk, each of the H'·W' positions as a token of its 10 channels,
    gMLP over those tokens, then flatten, Linear-ReLU-Dropout and Linear to the classes."""

    def __init__(
        self, height: int, width: int, num_classes: int, d_ffn: int, num_layers: int, hidden: int, dropout: float
    ) -> None:
        super().__init__()
        self.trunk = SignalConvTrunk(height, width)
        seq_len = self.trunk.out_hw[0] * self.trunk.out_hw[1]
        self.gmlp = gMLP(d_model=self.trunk.out_channels, d_ffn=d_ffn, seq_len=seq_len, num_layers=num_layers)
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(self.trunk.out_features, hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(dropout),
            nn.Linear(hidden, num_classes),
        )

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """N×1×H×W signal → N×(H'·W')×10 tokens (the seed's ``view(N, C, H*W).permute(0, 2, 1)``)."""
        return self.trunk(x).flatten(2).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.gmlp(self.tokens(x)))


@register(
    family="model",
    example_input=inputs.image(1, "height", "width"),
    source=Source(seed=SEED),
    tags=("cnn", "seed-000"),
)
def signal_cnn(height: int = 10000, width: int = 12, num_classes: int = 6) -> nn.Module:
    """Seed 000's plain CNN for 10000×12 signals, 6 classes: two conv stages and Linear(400, 6).

    Input N×1×height×width. Returns the logits only (the seed also returns the flattened conv
    features). The Linear's width follows the input size, so other signal lengths also build.
    """
    return SignalCNN(height=height, width=width, num_classes=num_classes)


@register(
    family="model",
    example_input=inputs.image(1, "height", "width"),
    source=Source(seed=SEED, paper="Liu et al. 2021, Pay Attention to MLPs (gMLP)"),
    tags=("cnn", "mlp", "gating", "seed-000"),
)
def signal_cnn_gmlp(
    height: int = 10000,
    width: int = 12,
    num_classes: int = 6,
    d_ffn: int = 20,
    num_layers: int = 6,
    hidden: int = 64,
    dropout: float = 0.4,
) -> nn.Module:
    """Seed 000's CNN-gMLP: the CNN's conv stages, 40 tokens × 10 through 6 gMLP blocks, a 64-unit head.

    Input N×1×height×width. gMLP(d_model=10, d_ffn=20, seq_len=40, num_layers=6) as in the seed;
    d_model and seq_len follow from the conv trunk's 10×10×4 output. Returns the logits only (the
    seed also returns the 64-wide hidden layer as its feature). The seed's ``gmlp`` package is
    unnamed; the blocks follow the gMLP paper (see the ``gmlp`` entry).
    """
    return SignalCNNgMLP(
        height=height,
        width=width,
        num_classes=num_classes,
        d_ffn=d_ffn,
        num_layers=num_layers,
        hidden=hidden,
        dropout=dropout,
    )

"""Activations and stochastic regularizers: Swish as written in seed 004, torch's SiLU, ReLU,
DropBlock (seed 004) and Dropout.

DropBlock and Dropout cost nothing in eval mode (they are the identity), so their entries carry
the ``train-cost`` tag: their cost is measured in train mode.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.registry import Source, register

_SEED_004 = "004_81c9ba79a33398cc.txt"
_FEATURES = inputs.image(channels="channels")


class Swish(nn.Module):
    """``x * sigmoid(x)`` written out as two ops, as seed 004 does (``nn.SiLU`` is the fused kernel)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class DropBlock(nn.Module):
    """Drop contiguous block_size × block_size squares of each feature map during training (Ghiasi et al., 2018).

    Block centres are sampled only where a whole block fits, at the rate
    γ = (1 − keep_prob)/b² · HW/((H − b + 1)(W − b + 1)) of the paper, so that about
    1 − keep_prob of the units are dropped; kept units are rescaled by count/kept. In eval mode
    it is the identity.

    Differences from the seed: the seed omits the HW/((H−b+1)(W−b+1)) factor of γ; it pads the
    centre mask by b//2 and max-pools with padding b//2, which gives a mask of H+2 for an even
    block size (so the multiply fails) — here the mask is padded by b−1 and pooled without
    padding, which gives exactly H×W for any b; blocks larger than the feature map are clipped to
    it (the seed fails); and an all-dropped mask no longer divides by zero.
    """

    def __init__(self, block_size: int = 5, keep_prob: float = 0.9) -> None:
        super().__init__()
        if block_size < 1:
            raise ValueError(f"block_size must be at least 1, got {block_size}")
        if not 0.0 < keep_prob <= 1.0:
            raise ValueError(f"keep_prob must be in (0, 1], got {keep_prob}")
        self.block_size = block_size
        self.keep_prob = keep_prob

    @staticmethod
    def block_mask(centres: torch.Tensor, block_size: int) -> torch.Tensor:
        """Grow each 1 in an N×C×(H−b+1)×(W−b+1) centre mask into a b×b block of an N×C×H×W mask.

        A centre at (i, j) covers rows i … i+b−1 and columns j … j+b−1 of the output.
        """
        padded = F.pad(centres, (block_size - 1,) * 4)
        return F.max_pool2d(padded, kernel_size=block_size, stride=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.keep_prob == 1.0:
            return x
        batch, channels, height, width = x.shape
        block = min(self.block_size, height, width)
        valid_h, valid_w = height - block + 1, width - block + 1
        gamma = (1.0 - self.keep_prob) / block**2 * (height * width) / (valid_h * valid_w)
        centres = torch.bernoulli(
            torch.full((batch, channels, valid_h, valid_w), gamma, device=x.device, dtype=x.dtype)
        )
        keep = 1.0 - self.block_mask(centres, block)
        return x * keep * (keep.numel() / keep.sum().clamp(min=1.0))


@register(
    family="block",
    example_input=_FEATURES,
    source=Source(seed=_SEED_004, paper="Ramachandran et al., Searching for Activation Functions, 2017"),
    tags=("activation", "seed-004"),
)
def swish(channels: int = 32, hw: int = 32) -> nn.Module:
    """Swish from seed 004, x·sigmoid(x) written out: a sigmoid and a multiply (two kernels)."""
    return Swish()


@register(
    family="block",
    example_input=_FEATURES,
    source=Source(paper="Elfwing et al., Sigmoid-weighted linear units, 2018; torch.nn.SiLU"),
    tags=("activation", "baseline"),
)
def silu(channels: int = 32, hw: int = 32) -> nn.Module:
    """SiLU, torch's fused x·sigmoid(x) (same function as Swish with β = 1, one kernel)."""
    return nn.SiLU()


@register(
    family="block",
    example_input=_FEATURES,
    source=Source(paper="Nair & Hinton, Rectified linear units improve restricted Boltzmann machines, ICML 2010"),
    tags=("activation", "baseline"),
)
def relu(channels: int = 32, hw: int = 32) -> nn.Module:
    """ReLU, the activation Swish is compared with (not in place, like Swish and SiLU)."""
    return nn.ReLU()


@register(
    family="block",
    example_input=_FEATURES,
    source=Source(
        seed=_SEED_004,
        paper="Ghiasi et al., DropBlock: A regularization method for convolutional networks, NeurIPS 2018",
    ),
    tags=("regularization", "train-cost", "seed-004"),
)
def dropblock(channels: int = 32, block_size: int = 5, keep_prob: float = 0.9, hw: int = 32) -> nn.Module:
    """DropBlock from seed 004 (block_size 5, keep_prob 0.9): costs only in train mode, identity in eval.

    See ``DropBlock`` for the seed's oddities fixed here (mask size for even blocks, γ, zero division).
    """
    return DropBlock(block_size, keep_prob)


@register(
    family="block",
    example_input=_FEATURES,
    source=Source(paper="Srivastava et al., Dropout, JMLR 2014"),
    tags=("regularization", "train-cost", "baseline"),
)
def dropout(channels: int = 32, p: float = 0.1, hw: int = 32) -> nn.Module:
    """Dropout of single units with p = 0.1 (DropBlock's keep_prob 0.9): DropBlock's baseline."""
    return nn.Dropout(p)

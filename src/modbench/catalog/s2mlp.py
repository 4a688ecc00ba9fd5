"""S2-MLPv2: spatial-shift MLP with split attention, a convolution-free token mixer.

Tan Yu, Xu Li, Yunfeng Cai, Mingming Sun and Ping Li (Baidu Research), "S2-MLPv2: Improved
Spatial-Shift MLP Architecture for Vision" (arXiv 2108.01072, 2021), Section 3 and its
Algorithm 1. Tensors are channels last (N×H×W×C), as in the paper: every projection is then a
plain ``nn.Linear`` over the last dimension, and no permute is timed. ``s2mlpv2_small`` and
``s2mlpv2_medium`` are the paper's image models built from these blocks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.registry import Config, Inputs, Source, register

SEED = "002_6e73fe69cf8010e9.txt"
PAPER = "Yu et al. 2021, S2-MLPv2: Improved Spatial-Shift MLP Architecture for Vision, Alg. 1"

HEIGHT, WIDTH = 1, 2  # spatial dimensions of an N×H×W×C tensor

# (dimension, step) for the four channel groups: +1 moves content towards higher indices (down
# or right), -1 towards lower ones. Both shifts use the same four one-pixel directions, assigned
# to the groups in a different order, so the same channel group moves differently in parts 1 and 2.
SHIFT1 = ((HEIGHT, 1), (HEIGHT, -1), (WIDTH, 1), (WIDTH, -1))
SHIFT2 = ((WIDTH, 1), (WIDTH, -1), (HEIGHT, 1), (HEIGHT, -1))


def _shift_one(x: torch.Tensor, dim: int, step: int) -> torch.Tensor:
    """Move ``x`` one pixel along ``dim``; the edge row/column that has no source keeps its value.

    Keeping the edge is what the paper's in-place slice assignment does (``x[:, 1:] = x[:, :-1]``
    leaves ``x[:, 0]`` untouched); built from slices and ``cat`` so the input is never modified.
    """
    size = x.size(dim)
    if step > 0:
        return torch.cat((x.narrow(dim, 0, 1), x.narrow(dim, 0, size - 1)), dim)
    return torch.cat((x.narrow(dim, 1, size - 1), x.narrow(dim, size - 1, 1)), dim)


def spatial_shift(x: torch.Tensor, directions: tuple[tuple[int, int], ...]) -> torch.Tensor:
    """Split N×H×W×C into four channel groups at C/4, C/2, 3C/4 and shift each one pixel."""
    channels = x.size(-1)
    bounds = [group * channels // 4 for group in range(5)]
    groups = [
        _shift_one(x[..., start:stop], dim, step)
        for (start, stop), (dim, step) in zip(zip(bounds, bounds[1:]), directions)
    ]
    return torch.cat(groups, dim=-1)


class SplitAttention(nn.Module):
    """Fuse K same-shaped branches with per-channel weights that sum to one over the branches.

    a = Σ_k Σ_positions X_k (N×C); â = W2 · GELU(W1 · a) (W1: C→C, W2: C→K·C, no biases;
    ``hidden_ratio`` < 1 narrows W1's output to hidden_ratio·C, as Vision Permutator's reweighting MLP does);
    weights = softmax of â over the K branches; output = Σ_k weights_k ⊙ X_k.
    """

    def __init__(self, channels: int, branches: int = 3, hidden_ratio: float = 1.0) -> None:
        super().__init__()
        hidden = int(channels * hidden_ratio)
        if hidden < 1:
            raise ValueError(f"split-attention hidden width must be at least 1, got {channels}·{hidden_ratio}")
        self.mlp1 = nn.Linear(channels, hidden, bias=False)
        self.mlp2 = nn.Linear(hidden, channels * branches, bias=False)

    def forward(self, x_all: torch.Tensor) -> torch.Tensor:
        n, k, *_, c = x_all.shape
        pooled = x_all.sum(dim=(1, 2, 3))
        logits = self.mlp2(F.gelu(self.mlp1(pooled))).reshape(n, k, 1, 1, c)
        return (logits.softmax(dim=1) * x_all).sum(dim=1)


class S2Attention(nn.Module):
    """The spatial-shift module: expand C→3C, shift two thirds, fuse by split attention, project C→C."""

    def __init__(self, channels: int, split_hidden_ratio: float = 1.0) -> None:
        super().__init__()
        if channels < 4:
            raise ValueError(f"channels must be at least 4 (four shifted channel groups), got {channels}")
        self.mlp1 = nn.Linear(channels, channels * 3)
        self.split_attention = SplitAttention(channels, branches=3, hidden_ratio=split_hidden_ratio)
        self.mlp2 = nn.Linear(channels, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        part1, part2, part3 = self.mlp1(x).chunk(3, dim=-1)
        x_all = torch.stack((spatial_shift(part1, SHIFT1), spatial_shift(part2, SHIFT2), part3), dim=1)
        return self.mlp2(self.split_attention(x_all))


class S2MLPv2Block(nn.Module):
    """x + S2Attention(LayerNorm(x)), then x + MLP(LayerNorm(x)) with a C→r·C→C GELU MLP."""

    def __init__(self, channels: int, mlp_ratio: int, split_hidden_ratio: float = 1.0) -> None:
        super().__init__()
        if mlp_ratio < 1:
            raise ValueError(f"mlp_ratio must be at least 1, got {mlp_ratio}")
        self.norm1 = nn.LayerNorm(channels)
        self.spatial = S2Attention(channels, split_hidden_ratio)
        self.norm2 = nn.LayerNorm(channels)
        self.channel_mlp = nn.Sequential(
            nn.Linear(channels, channels * mlp_ratio),
            nn.GELU(),
            nn.Linear(channels * mlp_ratio, channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.spatial(self.norm1(x))
        return x + self.channel_mlp(self.norm2(x))


def channels_last_image(config: Config, batch: int) -> Inputs:
    """An N×H×W×C float tensor (``channels``, ``hw``), stored contiguously in that order."""
    (image,) = inputs.image("channels", "hw")(config, batch)
    return (image.permute(0, 2, 3, 1).contiguous(),)


@register(
    family="block",
    example_input=channels_last_image,
    source=Source(seed=SEED, paper=PAPER),
    tags=("mlp", "shift", "attention", "seed-002"),
)
def s2mlpv2_block(channels: int = 64, hw: int = 28, mlp_ratio: int = 3) -> nn.Module:
    """S2-MLPv2 block (Yu et al. 2021): spatial-shift MLP with split attention, then a channel MLP.

    Input and output are N×H×W×C (channels last, as in the paper); ``hw`` only sizes the example
    input, the block itself works at any H×W. mlp_ratio=3 is the paper's expansion for its models.
    Differences from the seed's snippet, which is partial:
    - seed ``spatial_shift1`` splits the last dimension at a hard-coded index 7 and then shifts both
      sides the same way (the whole tensor one step along dim 2, first row kept), so the split
      does nothing; here four channel groups of C/4 each move one pixel down, up, right and left
      (edge kept, as in the paper's in-place slicing);
    - seed ``spatial_shift2`` swaps the two halves of dim 2 around its middle row, which it zeroes,
      and fails for an even size, where the two slices differ in length; here it is the paper's
      second assignment of the same four one-pixel directions to the channel groups;
    - seed ``SplitAttention`` is Linear(3C→C), ReLU, Linear(C→C) with its forward elided; here it is
      the paper's: sum of the three branches over all positions, Linear(C→C), GELU,
      Linear(C→3C) (both without bias), softmax over the three branches, weighted sum;
    - the seed shows no block; this adds the paper's pre-norm residual layout and channel MLP.
    """
    return S2MLPv2Block(channels=channels, mlp_ratio=mlp_ratio)


# The image models, in the two-stage layout of Vision Permutator's Small/7 and Medium/7 that the
# paper follows: 7×7 patches (32×32 tokens at 224×224), then a 2×2 patch merge (16×16 tokens).
# name → ((stage-1 width, stage-2 width), (stage-1 blocks, stage-2 blocks)).
S2MLPV2_MODELS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "s2mlpv2_small": ((192, 384), (4, 14)),
    "s2mlpv2_medium": ((256, 512), (7, 17)),
}


class S2MLPv2(nn.Module):
    """S2-MLPv2 image classifier: 7×7 patch embedding, stage 1, 2×2 patch merge, stage 2, LayerNorm, pool, FC.

    Takes N×3×H×W images (H, W multiples of 14) and works channels last inside, as the blocks do.
    """

    def __init__(
        self,
        widths: tuple[int, int],
        depths: tuple[int, int],
        mlp_ratio: int = 3,
        num_classes: int = 1000,
        split_hidden_ratio: float = 1.0,
    ) -> None:
        super().__init__()
        self.embed = nn.Conv2d(3, widths[0], 7, stride=7)
        self.stage1 = nn.Sequential(*(S2MLPv2Block(widths[0], mlp_ratio, split_hidden_ratio) for _ in range(depths[0])))
        self.merge = nn.Conv2d(widths[0], widths[1], 2, stride=2)
        self.stage2 = nn.Sequential(*(S2MLPv2Block(widths[1], mlp_ratio, split_hidden_ratio) for _ in range(depths[1])))
        self.norm = nn.LayerNorm(widths[1])
        self.head = nn.Linear(widths[1], num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage1(self.embed(x).permute(0, 2, 3, 1))
        x = self.stage2(self.merge(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1))
        return self.head(self.norm(x).mean(dim=(1, 2)))


def _model_entry(name: str, title: str) -> None:
    """Register ``name``, the paper's ``title`` model at 224×224."""
    widths, depths = S2MLPV2_MODELS[name]

    def factory(num_classes: int = 1000, split_hidden_ratio: float = 1.0, hw: int = 224) -> nn.Module:
        return S2MLPv2(widths, depths, 3, num_classes, split_hidden_ratio)

    factory.__name__ = name
    factory.__doc__ = (
        f"{title} for 224×224 ImageNet: {depths[0]} blocks at width {widths[0]} on 7×7 patches, then "
        f"{depths[1]} at {widths[1]} after a 2×2 merge.\n\n"
        "The layout is Vision Permutator's /7 model of the same size, which the paper follows;\n"
        "each block is ``s2mlpv2_block`` (Algorithm 1: split-attention MLP C→C→3C, channel MLP\n"
        "ratio 3). The abstract gives Medium 55M parameters, which this layout reaches only with a\n"
        "split-attention hidden width of C/4 (``--set split_hidden_ratio=0.25``, as Vision\n"
        "Permutator's reweighting MLP); Algorithm 1's C→C (the default) gives 70.0M. See docs/papers.md."
    )
    register(
        family="model",
        example_input=inputs.image(3),
        source=Source(seed=SEED, paper=PAPER.replace("Alg. 1", "Sec. 4 (models)")),
        tags=("mlp", "shift", "attention", "imagenet", "seed-002"),
    )(factory)


_model_entry("s2mlpv2_small", "S2-MLPv2-Small")
_model_entry("s2mlpv2_medium", "S2-MLPv2-Medium")

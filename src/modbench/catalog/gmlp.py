"""gMLP: gated MLP blocks that mix tokens with a learned seq_len×seq_len projection.

Liu, Dai, So and Le, "Pay Attention to MLPs" (NeurIPS 2021). Seed 000 builds its CNN-gMLP from
``from gmlp import SpatialGatingUnit, gMLPBlock, gMLP``, a package the article never names or
shows; the classes below follow the paper's Figure 1 and pseudo-code with the seed's constructor
arguments (``d_model``, ``d_ffn``, ``seq_len``, ``num_layers``), so the seed's
``gMLP(d_model=10, d_ffn=20, seq_len=40, num_layers=6)`` builds here unchanged.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.registry import Source, register

SEED = "000_fc0367ff21d6b9af.txt"
PAPER = "Liu et al. 2021, Pay Attention to MLPs (gMLP), Fig. 1"
IMAGENET_TABLE = "Liu et al. 2021, Pay Attention to MLPs, ImageNet-1K table (gMLP-Ti/S/B)"

# The paper's image models: 30 blocks, d_ffn = 6·d_model, 16×16 patches (196 tokens at 224×224).
VISION_LAYERS = 30
VISION_PATCH = 16
VISION_WIDTHS = {"gmlp_ti": 128, "gmlp_s": 256, "gmlp_b": 512}

# The paper initialises the spatial projection's weights "as near-zero values and b as ones", so
# that a fresh block starts as a plain FFN (the gate passes u through unchanged).
SPATIAL_INIT_EPS = 1e-3


class SpatialGatingUnit(nn.Module):
    """s(Z) = Z1 ⊙ (W · LayerNorm(Z2) + b): the gate mixes tokens, the bypass keeps channels.

    ``x`` is N×seq_len×d_ffn. It is split along channels into u and v (d_ffn/2 each); v is
    normalised over its channels and projected across the sequence by W (seq_len×seq_len, a 1×1
    Conv1d that treats the tokens as its channels), then multiplies u element-wise. The output is
    N×seq_len×d_ffn/2, so the token mixing costs N·(d_ffn/2)·seq_len² MACs.
    """

    def __init__(self, d_ffn: int, seq_len: int) -> None:
        super().__init__()
        if d_ffn < 2 or d_ffn % 2:
            raise ValueError(f"d_ffn must be an even number ≥ 2 (it is split in halves), got {d_ffn}")
        if seq_len < 1:
            raise ValueError(f"seq_len must be positive, got {seq_len}")
        self.norm = nn.LayerNorm(d_ffn // 2)
        self.spatial_proj = nn.Conv1d(seq_len, seq_len, kernel_size=1)
        nn.init.uniform_(self.spatial_proj.weight, -SPATIAL_INIT_EPS, SPATIAL_INIT_EPS)
        nn.init.ones_(self.spatial_proj.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u, v = x.chunk(2, dim=-1)
        v = self.spatial_proj(self.norm(v))
        return u * v


class gMLPBlock(nn.Module):  # noqa: N801  (the paper's and the seed's name)
    """One gMLP block: x + W2 · SGU(GELU(W1 · LayerNorm(x))), on N×seq_len×d_model tokens."""

    def __init__(self, d_model: int, d_ffn: int, seq_len: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(d_model)
        self.channel_proj1 = nn.Linear(d_model, d_ffn)
        self.sgu = SpatialGatingUnit(d_ffn, seq_len)
        self.channel_proj2 = nn.Linear(d_ffn // 2, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        residual = x
        x = F.gelu(self.channel_proj1(self.norm(x)))
        x = self.channel_proj2(self.sgu(x))
        return x + residual


class gMLP(nn.Module):  # noqa: N801  (the paper's and the seed's name)
    """``num_layers`` gMLP blocks in sequence; shape-preserving (N×seq_len×d_model in and out).

    As in the seed's usage this is the block stack only: no token embedding, final norm or head.
    """

    def __init__(self, d_model: int, d_ffn: int, seq_len: int, num_layers: int) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        self.blocks = nn.Sequential(*(gMLPBlock(d_model, d_ffn, seq_len) for _ in range(num_layers)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blocks(x)


class gMLPVision(nn.Module):  # noqa: N801  (the paper's name)
    """gMLP image classifier: patch embedding, gMLP blocks over the patches, LayerNorm, mean pool, FC.

    The patch embedding is a ``patch``×``patch`` convolution with stride ``patch`` (a linear map of
    each flattened patch), as in the paper and timm's ``gmlp_*16_224``. The token count, and so
    the spatial projection's size, is fixed by the image size: (hw / patch)².
    """

    def __init__(self, d_model: int, hw: int = 224, patch: int = VISION_PATCH, num_classes: int = 1000) -> None:
        super().__init__()
        if hw % patch:
            raise ValueError(f"hw must be a multiple of the patch size {patch}, got {hw}")
        self.embed = nn.Conv2d(3, d_model, patch, stride=patch)
        self.blocks = gMLP(d_model, 6 * d_model, (hw // patch) ** 2, VISION_LAYERS)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.embed(x).flatten(2).transpose(1, 2)
        return self.head(self.norm(self.blocks(tokens)).mean(dim=1))


def _vision_entry(name: str, title: str, published: str) -> None:
    """Register ``name``: the paper's ``title`` image model, whose docstring quotes ``published``."""
    width = VISION_WIDTHS[name]

    def factory(num_classes: int = 1000, hw: int = 224) -> nn.Module:
        return gMLPVision(width, hw, VISION_PATCH, num_classes)

    factory.__name__ = name
    factory.__doc__ = (
        f"{title} for 224×224 ImageNet: 30 blocks, d_model {width}, d_ffn {6 * width}, 16×16 patches "
        f"({published}).\n\n"
        "The paper's image model as timm builds it: a strided patch convolution, gMLP blocks over the\n"
        "196 patch tokens, a final LayerNorm, mean pooling and a linear classifier. Training-only\n"
        "parts (stochastic depth) are left out; they hold no parameters and cost nothing at inference."
    )
    register(
        family="model",
        example_input=inputs.image(3),
        source=Source(paper=IMAGENET_TABLE),
        tags=("mlp", "gating", "imagenet", "gmlp-paper"),
    )(factory)


_vision_entry("gmlp_ti", "gMLP-Ti", "published 6M params, 1.4B MACs")
_vision_entry("gmlp_s", "gMLP-S", "published 20M params, 4.5B MACs")
_vision_entry("gmlp_b", "gMLP-B", "published 73M params, 15.8B MACs")


@register(
    family="block",
    example_input=inputs.sequence("seq_len", "d_model"),
    source=Source(seed=SEED, paper=PAPER),
    tags=("mlp", "gating", "seed-000"),
)
def gmlp(d_model: int = 10, d_ffn: int = 20, seq_len: int = 40, num_layers: int = 6) -> nn.Module:
    """gMLP block stack (Liu et al. 2021) with seed 000's sizes; input N×seq_len×d_model.

    The defaults are the seed's CNN-gMLP, where the 40 tokens of width 10 are the conv trunk's
    10×10×4 output. The seed imports gMLP from an unnamed ``gmlp`` package; this follows the
    paper (near-zero spatial weights, bias 1). A transformer-sized configuration is one flag away:
    ``--set seq_len=256 --set d_model=128 --set d_ffn=512``.
    """
    return gMLP(d_model=d_model, d_ffn=d_ffn, seq_len=seq_len, num_layers=num_layers)


@register(
    family="block",
    example_input=inputs.sequence("seq_len", "d_ffn"),
    source=Source(seed=SEED, paper=PAPER),
    tags=("mlp", "gating", "seed-000"),
)
def spatial_gating_unit(d_ffn: int = 20, seq_len: int = 40) -> nn.Module:
    """gMLP's spatial gating unit alone (Liu et al. 2021); input N×seq_len×d_ffn, output half as wide.

    Isolates the token-mixing cost, N·(d_ffn/2)·seq_len² MACs, that grows with the square of the
    sequence length while the rest of the block is linear in it. Seed 000 imports this class from
    an unnamed ``gmlp`` package; this follows the paper.
    """
    return SpatialGatingUnit(d_ffn=d_ffn, seq_len=seq_len)

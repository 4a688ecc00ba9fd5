"""Attention: CBAM's channel and spatial attention, squeeze-and-excitation, and ViT's self-attention.

The CNN attention modules return the input multiplied by their attention map, so each can be
dropped into a network (or measured) as a block. The seed's ``ChannelAttention`` and
``SpatialAttention`` return the map and leave the multiplication to ``CBAM``; the composed CBAM
computes the same.

The ViT encoder block and the small ViT use ``nn.MultiheadAttention`` (batch first), so in eval
they run PyTorch's fused attention fast path: the transformer path of the counters, the asv suite
and the report.
"""

from __future__ import annotations

import torch
from torch import nn

from modbench.catalog import inputs
from modbench.catalog.registry import Source, register

_SEED_004 = "004_81c9ba79a33398cc.txt"
_CBAM_PAPER = "Woo et al., CBAM: Convolutional Block Attention Module, ECCV 2018"
_VIT_PAPER = "Dosovitskiy et al., An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale, ICLR 2021"
_DEIT_PAPER = "Touvron et al., Training data-efficient image transformers & distillation through attention, ICML 2021, Table 1 (DeiT-Ti)"


class ChannelAttention(nn.Module):
    """CBAM's channel attention: avg- and max-pooled descriptors through one shared MLP, summed, sigmoid.

    The MLP is two 1×1 convolutions without bias (C → C/r → C with ReLU between), as in the seed:
    2·C·(C/r) parameters, run twice per sample (once per descriptor).
    """

    def __init__(self, channels: int, reduction: int = 16) -> None:
        super().__init__()
        hidden = channels // reduction
        if hidden < 1:
            raise ValueError(f"channels ({channels}) must be at least the reduction ratio ({reduction})")
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.max_pool = nn.AdaptiveMaxPool2d(1)
        self.mlp = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=False),
            nn.ReLU(),
            nn.Conv2d(hidden, channels, 1, bias=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = torch.sigmoid(self.mlp(self.avg_pool(x)) + self.mlp(self.max_pool(x)))
        return x * weights


class SpatialAttention(nn.Module):
    """CBAM's spatial attention: channel-wise mean and max maps, concatenated, k×k conv (no bias), sigmoid."""

    def __init__(self, kernel_size: int = 7) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        descriptors = torch.cat([x.mean(dim=1, keepdim=True), x.amax(dim=1, keepdim=True)], dim=1)
        return x * torch.sigmoid(self.conv(descriptors))


class CBAM(nn.Module):
    """Channel attention, then spatial attention on the channel-refined features (sequential, as in the paper)."""

    def __init__(self, channels: int, reduction: int = 16, kernel_size: int = 7) -> None:
        super().__init__()
        self.channel = ChannelAttention(channels, reduction)
        self.spatial = SpatialAttention(kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.spatial(self.channel(x))


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation with a hard-sigmoid gate, as MobileNetV3 and GhostNet use it.

    Global average pool, 1×1 conv (with bias) to ``reduced_channels``, ReLU, 1×1 conv (with bias)
    back, hard sigmoid, multiply. Each network rounds ``reduced_channels`` its own way, so the
    caller passes it.
    """

    def __init__(self, channels: int, reduced_channels: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.reduce = nn.Conv2d(channels, reduced_channels, 1)
        self.act = nn.ReLU(inplace=True)
        self.expand = nn.Conv2d(reduced_channels, channels, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(self.expand(self.act(self.reduce(self.pool(x)))))


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_004, paper=_CBAM_PAPER),
    tags=("attention", "seed-004"),
)
def channel_attention(in_channels: int = 64, reduction: int = 16, hw: int = 32) -> nn.Module:
    """CBAM channel attention from seed 004, applied to its input (the seed returns only the map)."""
    return ChannelAttention(in_channels, reduction)


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_004, paper=_CBAM_PAPER),
    tags=("attention", "seed-004"),
)
def spatial_attention(in_channels: int = 64, kernel_size: int = 7, hw: int = 32) -> nn.Module:
    """CBAM spatial attention from seed 004, applied to its input (the seed returns only the map)."""
    return SpatialAttention(kernel_size)


@register(
    family="block",
    example_input=inputs.image(),
    source=Source(seed=_SEED_004, paper=_CBAM_PAPER),
    tags=("attention", "seed-004"),
)
def cbam(in_channels: int = 64, reduction: int = 16, kernel_size: int = 7, hw: int = 32) -> nn.Module:
    """CBAM from seed 004: channel attention (reduction 16) then spatial attention (7×7 conv)."""
    return CBAM(in_channels, reduction, kernel_size)


class ViTBlock(nn.Module):
    """ViT's pre-norm encoder block: ``x + MHA(LN(x))``, then ``x + MLP(LN(x))``; the MLP is Linear, GELU, Linear.

    Parameters: two LayerNorms (2d each), the attention's packed input projection and output
    projection (4d² + 4d), the MLP (2·r·d² + r·d + d): (4 + 2r)·d² + (9 + r)·d in all.
    """

    def __init__(self, d_model: int, heads: int, mlp_ratio: int = 4) -> None:
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by heads ({heads})")
        self.norm1 = nn.LayerNorm(d_model, eps=1e-6)
        self.attention = nn.MultiheadAttention(d_model, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(d_model, eps=1e-6)
        self.mlp = nn.Sequential(nn.Linear(d_model, mlp_ratio * d_model), nn.GELU(), nn.Linear(mlp_ratio * d_model, d_model))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        normed = self.norm1(x)
        x = x + self.attention(normed, normed, normed, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class VisionTransformer(nn.Module):
    """ViT: a stride-p p×p convolution embeds patches, a class token and learned position embeddings
    are added, ``depth`` encoder blocks, a final LayerNorm, and a linear head on the class token.
    """

    def __init__(self, image_size: int, patch_size: int, in_channels: int, d_model: int, depth: int, heads: int,
                 mlp_ratio: int, num_classes: int) -> None:
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"image_size ({image_size}) must be a multiple of patch_size ({patch_size})")
        tokens = (image_size // patch_size) ** 2 + 1
        self.patch_embed = nn.Conv2d(in_channels, d_model, patch_size, stride=patch_size)
        self.class_token = nn.Parameter(torch.zeros(1, 1, d_model))
        self.position_embedding = nn.Parameter(torch.empty(1, tokens, d_model).normal_(std=0.02))
        self.blocks = nn.Sequential(*(ViTBlock(d_model, heads, mlp_ratio) for _ in range(depth)))
        self.norm = nn.LayerNorm(d_model, eps=1e-6)
        self.head = nn.Linear(d_model, num_classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        patches = self.patch_embed(images).flatten(2).transpose(1, 2)
        class_token = self.class_token.expand(patches.shape[0], -1, -1)
        x = torch.cat([class_token, patches], dim=1) + self.position_embedding
        return self.head(self.norm(self.blocks(x))[:, 0])


@register(
    family="block",
    example_input=inputs.sequence("seq_len", "d_model"),
    source=Source(paper=_VIT_PAPER),
    tags=("attention", "transformer"),
)
def vit_block(d_model: int = 192, heads: int = 3, mlp_ratio: int = 4, seq_len: int = 197) -> nn.Module:
    """ViT encoder block (pre-norm, nn.MultiheadAttention, GELU MLP) at DeiT-Ti's width on 197 tokens."""
    return ViTBlock(d_model, heads, mlp_ratio)


@register(
    family="model",
    example_input=inputs.image(3, "image_size"),
    source=Source(paper=_DEIT_PAPER),
    tags=("attention", "transformer", "imagenet"),
)
def vit_tiny(image_size: int = 224, patch_size: int = 16, d_model: int = 192, depth: int = 12, heads: int = 3,
             mlp_ratio: int = 4, num_classes: int = 1000) -> nn.Module:
    """ViT-Ti/16 (DeiT-Ti): 5,717,416 parameters, 1.26G MACs at 224×224."""
    return VisionTransformer(image_size, patch_size, 3, d_model, depth, heads, mlp_ratio, num_classes)

"""Seed 001's NiN claims: the 1×1-conv + global-average-pool head drops the fully connected layers'
parameters (3a), and a 1×1 convolution computes what a per-pixel fully connected layer does (3b)."""

from __future__ import annotations

import torch
from torch import nn

from modbench.catalog import get_entry
from modbench.claims.expect import MARKEDLY, at_most, equals
from modbench.claims.registry import register
from modbench.claims.schema import NO_SPEED_CLAIMED, Claim, Comparison, ProbeCheck, Quote, Side, context, vote
from modbench.claims.sources import SEED_001
from modbench.metrics.counting import count_ops
from modbench.metrics.params import count_parameters

NIN_PAPER = "Lin et al., Network In Network, ICLR 2014"

NIN_HEAD = Claim(
    id="nin-head",
    number="3a",
    statement="NiN's 1×1-conv + global-average-pool head removes the fully connected layers and their parameters.",
    seed=SEED_001,
    quotes=(
        Quote(
            "NiN放弃了使用全连接层,而是使用两个1x1卷积层(将空间维度中的每个像素视为单个样本,将通道维度视为不同特征。),"
            "相当于在每个像素的通道上分别使用多层感知机",
            "NiN gives up fully connected layers and uses two 1×1 convolution layers instead (each pixel of the "
            "spatial dimensions is treated as a sample and the channels as its features), which amounts to a "
            "multilayer perceptron applied to each pixel's channels",
        ),
        Quote(
            "优点:NiN去除了全连接层,可以减少过拟合,同时显著减少NiN的参数数量",
            "Advantage: NiN removes the fully connected layers, which can reduce overfitting and markedly "
            "reduces NiN's parameter count",
        ),
    ),
    paper=NIN_PAPER,
    comparisons=(
        Comparison(
            "NiN (1×1 convs + global average pool) vs the same trunk with an AlexNet-style FC head",
            Side.of("nin"),
            Side.of("nin_fc_head"),
            (
                vote("params", MARKEDLY.expect(), "the fully connected head held too few parameters for its removal to "
                     "mark the total"),
                context("macs", "the seed claims parameters only"),
                context("flops", "the seed claims parameters only"),
                context("latency_ms", NO_SPEED_CLAIMED),
                context("peak_bytes", "the seed claims nothing about memory"),
                context("activation_bytes", "the seed claims nothing about memory"),
            ),
        ),
    ),
    decides=(
        "`nin_fc_head` is not in the seed: it is the comparison the claim implies, seed 001's trunk with AlexNet's "
        "head (Flatten, Linear(384·5·5, 4096), Linear(4096, 4096), Linear(4096, 10), ReLU and dropout between) in "
        "place of the last NiN block and the global average pool.",
    ),
    out_of_scope=("可以减少过拟合 (can reduce overfitting): generalisation, out of scope.",),
)

FP32_ROUNDING = 1e-5
"""Largest relative difference two fp32 computations of the same sums may show."""


def conv1x1_linear_probe() -> dict[str, float]:
    """Seed 001's "a 1×1 conv is a fully connected layer", tested on the catalog's ``nin_block``.

    The first 1×1 convolution of the block (its input captured from a forward on the example
    input) and an ``nn.Linear`` holding the same weight and bias, applied to every pixel's channel
    vector. Returns the relative max difference of the outputs and the differences of their
    parameter and MAC counts (counted by modbench's own counters).
    """
    entry = get_entry("nin_block")
    config = entry.config()
    module, _ = entry.build(config)
    module.eval()
    (x,) = entry.inputs(config, 2)
    conv = next(m for m in module.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1))
    captured: list[torch.Tensor] = []
    hook = conv.register_forward_pre_hook(lambda _m, args: captured.append(args[0].detach()))
    with torch.no_grad():
        module(x)
    hook.remove()
    features = captured[0]
    linear = nn.Linear(conv.in_channels, conv.out_channels, bias=conv.bias is not None).eval()
    with torch.no_grad():
        linear.weight.copy_(conv.weight.flatten(1))
        if conv.bias is not None:
            linear.bias.copy_(conv.bias)
        by_conv = conv(features)
        pixels = features.permute(0, 2, 3, 1).reshape(-1, conv.in_channels)
        by_linear = linear(pixels).reshape(features.shape[0], features.shape[2], features.shape[3], -1).permute(0, 3, 1, 2)
    scale = by_conv.abs().max().item() or 1.0
    return {
        "conv1x1_linear_max_abs_diff": (by_conv - by_linear).abs().max().item() / scale,
        "conv1x1_linear_param_diff": float(count_parameters(conv).params - count_parameters(linear).params),
        "conv1x1_linear_macs_diff": float(count_ops(conv, (features,)).macs - count_ops(linear, (pixels,)).macs),
    }


NIN_CONV_IS_FC = Claim(
    id="nin-1x1-conv-is-fc",
    number="3b",
    statement="A 1×1 convolution computes the same as a fully connected layer applied to every pixel.",
    seed=SEED_001,
    quotes=(
        Quote(
            "因为1个1x1卷基层相当于全连接层,两个1x1卷积层使输入和输出层中间有了隐藏层,才相当于多层感知机。",
            "Because one 1×1 convolution layer is equivalent to a fully connected layer; two 1×1 convolution "
            "layers put a hidden layer between input and output, which makes them a multilayer perceptron.",
        ),
    ),
    paper=NIN_PAPER,
    probes=(
        ProbeCheck(
            conv1x1_linear_probe,
            "conv1x1_linear_max_abs_diff",
            "largest difference, 1×1 conv vs per-pixel Linear (relative to the largest output)",
            at_most(FP32_ROUNDING),
            "the two layers compute different numbers (a layout or weight-order mismatch), beyond fp32 rounding",
        ),
        ProbeCheck(
            conv1x1_linear_probe,
            "conv1x1_linear_param_diff",
            "params(1×1 conv) − params(Linear)",
            equals(0),
            "the convolution holds weights a fully connected layer does not",
        ),
        ProbeCheck(
            conv1x1_linear_probe,
            "conv1x1_linear_macs_diff",
            "MACs(1×1 conv) − MACs(Linear over all pixels)",
            equals(0),
            "the counters price a 1×1 convolution differently from the same product as a matmul",
        ),
    ),
    decides=(
        "The probe takes the first 1×1 convolution of the catalog's `nin_block` (its input: the block's k×k conv + "
        "ReLU output on the example input), copies its weight and bias into an nn.Linear, and applies the Linear to "
        "every pixel's channel vector (N×C×H×W → N·H·W×C).",
    ),
)

register(NIN_HEAD, NIN_CONV_IS_FC)

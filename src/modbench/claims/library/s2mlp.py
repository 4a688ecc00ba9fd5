"""Seed 002's S2-MLPv2 claim: replacing convolutions with MLPs lowers computation and speeds up inference (9)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from modbench.catalog import get_entry
from modbench.catalog.resnet import ResNet
from modbench.claims.expect import FASTER, FEWER
from modbench.claims.registry import register
from modbench.claims.schema import Check, Claim, Comparison, Extra, Quote, Side, context, vote
from modbench.claims.sources import SEED_002

RESNET152_BLOCKS = (3, 8, 36, 3)
"""ResNet-152's bottlenecks per stage (He et al. 2016, Table 1): the conv model of S2-MLPv2-Medium's size."""


def _resnet_inputs(config: Mapping[str, Any], batch: int) -> tuple[torch.Tensor, ...]:
    return get_entry("resnet50").inputs(dict(config), batch)


def _resnet152(config: Mapping[str, Any]) -> nn.Module:
    return ResNet(RESNET152_BLOCKS, config["num_classes"])


RESNET152 = Extra("resnet152", _resnet152, _resnet_inputs)
RELEASED = {"split_hidden_ratio": 0.25}
"""S2-MLPv2's models at the split-attention width that gives Medium the abstract's parameter count."""

_BLOCK = Side.of("s2mlpv2_block", channels=64, hw=28)
_CHECKS: tuple[Check, ...] = (
    vote("macs", FEWER.expect(), "the shift MLP's channel projections cost more multiply-adds than the convolutions they replace"),
    vote("latency_ms", FASTER.expect(), "the MLP runs no faster than the convolution on this device"),
    context("params", "the seed's parameter efficiency is accuracy per parameter, out of scope"),
    context("flops"),
    context("peak_bytes", "the seed claims nothing about memory"),
)

S2MLP = Claim(
    id="s2mlp-vs-conv",
    number="9",
    statement="Replacing convolution with MLPs (S2-MLPv2) lowers computation and speeds up inference.",
    seed=SEED_002,
    quotes=(
        Quote(
            "通过将卷积层替换为MLP,模型可以在不显著降低性能的同时减少计算成本。",
            "By replacing convolution layers with MLPs, a model can cut its computational cost without "
            "significantly lowering performance.",
        ),
        Quote(
            "这种替代不仅带来了模型推理速度的提升,还在参数效率方面表现出色。",
            "This replacement not only speeds up inference but also does well in parameter efficiency.",
        ),
    ),
    paper="Yu et al., S2-MLPv2: Improved Spatial-Shift MLP Architecture for Vision, 2021",
    comparisons=(
        Comparison(
            "S2-MLPv2 block vs one 3×3 conv layer (64 channels, 28×28)",
            _BLOCK,
            Side.of("conv2d", in_channels=64, out_channels=64, kernel_size=3, hw=28),
            _CHECKS,
        ),
        Comparison(
            "S2-MLPv2 block vs a ResNet basic block (64 channels, 28×28)",
            _BLOCK,
            Side.of("residual_basic", in_channels=64, out_channels=64, hw=28),
            _CHECKS,
        ),
        Comparison("S2-MLPv2-Small vs ResNet-50 (models of about the same size, 224×224)", Side.of("s2mlpv2_small", **RELEASED), Side.of("resnet50"), _CHECKS),
        Comparison(
            "S2-MLPv2-Medium vs ResNet-152 (models of about the same size, 224×224)",
            Side.of("s2mlpv2_medium", **RELEASED),
            Side.of_extra(RESNET152, get_entry("resnet50").config()),
            _CHECKS,
        ),
    ),
    decides=(
        "\"A conv block of equal width\": 64 channels in and out at 28×28. Two baselines, because the verdict depends "
        "on which: one 3×3 convolution layer (`conv2d`, the seed's literal \"convolution layer\") and a ResNet basic "
        "block (two 3×3 convolutions and a residual, a block like S2-MLPv2's, which has a token mixer and a channel MLP).",
        "The seed's claim is about models, so models are compared too: S2-MLPv2-Small and -Medium (at the "
        "split-attention width whose Medium has the abstract's parameter count; see the papers' tables) against the "
        "ResNets of about their parameter counts, ResNet-50 and ResNet-152 (built from the catalog's ResNet with "
        "ResNet-152's stage depths).",
        "The S2-MLPv2 block follows the paper (mlp_ratio 3, channels-last input); the seed's snippet is partial (see "
        "the `s2mlpv2_block` entry for how it differs).",
    ),
    out_of_scope=(
        "不显著降低性能 (without significantly lowering performance) and parameter efficiency in the sense of accuracy "
        "per parameter (parameters are shown for context).",
    ),
)

register(S2MLP)

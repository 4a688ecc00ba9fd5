"""Seed 003's claim on sparse connections: on hardware optimised for dense matrices, sparse weights hold
less data but hardly cut the time (10d).

Two sparse layers against the dense layer they thin out, both built here (no catalog entry): a
convolution with 90 % of its weights masked to zero, run by the dense kernel, and a fully
connected layer whose weights are stored sparse (CSR, 10 % kept) and multiplied by torch's sparse
kernel. The claim is about time, so both vote on this hardware only.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from modbench.claims.expect import NOT_FASTER
from modbench.claims.registry import register
from modbench.claims.schema import Claim, Comparison, Extra, Quote, Side, context, vote
from modbench.claims.sources import SEED_003

KEPT = 0.1
"""Share of the weights a sparse layer keeps."""


def _mask(weight: torch.Tensor, density: float) -> torch.Tensor:
    """``weight`` with all but a ``density`` share of its entries zeroed (a fixed random pattern)."""
    generator = torch.Generator().manual_seed(0)
    return weight * (torch.rand(weight.shape, generator=generator) < density)


def _masked_conv(config: Mapping[str, Any]) -> nn.Module:
    conv = nn.Conv2d(config["channels"], config["channels"], config["kernel_size"], padding=config["kernel_size"] // 2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(_mask(conv.weight, config["density"]))
    return conv


def _conv_inputs(config: Mapping[str, Any], batch: int) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(0)
    return (torch.randn(batch, config["channels"], config["hw"], config["hw"], generator=generator),)


class CsrLinear(nn.Module):
    """A bias-free fully connected layer whose weight is stored sparse (CSR) and multiplied by the sparse kernel."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # torch calls CSR support beta
            self.register_buffer("weight", weight.to_sparse_csr())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sparse.mm(self.weight, x.t()).t()


def _linear(config: Mapping[str, Any]) -> nn.Module:
    layer = nn.Linear(config["features"], config["features"], bias=False)
    with torch.no_grad():
        layer.weight.copy_(_mask(layer.weight, config["density"]))
    return CsrLinear(layer.weight.detach()) if config["layout"] == "csr" else layer


def _linear_inputs(config: Mapping[str, Any], batch: int) -> tuple[torch.Tensor, ...]:
    generator = torch.Generator().manual_seed(0)
    return (torch.randn(batch, config["features"], generator=generator),)


MASKED_CONV = Extra("sparse.conv", _masked_conv, _conv_inputs)
SPARSE_LINEAR = Extra("sparse.linear", _linear, _linear_inputs)

_CONV = {"channels": 64, "kernel_size": 3, "hw": 56}
_LINEAR = {"features": 4096}
_ROWS = 64


def _linear_side(density: float, layout: str) -> Side:
    return Side.of_extra(SPARSE_LINEAR, {**_LINEAR, "density": density, "layout": layout}).at(_ROWS)


_TIME_NOT_CUT = vote("latency_ms", NOT_FASTER.expect(), "the sparse layer runs faster than the dense one, as a kernel "
                     "that skips the zeros would")

SPARSE = Claim(
    id="sparse-connections-not-faster",
    number="10d",
    statement="Sparse connections hold less data but hardly cut the time on hardware optimised for dense matrices.",
    seed=SEED_003,
    quotes=(
        Quote(
            "全连接变成稀疏连接后实际计算量并不会有质的提升,因为大部分硬件是针对密集矩阵计算优化的,稀疏矩阵虽然数据量少,但是计算所消耗的时间却很难减少。",
            "Turning full connections into sparse ones brings no qualitative gain in actual computation, because most "
            "hardware is optimised for dense matrix computation: a sparse matrix holds less data, but the time its "
            "computation takes is hard to reduce.",
        ),
    ),
    paper="Szegedy et al., Going Deeper with Convolutions, CVPR 2015",
    table="§3 (motivation)",
    comparisons=(
        Comparison(
            f"3×3 conv with {KEPT:.0%} of its weights kept (masked, dense kernel) vs the dense conv, 64 channels, 56×56",
            Side.of_extra(MASKED_CONV, {**_CONV, "density": KEPT}),
            Side.of_extra(MASKED_CONV, {**_CONV, "density": 1.0}),
            (_TIME_NOT_CUT, context("macs", "the counter prices the dense kernel the masked weights run on: equal by construction")),
        ),
        Comparison(
            f"Linear(4096, 4096) with {KEPT:.0%} of its weights stored sparse (CSR) vs dense, {_ROWS} rows",
            _linear_side(KEPT, "csr"),
            _linear_side(1.0, "dense"),
            (_TIME_NOT_CUT,),
        ),
    ),
    decides=(
        "\"Hardly cut\" is read as not faster: a latency ratio at or above the bound. Data held is not a counted "
        "metric; the sparse layers keep a tenth of the weights by construction.",
        "The masked convolution is what dense-optimised hardware runs when connections are pruned but stored dense; "
        "the CSR layer is what a sparse kernel makes of the same idea.",
    ),
)

register(SPARSE)

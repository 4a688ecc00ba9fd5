"""Seed 003's GoogLeNet claims: 1×1 reductions greatly cut parameters and computation (10); average
pooling replaces the fully connected layers (10b); the auxiliary classifiers are dropped at inference (10c).

The GoogLeNet variants the last two compare with, a fully connected head and the two auxiliary
classifiers, are no catalog entries: they are built here from the catalog's GoogLeNet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from modbench.catalog import get_entry
from modbench.catalog.inception import GOOGLENET_INCEPTIONS, GoogLeNet
from modbench.claims.expect import FEWER, MARKEDLY
from modbench.claims.registry import register
from modbench.claims.schema import NO_SPEED_CLAIMED, Claim, Comparison, Extra, Published, Quote, Side, context, vote
from modbench.claims.sources import SEED_003

GOOGLENET_PAPER = "Szegedy et al., Going Deeper with Convolutions, CVPR 2015"

_TABLE_PARAMS = Published("inception (3a) parameters", 159, "K", "GoogLeNet paper, Table 1")
_TABLE_OPS = Published("inception (3a) operations (multiply-adds)", 128, "M", "GoogLeNet paper, Table 1")

INCEPTION = Claim(
    id="inception-reductions",
    number="10",
    statement="1×1 reductions in Inception greatly reduce parameters and computation.",
    seed=SEED_003,
    quotes=(
        Quote(
            "首要问题就是参数太多,导致特征图厚度太大。为了解决这个问题,作者在其中加入了1X1的卷积核,改进后的Inception结构如下图",
            "The main problem is too many parameters, which makes the feature maps too thick. To solve it the "
            "authors added 1×1 convolution kernels; the improved Inception structure is shown below",
        ),
        Quote(
            "这样做有两个好处,首先是大大减少了参数量,其次,增加的1X1卷积后面也会跟着有非线性激励,这样同时也能够提升网络的表达能力。",
            "This has two benefits: first, it greatly reduces the number of parameters; second, each added 1×1 "
            "convolution is followed by a non-linearity, which also improves the network's expressive power.",
        ),
    ),
    paper=GOOGLENET_PAPER,
    table="Table 1 (inception 3a); Figure 2",
    comparisons=(
        Comparison(
            "inception(3a) with 1×1 reductions vs without (192×28×28 input)",
            Side.of("inception"),
            Side.of("inception_naive"),
            (
                vote("params", MARKEDLY.expect(), "the 1×1 reductions add more weights than they save in the 3×3 and 5×5 branches"),
                vote("macs", MARKEDLY.expect(), "the reductions' own multiply-adds eat the saving in the wide branches"),
                context("latency_ms", NO_SPEED_CLAIMED),
                context("flops"),
                context("peak_bytes", "the seed claims nothing about memory"),
            ),
        ),
    ),
    decides=(
        "Both modules at inception (3a)'s input, 192×28×28, with its branch widths (64, 128, 32). The naive module's "
        "pool branch passes all 192 input channels through, so it outputs 416 channels against 256: the reductions "
        "also save work in the next layer, which this comparison does not count.",
        f"The paper's Table 1 prints {_TABLE_PARAMS.value:g}{_TABLE_PARAMS.unit} parameters for inception (3a) and "
        f"{_TABLE_OPS.value:g}{_TABLE_OPS.unit} operations; the module as specified by the same row has more weights "
        "than that (the measured count is in the checks), and the table's own operation count agrees with the "
        "larger figure (each weight of a 28×28 layer is used 784 times), so the table's parameter figure is the "
        "one that is off.",
    ),
    out_of_scope=("提升网络的表达能力 (improves the network's expressive power): accuracy.",),
    published=(_TABLE_PARAMS, _TABLE_OPS),
)


def _googlenet_inputs(config: Mapping[str, Any], batch: int) -> tuple[torch.Tensor, ...]:
    return get_entry("googlenet").inputs(dict(config), batch)


def _fc_head(config: Mapping[str, Any]) -> nn.Module:
    """GoogLeNet with one fully connected layer on the unpooled last feature map instead of average pooling."""
    model = GoogLeNet(config["num_classes"])
    with torch.no_grad():
        features = model.inceptions(model.stem(torch.zeros(1, 3, config["hw"], config["hw"])))
    model.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.4), nn.Linear(features[0].numel(), config["num_classes"]))
    return model


class WithAuxiliaryClassifiers(nn.Module):
    """GoogLeNet as trained: the two auxiliary classifiers on inception (4a) and (4d) computed with the main one.

    Each is the paper's: 5×5/3 average pool, 1×1 conv 128 + ReLU, FC 1024 + ReLU, dropout 0.7, FC to
    the classes. The output holds the three classifiers' logits side by side (N × 3·classes), as a
    training step computes them.
    """

    TAPS = ("4a", "4d")

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.net = GoogLeNet(num_classes)
        names = [name for name, *_ in GOOGLENET_INCEPTIONS]
        inceptions = [m for m in self.net.inceptions if hasattr(m, "out_channels")]
        self.taps = {id(inceptions[names.index(tap)]) for tap in self.TAPS}
        self.aux = nn.ModuleList(self._classifier(inceptions[names.index(tap)].out_channels, num_classes) for tap in self.TAPS)

    @staticmethod
    def _classifier(channels: int, num_classes: int) -> nn.Sequential:
        return nn.Sequential(
            nn.AvgPool2d(5, stride=3),
            nn.Conv2d(channels, 128, 1),
            nn.ReLU(inplace=True),
            nn.Flatten(),
            nn.Linear(128 * 4 * 4, 1024),
            nn.ReLU(inplace=True),
            nn.Dropout(0.7),
            nn.Linear(1024, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.net.stem(x)
        aux = []
        for layer in self.net.inceptions:
            x = layer(x)
            if id(layer) in self.taps:
                aux.append(self.aux[len(aux)](x))
        return torch.cat([self.net.head(x), *aux], dim=1)


FC_HEAD = Extra("googlenet.fc_head", _fc_head, _googlenet_inputs)
WITH_AUX = Extra("googlenet.with_aux", lambda config: WithAuxiliaryClassifiers(config["num_classes"]), _googlenet_inputs)


def _googlenet_side(extra: Extra) -> Side:
    return Side.of_extra(extra, get_entry("googlenet").config())


AVERAGE_POOL_HEAD = Claim(
    id="googlenet-average-pool-head",
    number="10b",
    statement="GoogLeNet replaces the fully connected layers with average pooling.",
    seed=SEED_003,
    quotes=(
        Quote(
            "2)网络最后采用了average pooling(平均池化)来代替全连接层,该想法来自NIN(Network in Network),事实证明这样可以将准确率提高0.6%。",
            "2) At its end the network uses average pooling in place of the fully connected layers, an idea from NIN "
            "(Network in Network); this proved to raise accuracy by 0.6 %.",
        ),
    ),
    paper=GOOGLENET_PAPER,
    table="Table 1; §5",
    comparisons=(
        Comparison(
            "GoogLeNet (average pool + one linear) vs the same trunk with a linear layer on the unpooled 7×7×1024 map",
            Side.of("googlenet"),
            _googlenet_side(FC_HEAD),
            (
                vote("params", FEWER.expect(), "a fully connected layer on the unpooled map holds no more weights than "
                     "the pooled classifier"),
                context("macs", "the seed claims parameters only; the head is a small share of the MACs"),
                context("latency_ms", NO_SPEED_CLAIMED),
            ),
        ),
    ),
    decides=(
        "The fully connected alternative is the smallest one: a single linear layer on the flattened last feature map "
        "(the paper's own variant keeps one linear layer after the pool). A deeper AlexNet-style head would only "
        "widen the gap.",
    ),
    out_of_scope=("准确率提高0.6% (accuracy up by 0.6 %): accuracy.",),
)

AUXILIARY_CLASSIFIERS = Claim(
    id="googlenet-auxiliary-classifiers",
    number="10c",
    statement="GoogLeNet's auxiliary classifiers are used only in training and removed for prediction.",
    seed=SEED_003,
    quotes=(
        Quote(
            "这里的辅助分类器只是在训练时使用,在正常预测时会被去掉。",
            "The auxiliary classifiers here are used only in training and are removed for normal prediction.",
        ),
    ),
    paper=GOOGLENET_PAPER,
    table="§5, Figure 3",
    comparisons=(
        Comparison(
            "GoogLeNet as deployed vs as trained, with its two auxiliary classifiers",
            Side.of("googlenet"),
            _googlenet_side(WITH_AUX),
            (
                vote("params", FEWER.expect(), "the auxiliary classifiers hold too few weights for their removal to "
                     "lighten the deployed model"),
                context("macs", "what the classifiers compute in training; the seed claims only that they are removed"),
                context("latency_ms", NO_SPEED_CLAIMED),
                context("peak_bytes", "the seed claims nothing about memory"),
            ),
        ),
    ),
    decides=(
        "The catalog's `googlenet` is the deployed network, without the auxiliary classifiers; the trained one adds "
        "the paper's two classifiers on inception (4a) and (4d) and computes them in every forward.",
    ),
    out_of_scope=("辅助分类器促进了更稳定的学习和更好的收敛 (more stable learning, better convergence): training quality.",),
)

register(INCEPTION, AVERAGE_POOL_HEAD, AUXILIARY_CLASSIFIERS)

"""Seed 004's DropBlock claim: no parameters, and no cost at inference (7)."""

from __future__ import annotations

from modbench.claims.expect import at_most, equals
from modbench.claims.registry import register
from modbench.claims.schema import Claim, Comparison, Quote, Side, context, vote
from modbench.claims.sources import SEED_004

_EVAL = Side.of("dropblock")
_TRAIN = Side.of("dropblock", mode="train")

ONE_PASS = 1.0
"""DropBlock in eval may take at most the time of one element-wise pass (a ReLU) over the same tensor."""

DROPBLOCK = Claim(
    id="dropblock-free-at-inference",
    number="7",
    statement="DropBlock has no parameters and no inference cost.",
    seed=SEED_004,
    quotes=(
        Quote(
            "块丢弃:在训练过程中,DropBlock 随机选择一些区域(块),并将这些区域内的所有特征值置为 0。",
            "Block dropping: during training, DropBlock randomly picks some regions (blocks) and sets every "
            "feature value in them to 0.",
        ),
        Quote(
            "if not self.training or self.keep_prob == 1.0:return x",
            "(the seed's code) outside training, or with keep_prob 1, return the input unchanged.",
        ),
        Quote(
            "易于实现:DropBlock 可以很容易地集成到现有的神经网络中,只需替换传统的 Dropout 层。",
            "Easy to implement: DropBlock integrates easily into existing networks by just replacing the "
            "conventional Dropout layer.",
        ),
    ),
    paper="Ghiasi et al., DropBlock: A regularization method for convolutional networks, NeurIPS 2018",
    comparisons=(
        Comparison(
            "DropBlock in eval mode",
            _EVAL,
            None,
            (
                vote("params", equals(0), "the module registers a learnable mask or scale", on="candidate"),
                vote("macs", equals(0), "the eval forward still computes the block mask", on="candidate"),
                vote("flops", equals(0), "the eval forward still does element-wise work (mask, scaling)", on="candidate"),
            ),
        ),
        Comparison(
            "DropBlock in eval mode vs one ReLU on the same tensor",
            _EVAL,
            Side.of("relu"),
            (vote("latency_ms", at_most(ONE_PASS), "the eval forward takes longer than one element-wise pass over its input"),),
        ),
        Comparison(
            "DropBlock vs Dropout, training step (forward + backward)",
            _TRAIN,
            Side.of("dropout", mode="train"),
            (context("flops", "its training cost, against the Dropout it replaces"), context("latency_ms"), context("peak_bytes")),
        ),
        Comparison("DropBlock eval forward vs DropBlock training step", _EVAL, _TRAIN, (context("latency_ms"),)),
    ),
    decides=(
        "The seed says it through its prose (\"during training\") and its code (no parameters; forward returns its "
        "input unless training).",
        "\"No inference cost\" is read as: nothing counted, and no more time than the cheapest real operation on the "
        "same tensor (one ReLU), i.e. only the Python call. Its training cost is shown against the Dropout it replaces.",
    ),
    out_of_scope=("More effective regularisation and robustness to occlusion (accuracy).",),
)

register(DROPBLOCK)

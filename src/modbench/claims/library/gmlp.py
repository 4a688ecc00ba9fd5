"""Seed 000's gMLP claims: the CNN-gMLP has fewer parameters than the plain CNN (8a); gMLP handles long
sequences (8b, a capability: out of scope, its cost's growth with the sequence shown as context)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modbench.claims.estimates import latency_noise
from modbench.claims.expect import FEWER
from modbench.claims.lookup import Results
from modbench.claims.registry import register
from modbench.claims.schema import NO_SPEED_CLAIMED, Claim, Comparison, Exhibit, Growth, Quote, Side, context, freeze, vote
from modbench.claims.sources import SEED_000
from modbench.claims.sweeps import GMLP_SEQ_LENS
from modbench.claims.verdict import CheckResult

GMLP_PAPER = "Liu et al., Pay Attention to MLPs (gMLP), NeurIPS 2021"

CNN_GMLP = Claim(
    id="cnn-gmlp-params",
    number="8a",
    statement="CNN-gMLP is more parameter-efficient than the plain CNN: the gMLP reduces the parameter count.",
    seed=SEED_000,
    quotes=(
        Quote(
            "参数效率: gMLP模块使用全局池化操作,可以有效减少参数数量,提高模型的参数效率。",
            "Parameter efficiency: the gMLP module uses a global pooling operation, which effectively reduces "
            "the number of parameters and improves the model's parameter efficiency.",
        ),
    ),
    paper=GMLP_PAPER,
    comparisons=(
        Comparison(
            "CNN-gMLP vs CNN (seed 000, 10000×12 signal, 6 classes)",
            Side.of("signal_cnn_gmlp"),
            Side.of("signal_cnn"),
            (
                vote("params", FEWER.expect(), "the gMLP blocks and the added hidden layer hold more weights than the "
                     "classifier they replace"),
                context("macs", "the seed claims parameters only"),
                context("flops", "the seed claims parameters only"),
                context("latency_ms", NO_SPEED_CLAIMED),
                context("peak_bytes", "the seed claims nothing about memory"),
            ),
        ),
    ),
    decides=(
        "The gMLP block (the paper's; the seed imports an unnamed `gmlp` package) has no global pooling: each of its "
        "6 blocks holds a seq_len×seq_len token-mixing projection, and the CNN-gMLP adds a 64-unit hidden layer "
        "before its classifier where the CNN maps the 400 features straight to 6 classes.",
    ),
    out_of_scope=(
        "提高模型的参数效率 (better parameter efficiency) in the sense of accuracy per parameter; only the cost half, "
        "fewer parameters, is checked.",
        "The seed's other CNN-gMLP claims, global information through \"global self-attention\" (gMLP has no "
        "self-attention) and less overfitting through Dropout, are about accuracy.",
    ),
)

SEED_WIDTHS = freeze({"d_model": 10, "d_ffn": 20, "num_layers": 6})
"""Seed 000's gMLP widths."""

GROWTH = tuple(Growth("gmlp", "seq_len", GMLP_SEQ_LENS, metric, config=SEED_WIDTHS) for metric in ("params", "macs", "latency_ms", "peak_bytes"))


def growth_exhibits(results: Results, device: str, _checks: Sequence[CheckResult]) -> tuple[Exhibit, ...]:
    """The swept sequence length against every growth metric, one row per length."""
    rows = []
    for index, value in enumerate(GMLP_SEQ_LENS):
        row: dict[str, Any] = {"seq_len": value}
        for curve in GROWTH:
            row[curve.metric] = results.number(curve.sides()[index], curve.metric, device)
        row["noise"] = latency_noise(results, GROWTH[0].sides()[index], device)  # every curve sweeps the same sides
        rows.append(row)
    return (Exhibit("growth", "gMLP at seed 000's widths against seq_len", tuple(rows), "growth"),)


GMLP_LONG = Claim(
    id="gmlp-long-sequences",
    number="8b",
    statement="gMLP handles long sequences effectively, avoiding a CNN's information loss.",
    seed=SEED_000,
    quotes=(
        Quote(
            "处理长序列: gMLP模块可以有效处理长序列数据,避免了普通CNN模型在处理长序列时容易出现的信息丢失问题。",
            "Long sequences: the gMLP module handles long sequence data effectively, avoiding the information "
            "loss an ordinary CNN easily suffers on long sequences.",
        ),
    ),
    paper=GMLP_PAPER,
    growth=GROWTH,
    scope="a capability (handling long sequences without losing information), not a cost; how the cost grows with "
    "the sequence is shown as context",
    decides=(
        "Each block's spatial gating unit is a seq_len×seq_len projection, so parameters and token-mixing MACs grow "
        "with the square of the length, as attention does; the exponents (log-log slopes over the three longest "
        "sequences) show it.",
    ),
    exhibits=growth_exhibits,
)

register(CNN_GMLP, GMLP_LONG)

"""Seed 004's Swish claim: its cost is comparable to ReLU's, one multiplication and one sigmoid (6).

By the suite's reading of "comparable" (:data:`~modbench.claims.expect.COMPARABLE`) the cost
verdict rests on the FLOPs ratio, and the verdict on this hardware on the latency ratio.
"""

from __future__ import annotations

from modbench.claims.expect import COMPARABLE, equals
from modbench.claims.registry import register
from modbench.claims.schema import Claim, Comparison, Quote, Side, context, vote
from modbench.claims.sources import SEED_004

SEED_OPS_PER_ELEMENT = 2.0
"""The seed's count: one multiplication and one sigmoid per element, against ReLU's one max."""


def _activation(entry: str, channels: int, hw: int, mode: str = "infer") -> Side:
    return Side.of(entry, channels=channels, hw=hw, mode=mode)


_COST = vote("flops", COMPARABLE.expect(), "swish's sigmoid and multiply count for more than a comparable share of "
             "ReLU's one operation per element")
_OP_COUNT = context("flops", "restates the counter's convention (one FLOP per element for sigmoid, multiply and max)",
                    expect=equals(SEED_OPS_PER_ELEMENT), name="FLOPs ratio vs the seed's op count")
_TIME = vote("latency_ms", COMPARABLE.expect(), "the sigmoid's exponential and the second kernel cost more than a "
             "comparable share of ReLU's time")
_SHOWN = (context("flops"), context("latency_ms"), context("peak_bytes", "the seed claims nothing about memory"))

SWISH = Claim(
    id="swish-vs-relu",
    number="6",
    statement="Swish costs about as much as ReLU: one multiplication and one sigmoid.",
    seed=SEED_004,
    quotes=(
        Quote(
            "计算高效:Swish 的计算复杂度与 ReLU 相当,只需一次乘法和一次 Sigmoid 运算。",
            "Computationally efficient: Swish's computational complexity is comparable to ReLU's, needing only "
            "one multiplication and one sigmoid.",
        ),
    ),
    paper="Ramachandran et al., Searching for Activation Functions, 2017",
    comparisons=(
        Comparison("Swish vs ReLU, 32×32×32 (seed's test size)", _activation("swish", 32, 32), _activation("relu", 32, 32), (_COST, _OP_COUNT, _TIME, _SHOWN[2])),
        Comparison("Swish vs ReLU, 64×112×112", _activation("swish", 64, 112), _activation("relu", 64, 112), (_COST, _OP_COUNT, _TIME, _SHOWN[2])),
        Comparison("SiLU (fused) vs ReLU, 64×112×112", _activation("silu", 64, 112), _activation("relu", 64, 112), _SHOWN),
        Comparison("Swish vs SiLU (fused), 64×112×112", _activation("swish", 64, 112), _activation("silu", 64, 112), _SHOWN),
        Comparison(
            "Swish vs ReLU, forward + backward, 64×112×112",
            _activation("swish", 64, 112, "train"),
            _activation("relu", 64, 112, "train"),
            (context("latency_ms"), _SHOWN[2]),
        ),
    ),
    decides=(
        "modbench prices each element-wise op at 1 FLOP per element: sigmoid 1, multiply 1, ReLU 1. A sigmoid really "
        "evaluates an exponential and a division, so the FLOP ratio understates its cost.",
        "Swish as the seed writes it, x * torch.sigmoid(x), runs two kernels and writes an intermediate tensor; "
        "torch's SiLU computes the same function in one kernel (shown for context).",
    ),
    out_of_scope=("The seed's accuracy claims for Swish (better than ReLU on ImageNet, smoother gradients).",),
)

register(SWISH)

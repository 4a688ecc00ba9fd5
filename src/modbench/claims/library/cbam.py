"""Seed 004's CBAM claim: about 0.1 % more parameters on ResNet-50, and minimal computation (4)."""

from __future__ import annotations

from modbench.claims.expect import NEGLIGIBLE, within
from modbench.claims.registry import register
from modbench.claims.schema import Claim, Comparison, Published, Quote, Side, context, vote
from modbench.claims.sources import SEED_004

_R50_PARAMS = Published("ResNet-50 parameters", 25.56, "M", "CBAM paper, Table 4")
_R50_MACS = Published("ResNet-50 GFLOPs (multiply-adds)", 3.858, "G", "CBAM paper, Table 4")
_CBAM_PARAMS = Published("ResNet-50 + CBAM parameters", 28.09, "M", "CBAM paper, Table 4")
_CBAM_MACS = Published("ResNet-50 + CBAM GFLOPs (multiply-adds)", 3.864, "G", "CBAM paper, Table 4")
PUBLISHED = (_R50_PARAMS, _R50_MACS, _CBAM_PARAMS, _CBAM_MACS)


def _increase(after: Published, before: Published) -> str:
    return f"+{(after.value / before.value - 1) * 100:.2g} %"


PLUS_A_TENTH_PERCENT = within(1.001, 0.001)
""""About 0.1 % more": a ratio of 1.001, read to the precision the seed prints (one tenth of a percent)."""

CBAM = Claim(
    id="cbam-overhead",
    number="4",
    statement="CBAM adds only about 0.1 % parameters to ResNet-50 and negligible compute.",
    seed=SEED_004,
    quotes=(
        Quote(
            "轻量级设计:引入的参数和计算开销极少,例如在 ResNet-50 中集成 CBAM 仅增加约 0.1% 的参数。",
            "Lightweight design: the parameters and computation it introduces are minimal; for example, "
            "integrating CBAM into ResNet-50 adds only about 0.1 % parameters.",
        ),
    ),
    paper="Woo et al., CBAM: Convolutional Block Attention Module, ECCV 2018",
    table="Table 4 (ImageNet, ResNet-50)",
    comparisons=(
        Comparison(
            "ResNet-50 + CBAM vs ResNet-50",
            Side.of("resnet50_cbam"),
            Side.of("resnet50"),
            (
                vote("params", PLUS_A_TENTH_PERCENT, "the attention modules' MLPs and 7×7 convolutions add more (or less) "
                     "than a tenth of a percent of ResNet-50's weights"),
                vote("macs", NEGLIGIBLE.expect(), "the attention modules' multiply-adds are not negligible beside the "
                     "bottlenecks' convolutions"),
                vote("flops", NEGLIGIBLE.expect(), "CBAM's pooling, sigmoids and products add more than a negligible share "
                     "of element-wise work", name="FLOPs ratio (with element-wise)"),
                vote("latency_ms", NEGLIGIBLE.expect(), "the attention's many small kernels cost more time than their "
                     "operation count suggests (开销极少, minimal overhead, covers time too)"),
                context("peak_bytes", "the seed claims nothing about memory"),
            ),
        ),
    ),
    decides=(
        "Where CBAM sits: on every bottleneck's residual branch output, after its last batch norm and before the "
        "addition (CBAM paper, Fig. 3); reduction 16, 7×7 spatial convolution.",
        f"The paper's own Table 4 lists {_R50_PARAMS.value} M → {_CBAM_PARAMS.value} M parameters "
        f"({_increase(_CBAM_PARAMS, _R50_PARAMS)}) and {_R50_MACS.value} → {_CBAM_MACS.value} GFLOPs "
        f"({_increase(_CBAM_MACS, _R50_MACS)}): the seed's \"0.1 %\" matches the FLOPs, not the parameters.",
        "\"FLOPs\" in the CBAM paper are multiply-adds (`macs`). modbench's `flops` also price CBAM's pooling, "
        "sigmoids and multiplications, which a MAC count leaves out.",
    ),
    published=PUBLISHED,
)

register(CBAM)

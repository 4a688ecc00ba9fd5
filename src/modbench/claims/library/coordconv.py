"""Seed 004's CoordConv claim: two extra input channels add almost no computation or parameters (5).

The baseline is the same convolution without the extra channels (the catalog's ``coordconv``
with ``coords=False``): same bias, no batch norm on either side, so the ratios weigh exactly what
the coordinates add. Their MACs ratio is (c + 2)/c, so the verdict depends on the input width;
the seed's own example (c = 3) is one of the widths.
"""

from __future__ import annotations

from modbench.claims.expect import NEGLIGIBLE
from modbench.claims.registry import register
from modbench.claims.schema import NO_SPEED_CLAIMED, Claim, Comparison, Quote, Side, context, freeze, vote
from modbench.claims.sources import SEED_004

WIDTHS: tuple[tuple[str, int, int, int], ...] = (
    ("seed 004's own example", 3, 16, 32),
    ("catalog default", 32, 64, 32),
    ("wide input", 256, 256, 28),
)
"""(what the width is, c, n, hw): the seed's RGB example, the catalog's default, a wide layer."""


def _comparison(what: str, c: int, n: int, hw: int) -> Comparison:
    side = {"in_channels": c, "out_channels": n, "kernel_size": 3, "hw": hw}
    return Comparison(
        f"{what}: {c} → {n} channels, {hw}×{hw}",
        Side.of("coordconv", **side),
        Side.of("coordconv", coords=False, **side),
        (
            vote("params", NEGLIGIBLE.expect(), "the two channels' k×k weights per filter are not negligible beside "
                 "the c input channels' (a narrow input)"),
            vote("macs", NEGLIGIBLE.expect(), "the two channels' multiply-adds are not negligible beside the c input "
                 "channels' (a narrow input)"),
            context("latency_ms", NO_SPEED_CLAIMED),
            context("flops", "the coordinate channels' construction is element-wise work, shown beside the MACs"),
            context("peak_bytes", "the seed claims nothing about memory"),
        ),
        point=freeze({"c": c, "n": n, "hw": hw}),
    )


COORDCONV = Claim(
    id="coordconv-overhead",
    number="5",
    statement="CoordConv adds almost no parameters or compute.",
    seed=SEED_004,
    quotes=(
        Quote(
            "简单高效:只需在输入特征图中添加两个通道,几乎不增加计算复杂度和参数数量。",
            "Simple and efficient: it only adds two channels to the input feature map, adding almost no "
            "computational complexity or parameters.",
        ),
    ),
    paper="Liu et al., An intriguing failing of convolutional neural networks and the CoordConv solution, NeurIPS 2018",
    comparisons=tuple(_comparison(*width) for width in WIDTHS),
    decides=(
        "Two coordinate channels add 2/c to a k×k convolution's weights and MACs (3/c with the radius channel): "
        "negligible for a wide input, not for an RGB image, the seed's own example.",
        "Both sides are the catalog's `coordconv`, once with `coords=False`: the same convolution, with its bias "
        "and without batch norm, as in the seed.",
    ),
)

register(COORDCONV)

"""Sweeps as data: the Ghost-versus-conv grid, gMLP's sequence lengths, and the batch-size curves.

The Ghost grid varies one of c, n, k, s, d or the resolution at a time around a centre point
where the paper's approximation should hold (d = k), and adds GhostNet's own setting (k = 1,
d = 3) at small and large c, and the seed's own example, so the grid shows where "≈ s" holds and
where it does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modbench.claims.schema import Side


@dataclass(frozen=True)
class GhostPoint:
    """One Ghost module against the plain k×k conv it replaces: c → n channels at hw×hw.

    ``s`` is the ratio (the module makes ceil(n/s) intrinsic maps) and ``d`` the cheap
    depthwise kernel.
    """

    c: int
    n: int
    k: int
    s: int
    d: int
    hw: int

    @property
    def ghost(self) -> Side:
        return Side.of("ghost", in_channels=self.c, out_channels=self.n, kernel_size=self.k, ratio=self.s, dw_size=self.d, hw=self.hw)

    @property
    def conv(self) -> Side:
        return Side.of("conv2d", in_channels=self.c, out_channels=self.n, kernel_size=self.k, hw=self.hw)

    @property
    def intrinsic(self) -> int:
        """m = ceil(n/s): the primary convolution's output channels."""
        return -(-self.n // self.s)

    def part_elements(self, part: str) -> int:
        """Feature-map elements a part reads and writes per sample (its input and its output)."""
        area = self.hw * self.hw
        if part == "primary":
            return (self.c + self.intrinsic) * area
        return self.intrinsic * self.s * area

    def label(self) -> str:
        return f"c={self.c} n={self.n} k={self.k} s={self.s} d={self.d} hw={self.hw}"

    def coordinates(self) -> dict[str, Any]:
        return {"c": self.c, "n": self.n, "k": self.k, "s": self.s, "d": self.d, "hw": self.hw}


def ghost_speedup(c: int, k: int, s: int, d: int) -> float:
    """GhostNet paper Eq. 4: r_s = c·k²·s / (c·k² + (s−1)·d²), the conv's MACs over the Ghost module's.

    Eq. 5 gives the same expression for the compression of weights, r_c. Both are ≈ s only when
    d = k and c ≫ s, or more generally when c·k² ≫ (s−1)·d².
    """
    return c * k * k * s / (c * k * k + (s - 1) * d * d)


GHOST_CENTRE = GhostPoint(c=64, n=128, k=3, s=2, d=3, hw=56)

GHOST_SEED_EXAMPLE = GhostPoint(c=32, n=64, k=1, s=2, d=3, hw=32)
"""Seed 004's own test: GhostModule(in_channels=32, out_channels=64) at its defaults on a 32×32 input."""

GHOST_SWEEP: tuple[GhostPoint, ...] = (
    GHOST_CENTRE,
    GHOST_SEED_EXAMPLE,
    # kernel of the replaced conv: GhostNet's own k = 1 (with d = 3), and k = 5
    GhostPoint(64, 128, 1, 2, 3, 56),
    GhostPoint(64, 128, 5, 2, 3, 56),
    # ratio s
    GhostPoint(64, 128, 3, 3, 3, 56),
    GhostPoint(64, 128, 3, 4, 3, 56),
    # cheap kernel d at k = 1
    GhostPoint(64, 128, 1, 2, 1, 56),
    GhostPoint(64, 128, 1, 2, 5, 56),
    # input width c at GhostNet's k = 1, d = 3
    GhostPoint(16, 128, 1, 2, 3, 56),
    GhostPoint(256, 128, 1, 2, 3, 56),
    # output width n, including one that s does not divide (ceil and slice)
    GhostPoint(64, 64, 3, 2, 3, 56),
    GhostPoint(64, 100, 3, 3, 3, 56),
    # resolution
    GhostPoint(64, 128, 3, 2, 3, 14),
    GhostPoint(64, 128, 3, 2, 3, 112),
    # GhostNet's own modules: first expansion (24 → 72 at 56×56) and the last stage (160 → 960 at 7×7)
    GhostPoint(24, 72, 1, 2, 3, 56),
    GhostPoint(160, 960, 1, 2, 3, 7),
)

GHOST_PARTS = ("primary", "cheap")
"""The two convolutions inside a Ghost module, measured alone to show where its time goes."""

GMLP_SEQ_LENS: tuple[int, ...] = (40, 80, 160, 320, 640, 1280)
"""Sequence lengths for gMLP's growth curve; 40 is seed 000's (its conv trunk's 10×4 positions)."""


@dataclass(frozen=True)
class BatchCurve:
    """Latency and throughput of some entries over batch sizes, for one plot (``labels`` name the sides)."""

    title: str
    labels: tuple[str, ...]
    sides: tuple[Side, ...]
    batches: tuple[int, ...]


BLOCK_BATCHES = (1, 2, 4, 8, 16, 32)
MODEL_BATCHES = (1, 2, 4, 8)

BATCH_CURVES: tuple[BatchCurve, ...] = (
    BatchCurve(
        "Ghost module vs 3×3 conv (c=64, n=128, 56×56)",
        ("ghost (k=3, s=2, d=3)", "conv2d 3×3"),
        (GHOST_CENTRE.ghost, GHOST_CENTRE.conv),
        BLOCK_BATCHES,
    ),
    BatchCurve(
        "GhostNet 1.0× vs MobileNetV3-Large",
        ("ghostnet 1.0×", "mobilenetv3_large 1.0×", "mobilenetv3_large 0.75×"),
        (Side.of("ghostnet"), Side.of("mobilenetv3_large"), Side.of("mobilenetv3_large", width_mult=0.75)),
        MODEL_BATCHES,
    ),
    BatchCurve(
        "Swish vs SiLU vs ReLU (64×112×112)",
        ("swish (x·sigmoid(x))", "silu (fused)", "relu"),
        (Side.of("swish", channels=64, hw=112), Side.of("silu", channels=64, hw=112), Side.of("relu", channels=64, hw=112)),
        BLOCK_BATCHES,
    ),
    BatchCurve(
        "S2-MLPv2 block vs conv blocks (64 channels, 28×28)",
        ("s2mlpv2_block", "conv2d 3×3", "residual_basic"),
        (
            Side.of("s2mlpv2_block", channels=64, hw=28),
            Side.of("conv2d", in_channels=64, out_channels=64, kernel_size=3, hw=28),
            Side.of("residual_basic", in_channels=64, out_channels=64, hw=28),
        ),
        BLOCK_BATCHES,
    ),
)

"""Seed 004's Ghost module claims: computation and parameters cut to about 1/s (1), complexity markedly
lower than a convolution's (1b), and GhostNet's 30 % fewer FLOPs than MobileNetV3 (2).

The Ghost module is measured against the plain k×k conv it replaces over a sweep of c, n, k, s,
d and the resolution (:data:`modbench.claims.sweeps.GHOST_SWEEP`), with its two convolutions also
measured alone to show where its time goes.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import nn

from modbench.catalog import get_entry
from modbench.catalog.published import PublishedFigure, published_for
from modbench.claims.estimates import latency_noise, latency_ratio
from modbench.claims.expect import MARKEDLY, Formula, about
from modbench.claims.lookup import Results, ratio
from modbench.claims.registry import register
from modbench.claims.schema import (
    NO_SPEED_CLAIMED,
    Claim,
    Comparison,
    Exhibit,
    Extra,
    Published,
    Quote,
    Side,
    context,
    freeze,
    vote,
)
from modbench.claims.sides import side_config
from modbench.claims.sources import SEED_004
from modbench.claims.sweeps import GHOST_PARTS, GHOST_SWEEP, GhostPoint, ghost_speedup
from modbench.claims.verdict import CheckResult, combine
from modbench.metrics.sentinel import noise_mark
from modbench.text import format_interval

FP32_BYTES = 4
GHOST_PAPER = "Han et al., GhostNet: More Features from Cheap Operations, CVPR 2020"

EQ4 = Formula("1/r_s (Eq. 4)", lambda c, _b: 1 / ghost_speedup(c["in_channels"], c["kernel_size"], c["ratio"], c["dw_size"]))
ONE_OVER_S = Formula("1/s", lambda c, _b: 1 / c["ratio"])

_FLOPS = context("flops", "2 per MAC plus element-wise work, beside the MACs the claim is about")
_GFLOPS = context("gflops_achieved", "how fast each side computes: explains a time that does not follow the MACs")
_PEAK = context("peak_bytes", "the seed claims nothing about memory")
_LATENCY = context("latency_ms", NO_SPEED_CLAIMED)


def _sweep_comparison(point: GhostPoint, *checks: Any) -> Comparison:
    return Comparison(point.label(), point.ghost, point.conv, tuple(checks), point=freeze(point.coordinates()))


def _module_part(part: str) -> Extra:
    """The primary convolution or the cheap depthwise operation of a Ghost module, alone.

    Stored under ``ghost.primary`` / ``ghost.cheap`` with the module's full config, so each part's
    rows sit next to its module's. The cheap operation's input is the primary's output: ceil(n/s)
    maps at the module's resolution.
    """
    entry = get_entry("ghost")

    def build(config: Mapping[str, Any]) -> nn.Module:
        module, _ = entry.build(dict(config))
        return getattr(module, part)

    def inputs(config: Mapping[str, Any], batch: int) -> tuple[torch.Tensor, ...]:
        if part == "primary":
            return entry.inputs(dict(config), batch)
        intrinsic = -(-config["out_channels"] // config["ratio"])
        generator = torch.Generator().manual_seed(0)
        return (torch.randn(batch, intrinsic, config["hw"], config["hw"], generator=generator),)

    return Extra(f"ghost.{part}", build, inputs)


PARTS = {part: _module_part(part) for part in GHOST_PARTS}


def part_side(point: GhostPoint, part: str) -> Side:
    return Side.of_extra(PARTS[part], side_config(point.ghost))


def _point_verdicts(checks: Sequence[CheckResult]) -> dict[str, str]:
    by_point: dict[str, list[str]] = {}
    for check in checks:
        if check.votes:
            by_point.setdefault(check.comparison, []).append(check.outcome)
    return {point: combine(outcomes) for point, outcomes in by_point.items()}


def _sweep_rows(results: Results, device: str, checks: Sequence[CheckResult]) -> tuple[dict[str, Any], ...]:
    verdicts = _point_verdicts(checks)
    rows = []
    for point in GHOST_SWEEP:
        speedup = ghost_speedup(point.c, point.k, point.s, point.d)
        rows.append({
            **point.coordinates(),
            "Eq. 4 r_s": speedup,
            "1/r_s": 1 / speedup,
            "1/s": 1 / point.s,
            "MACs ratio": ratio(results.number(point.ghost, "macs", device), results.number(point.conv, "macs", device)),
            "params ratio": ratio(results.number(point.ghost, "params", device), results.number(point.conv, "params", device)),
            **_latency_columns(results, point, device),
            "verdict": verdicts.get(point.label(), "unmeasured"),
        })
    return tuple(rows)


def _latency_columns(results: Results, point: GhostPoint, device: str) -> dict[str, Any]:
    """The Ghost / conv latency ratio of a point (paired when they were timed as a pair), its interval and noise mark."""
    compared, _ = latency_ratio(results, point.ghost, point.conv, device)
    estimate = compared.estimate if compared is not None else None
    return {
        f"latency ratio ({device})": compared.ratio if compared is not None else math.nan,
        "latency interval": format_interval(estimate.low, estimate.high) if estimate is not None else "",
        "paired": estimate.paired if estimate is not None else None,
        "noise": noise_mark(compared.noisy, compared.slowdown) if compared is not None else "",
    }


def _part_rows(results: Results, device: str) -> tuple[dict[str, Any], ...]:
    """Per point, each part alone and the whole module and its conv: FLOPs, latency, GFLOP/s, intensity.

    Intensity is FLOPs per compulsory byte: the input read once, the output written once, the
    weights read once (fp32); eager PyTorch moves more, so a kernel's real intensity is lower.
    """
    rows = []
    for point in GHOST_SWEEP:
        for part in GHOST_PARTS:
            side = part_side(point, part)
            flops = results.number(side, "flops", device)
            moved = FP32_BYTES * point.part_elements(part) + results.number(side, "param_bytes", device)
            rows.append({
                "point": point.label(),
                "part": part,
                "flops": flops,
                "latency_ms": results.number(side, "latency_ms", device),
                "gflops_achieved": results.number(side, "gflops_achieved", device),
                "bytes_moved": moved,
                "intensity": flops / moved if moved else math.nan,
                "noise": latency_noise(results, side, device),
            })
        for name, side in (("ghost module", point.ghost), ("conv baseline", point.conv)):
            rows.append({
                "point": point.label(),
                "part": name,
                "flops": results.number(side, "flops", device),
                "latency_ms": results.number(side, "latency_ms", device),
                "gflops_achieved": results.number(side, "gflops_achieved", device),
                "bytes_moved": math.nan,
                "intensity": math.nan,
                "noise": latency_noise(results, side, device),
            })
    return tuple(rows)


def _parts_note(rows: Sequence[Mapping[str, Any]]) -> str:
    """The medians of both parts over the sweep, in words, or that they were not timed."""
    medians = {}
    for part in GHOST_PARTS:
        mine = [r for r in rows if r["part"] == part and not math.isnan(r["gflops_achieved"]) and not math.isnan(r["intensity"])]
        if not mine:
            return "The parts were not timed in this run."
        medians[part] = (statistics.median(r["gflops_achieved"] for r in mine), statistics.median(r["intensity"] for r in mine))
    return "; ".join(f"{part}: median {gflops:.4g} GFLOP/s at {intensity:.4g} FLOPs/byte" for part, (gflops, intensity) in medians.items())


def sweep_exhibits(results: Results, device: str, checks: Sequence[CheckResult]) -> tuple[Exhibit, ...]:
    parts = _part_rows(results, device)
    return (
        Exhibit("sweep", "The sweep, Ghost / conv at each point: measured ratios beside Eq. 4's and 1/s", _sweep_rows(results, device, checks), "ratios"),
        Exhibit(
            "parts",
            "Where the time goes: each module's primary convolution and cheap depthwise operation alone "
            "(a depthwise d×d convolution does d² multiply-adds per output element it writes, so memory bandwidth bounds it)",
            parts,
            "roofline",
            note=_parts_note(parts),
        ),
    )


_BASELINE = (
    "The baseline is the catalog's `conv2d` (k×k conv + BN + ReLU) with the same c, n, k and resolution; "
    "the Ghost module's primary convolution has the same k, as in the paper."
)
_SEED_IS_PAPER = "The seed's m is the paper's s, the module's `ratio`."

GHOST = Claim(
    id="ghost-vs-conv",
    number="1",
    statement="A Ghost module cuts a convolution's computation to about 1/s, and its parameters likewise.",
    seed=SEED_004,
    quotes=(
        Quote(
            "通过这种方式,Ghost 模块在保持与传统卷积相似表达能力的同时,将计算量减少到原来的 1/m。",
            "In this way the Ghost module keeps an expressive power similar to a conventional convolution "
            "while reducing the computation to 1/m of the original.",
        ),
        Quote(
            "初始特征提取:使用少量卷积核(约为传统卷积核数量的 1/m)生成初始特征图,这些特征图包含主要信息。",
            "Initial feature extraction: a few kernels (about 1/m as many as a conventional convolution's) "
            "generate the initial feature maps, which carry the main information.",
        ),
        Quote(
            "轻量级设计:引入的参数数量极少,适合资源受限的设备。",
            "Lightweight design: it introduces very few parameters, which suits resource-constrained devices.",
        ),
    ),
    paper=GHOST_PAPER,
    table="Eq. 4 (speed-up r_s) and Eq. 5 (compression r_c)",
    comparisons=tuple(
        _sweep_comparison(
            point,
            vote("macs", about(ONE_OVER_S), "the cheap depthwise operation's MACs are not small beside the primary's, "
                 "which Eq. 4 says happens when (s−1)·d² is not small against c·k²"),
            vote("params", about(ONE_OVER_S), "the cheap operation's weights and the batch norms are not small beside "
                 "the primary's weights"),
            context("macs", "the module implements Eq. 4's two convolutions, so its count matches Eq. 4 by construction",
                    expect=about(EQ4), name="MACs ratio vs Eq. 4"),
            _LATENCY,
            _FLOPS,
            _GFLOPS,
            _PEAK,
        )
        for point in GHOST_SWEEP
    ),
    decides=(
        _SEED_IS_PAPER,
        "Eq. 4 and Eq. 5 both give r = c·k²·s / (c·k² + (s−1)·d²). It is ≈ s only when d = k (then "
        "r = s·c/(s+c−1)) or when c·k² ≫ (s−1)·d². GhostNet itself, and the seed's own example, use k = 1 and "
        "d = 3, where r = 2c/(c+9) at s = 2: well below 2 for narrow inputs.",
        _BASELINE,
        "MACs count the two convolutions; batch norm and ReLU are element-wise work, in the FLOPs column.",
        "When s does not divide n the module computes s·ceil(n/s) maps and keeps n, a little more than Eq. 4's n/s.",
    ),
    targets=tuple(part_side(point, part) for point in GHOST_SWEEP for part in GHOST_PARTS),
    exhibits=sweep_exhibits,
)

GHOST_MARKEDLY = Claim(
    id="ghost-markedly-lower",
    number="1b",
    statement="The Ghost module's computational complexity is markedly lower than a conventional convolution's.",
    seed=SEED_004,
    quotes=(
        Quote(
            "计算高效:Ghost 模块的计算复杂度显著低于传统卷积",
            "Computationally efficient: the Ghost module's computational complexity is markedly lower than a "
            "conventional convolution's",
        ),
    ),
    paper=GHOST_PAPER,
    table="Eq. 4",
    comparisons=tuple(
        _sweep_comparison(
            point,
            vote("macs", MARKEDLY.expect(), "the Ghost module needs more than the marked share of the conv's MACs; at "
                 "s = 2 its primary convolution alone takes half of them"),
            _LATENCY,
        )
        for point in GHOST_SWEEP
    ),
    decides=(_SEED_IS_PAPER, _BASELINE, "The same sweep as claim 1; the seed gives no size, so every point votes."),
)

_TOP1: dict[Any, float] = {"ghostnet": 73.9, 1.0: 75.2, 0.75: 73.3}
"""Published ImageNet top-1 (%): GhostNet 1.0× (GhostNet Table 7), MobileNetV3-Large by width (MobileNetV3 Table 3)."""


def _figure(entry: str, metric: str, **config: Any) -> PublishedFigure:
    (figure,) = [f for f in published_for(entry) if f.metric == metric and f.config == config]
    return figure


def _saving(width: float) -> str:
    ghostnet, mobilenet = _figure("ghostnet", "macs", width_mult=1.0), _figure("mobilenetv3_large", "macs", width_mult=width)
    return f"{(1 - ghostnet.value / mobilenet.value) * 100:.0f} %"


def _published(entry: str, title: str, **config: Any) -> tuple[Published, ...]:
    figures = [_figure(entry, metric, **config) for metric in ("params", "macs")]
    return tuple(Published(f"{title} {'parameters' if f.metric == 'params' else 'multiply-adds'}", f.value / 1e6, "M", f"{f.paper}, {f.table}") for f in figures)


_GHOSTNET_PUBLISHED = (
    *_published("ghostnet", "GhostNet 1.0×", width_mult=1.0),
    Published("GhostNet 1.0× top-1", _TOP1["ghostnet"], "%", "GhostNet paper, Table 7"),
    *_published("mobilenetv3_large", "MobileNetV3-Large 1.0×", width_mult=1.0),
    Published("MobileNetV3-Large 1.0× top-1", _TOP1[1.0], "%", "MobileNetV3 paper, Table 3"),
    *_published("mobilenetv3_large", "MobileNetV3-Large 0.75×", width_mult=0.75),
    Published("MobileNetV3-Large 0.75× top-1", _TOP1[0.75], "%", "MobileNetV3 paper, Table 3"),
)

_MACS_30 = vote("macs", about(0.70), "GhostNet's multiply-adds are not about 30 % below this MobileNetV3's")
_GHOSTNET_CONTEXT = (_LATENCY, context("params", "the seed claims FLOPs only"), _FLOPS, _PEAK)

GHOSTNET = Claim(
    id="ghostnet-vs-mobilenetv3",
    number="2",
    statement="GhostNet has about 30 % fewer FLOPs than MobileNetV3.",
    seed=SEED_004,
    quotes=(
        Quote(
            "计算高效:Ghost 模块的计算复杂度显著低于传统卷积,例如在 ImageNet 分类任务中,GhostNet 的 FLOPs 比 "
            "MobileNetV3 减少了约 30%,但准确率相当。",
            "Computationally efficient: the Ghost module's complexity is markedly lower than a conventional "
            "convolution's; for example, on ImageNet classification GhostNet has about 30 % fewer FLOPs than "
            "MobileNetV3, at comparable accuracy.",
        ),
    ),
    paper=f"{GHOST_PAPER}; Howard et al., Searching for MobileNetV3, ICCV 2019",
    table="GhostNet Table 7; MobileNetV3 Table 3",
    comparisons=(
        Comparison("GhostNet 1.0× vs MobileNetV3-Large 1.0×", Side.of("ghostnet"), Side.of("mobilenetv3_large", width_mult=1.0), (_MACS_30, *_GHOSTNET_CONTEXT)),
        Comparison("GhostNet 1.0× vs MobileNetV3-Large 0.75×", Side.of("ghostnet"), Side.of("mobilenetv3_large", width_mult=0.75), (_MACS_30, *_GHOSTNET_CONTEXT)),
    ),
    decides=(
        "\"FLOPs\" in both papers are multiply-adds: the check compares `macs`.",
        f"The seed does not say which MobileNetV3. By the papers' own figures (below), against 1.0× GhostNet saves "
        f"{_saving(1.0)} of the multiply-adds but is {_TOP1[1.0] - _TOP1['ghostnet']:.1f} points less accurate; against "
        f"0.75×, the width whose published accuracy is comparable, it saves {_saving(0.75)}. Both widths are checked "
        "(`mobilenetv3_large` takes `width_mult`; its 0.75× keeps the 1280-wide head, as the paper's model does).",
    ),
    out_of_scope=(
        "但准确率相当 (at comparable accuracy): accuracy is out of scope. The published top-1 figures are listed only "
        "because they decide which width the seed's comparison can mean.",
    ),
    published=_GHOSTNET_PUBLISHED,
)

register(GHOST, GHOST_MARKEDLY, GHOSTNET)

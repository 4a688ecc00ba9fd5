"""Figures the papers print for catalog entries at the papers' sizes, as data.

Each record names the entry, the config it is built with, the metric (``params`` or ``macs``),
the printed value, the paper and table, and ``read_from``: where this workspace read the figure
(the papers' own PDFs are not readable here). A figure that could only be recalled, not read, says
so, and is meant to be shown as unconfirmed, never as a reproduced row. The claims that compare
these figures with modbench's counts live with the claims; this module holds the numbers only.

Papers print FLOPs meaning multiply-adds (GhostNet, MobileNetV3, gMLP, S2-MLPv2 all do): the
``macs`` records hold those figures, compared with modbench's ``macs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

GHOSTNET = "Han et al., GhostNet: More Features from Cheap Operations, CVPR 2020"
MOBILENETV3 = "Howard et al., Searching for MobileNetV3, ICCV 2019"
GMLP = "Liu, Dai, So and Le, Pay Attention to MLPs, NeurIPS 2021"
S2MLPV2 = "Yu, Li, Cai, Sun and Li, S2-MLPv2: Improved Spatial-Shift MLP Architecture for Vision, 2021"

# Where a figure was read (see docs/sources.md for the addresses).
_PWC_GHOSTNET = "the paper's results as listed by Papers with Code (GhostNet page)"
_GHOSTNET_CIFAR_REPRO = "the 'in paper' columns of tingsongyu/ghostnet_cifar10's README (a reproduction)"
_RECALLED = "recalled from the paper; not confirmed against readable text here"
_ISSUE_12 = "issue 12's read-through of the paper (the same figures GhostNet's Table 7 quotes)"
_BRIEF = "figures given in issue 12's brief; gMLP-B's also in Papers with Code (73M, 31.6 GFLOPs = 2 x 15.8B)"

PARAMS_TOLERANCE = 0.02
MACS_TOLERANCE = 0.05


@dataclass(frozen=True)
class PublishedFigure:
    """One printed figure: ``value`` of ``metric`` for ``entry`` built with ``config``."""

    entry: str
    metric: str
    value: float
    paper: str
    table: str
    read_from: str
    config: dict[str, Any] = field(default_factory=dict)
    note: str = ""

    @property
    def confirmed(self) -> bool:
        """True when the figure was read from a text that quotes the paper, not recalled."""
        return self.read_from != _RECALLED

    @property
    def tolerance(self) -> float:
        """Relative tolerance for "reproduced": 2 % on parameters, 5 % on MACs (the papers round)."""
        return PARAMS_TOLERANCE if self.metric == "params" else MACS_TOLERANCE


def _pair(
    entry: str, params: float, macs: float | None, paper: str, table: str, read_from: str, **config: Any
) -> tuple[PublishedFigure, ...]:
    figures = [PublishedFigure(entry, "params", params, paper, table, read_from, dict(config))]
    if macs is not None:
        figures.append(PublishedFigure(entry, "macs", macs, paper, table, read_from, dict(config)))
    return tuple(figures)


PUBLISHED: tuple[PublishedFigure, ...] = (
    # GhostNet Table 2 (VGG-16 on CIFAR-10, Ghost s = 2 with d = 1..7) and Table 3 (d = 3, s = 2..5).
    *_pair("vgg16_cifar", 15.0e6, 313e6, GHOSTNET, "Tables 2/3 (VGG-16)", _GHOSTNET_CIFAR_REPRO),
    PublishedFigure(
        "ghost_vgg16_cifar", "params", 7.7e6, GHOSTNET, "Tables 2/3 (s=2, d=3)", _GHOSTNET_CIFAR_REPRO,
        {"ratio": 2, "dw_size": 3},
    ),
    PublishedFigure(
        "ghost_vgg16_cifar", "macs", 158e6, GHOSTNET, "Tables 2/3 (s=2, d=3)", _RECALLED, {"ratio": 2, "dw_size": 3}
    ),
    *_pair("ghost_vgg16_cifar", 7.6e6, 157e6, GHOSTNET, "Table 2 (d=1)", _RECALLED, ratio=2, dw_size=1),
    *_pair("ghost_vgg16_cifar", 7.7e6, 160e6, GHOSTNET, "Table 2 (d=5)", _RECALLED, ratio=2, dw_size=5),
    *_pair("ghost_vgg16_cifar", 7.7e6, 163e6, GHOSTNET, "Table 2 (d=7)", _RECALLED, ratio=2, dw_size=7),
    *_pair("ghost_vgg16_cifar", 5.2e6, 107e6, GHOSTNET, "Table 3 (s=3)", _RECALLED, ratio=3, dw_size=3),
    *_pair("ghost_vgg16_cifar", 4.0e6, 80e6, GHOSTNET, "Table 3 (s=4)", _RECALLED, ratio=4, dw_size=3),
    *_pair("ghost_vgg16_cifar", 3.3e6, 65e6, GHOSTNET, "Table 3 (s=5)", _RECALLED, ratio=5, dw_size=3),
    # GhostNet Table 4 (ResNet-56 on CIFAR-10).
    *_pair("resnet56_cifar", 0.85e6, 125e6, GHOSTNET, "Table 4 (ResNet-56)", _GHOSTNET_CIFAR_REPRO),
    *_pair(
        "ghost_resnet56_cifar", 0.43e6, 63e6, GHOSTNET, "Table 4 (Ghost-ResNet-56)", _GHOSTNET_CIFAR_REPRO,
        ratio=2, dw_size=3,
    ),
    # GhostNet Table 5 (ResNet-50 on ImageNet).
    PublishedFigure(
        "ghost_resnet50", "params", 13.0e6, GHOSTNET, "Table 5 (s=2)", _PWC_GHOSTNET, {"ratio": 2},
        note="equals ResNet-50's 25.6M / s; Ghost modules shrink only the conv weights, not the 2.05M FC",
    ),
    PublishedFigure("ghost_resnet50", "macs", 2.2e9, GHOSTNET, "Table 5 (s=2)", _RECALLED, {"ratio": 2}),
    PublishedFigure(
        "ghost_resnet50", "params", 6.5e6, GHOSTNET, "Table 5 (s=4)", _PWC_GHOSTNET, {"ratio": 4},
        note="equals ResNet-50's 25.6M / s; Ghost modules shrink only the conv weights, not the 2.05M FC",
    ),
    PublishedFigure("ghost_resnet50", "macs", 1.2e9, GHOSTNET, "Table 5 (s=4)", _PWC_GHOSTNET, {"ratio": 4}),
    # GhostNet Table 7 (ImageNet, mobile sizes).
    *_pair("ghostnet", 2.6e6, 42e6, GHOSTNET, "Table 7 (GhostNet 0.5x)", _PWC_GHOSTNET, width_mult=0.5),
    *_pair("ghostnet", 5.2e6, 141e6, GHOSTNET, "Table 7 (GhostNet 1.0x)", _PWC_GHOSTNET, width_mult=1.0),
    *_pair("ghostnet", 7.3e6, 226e6, GHOSTNET, "Table 7 (GhostNet 1.3x)", _PWC_GHOSTNET, width_mult=1.3),
    *_pair(
        "mobilenetv3_large", 5.4e6, 219e6, MOBILENETV3, "Table 3 (Large 1.0); GhostNet Table 7", _ISSUE_12,
        width_mult=1.0,
    ),
    *_pair(
        "mobilenetv3_large", 4.0e6, 155e6, MOBILENETV3, "Table 3 (Large 0.75); GhostNet Table 7", _ISSUE_12,
        width_mult=0.75,
    ),
    *_pair("mobilenetv3_small", 2.5e6, 56e6, MOBILENETV3, "Table 3 (Small 1.0)", _RECALLED),
    # gMLP, ImageNet-1K table (patch 16, 224x224, 196 tokens).
    PublishedFigure(
        "gmlp_ti", "params", 6e6, GMLP, "ImageNet table (gMLP-Ti)", _BRIEF,
        note="printed in whole millions: the closed form of the stated sizes, 5.87M, rounds to 6M but is 2.2 % below",
    ),
    PublishedFigure(
        "gmlp_ti", "macs", 1.4e9, GMLP, "ImageNet table (gMLP-Ti)", _BRIEF,
        note="the closed form of the stated sizes gives 1.329B (5.1 % below); the paper does not say what else "
        "it counts",
    ),
    PublishedFigure(
        "gmlp_s", "params", 20e6, GMLP, "ImageNet table (gMLP-S)", _BRIEF,
        note="the closed form of the stated sizes gives 19.42M (2.9 % below, and it rounds to 19M)",
    ),
    PublishedFigure("gmlp_s", "macs", 4.5e9, GMLP, "ImageNet table (gMLP-S)", _BRIEF),
    *_pair("gmlp_b", 73e6, 15.8e9, GMLP, "ImageNet table (gMLP-B)", _BRIEF),
    # S2-MLPv2: the abstract gives Medium's parameters; its table could not be read here.
    PublishedFigure(
        "s2mlpv2_medium", "params", 55e6, S2MLPV2, "abstract", "the paper's abstract (arXiv 2108.01072)",
        note="reached with split_hidden_ratio=0.25 (C/4 split-attention hidden width); Algorithm 1's C gives 70.0M",
    ),
    PublishedFigure(
        "s2mlpv2_medium", "params", 55e6, S2MLPV2, "abstract", "the paper's abstract (arXiv 2108.01072)",
        {"split_hidden_ratio": 0.25}, note="the same figure against the C/4 split-attention variant",
    ),
)


def published_for(entry: str) -> tuple[PublishedFigure, ...]:
    """The published figures recorded for ``entry`` (empty if none)."""
    return tuple(figure for figure in PUBLISHED if figure.entry == entry)

"""The papers' own tables as claims: each printed row, a catalog entry at the paper's size, reproduced or not.

Built from the figures the catalog records (:data:`modbench.catalog.published.PUBLISHED`), never
from numbers copied here. A row is **reproduced** when modbench's parameters and MACs are within
the figure's tolerance of the printed ones (2 % and 5 %: papers round), and **differs** otherwise,
with the reason the figure's note records. A figure that was recalled rather than read is shown,
with whether it agrees, but does not vote: its row stays **unconfirmed** until it is checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from modbench.catalog.published import PUBLISHED, PublishedFigure
from modbench.claims.expect import percent, within
from modbench.claims.lookup import Results, ratio
from modbench.claims.registry import register
from modbench.claims.schema import Check, Claim, Comparison, Exhibit, Side, context, freeze, vote
from modbench.claims.verdict import CheckResult

ROW_VERDICTS = ("reproduced", "differs", "unconfirmed", "unmeasured")
"""A row's word: every voting figure agrees / one does not / no figure votes (all recalled) / not counted."""

TABLES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("paper-ghostnet-vgg16-cifar", "P1", "GhostNet Tables 2 and 3: VGG-16 and Ghost-VGG-16 on CIFAR-10", ("vgg16_cifar", "ghost_vgg16_cifar")),
    ("paper-ghostnet-resnet56-cifar", "P2", "GhostNet Table 4: ResNet-56 and Ghost-ResNet-56 on CIFAR-10", ("resnet56_cifar", "ghost_resnet56_cifar")),
    ("paper-ghostnet-resnet50", "P3", "GhostNet Table 5: Ghost-ResNet-50 on ImageNet", ("ghost_resnet50",)),
    ("paper-ghostnet-mobile", "P4", "GhostNet Table 7 and MobileNetV3 Table 3: ImageNet mobile models", ("ghostnet", "mobilenetv3_large", "mobilenetv3_small")),
    ("paper-gmlp-imagenet", "P5", "gMLP's ImageNet table: gMLP-Ti, -S and -B at 224×224", ("gmlp_ti", "gmlp_s", "gmlp_b")),
    ("paper-s2mlpv2", "P6", "S2-MLPv2-Medium's parameters as its abstract gives them", ("s2mlpv2_medium",)),
)
"""(claim id, number, the table, its entries): one claim per printed table."""

UNCONFIRMED = "the figure was recalled, not read from the paper: shown, not voting, until checked"


def _describe(config: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(config.items())) or "default"


def _check(figure: PublishedFigure) -> Check:
    expect = within(figure.value, figure.tolerance)
    if not figure.confirmed:
        return context(figure.metric, UNCONFIRMED, expect=expect, on="candidate")
    return vote(figure.metric, expect, f"modbench's count is more than {percent(figure.tolerance)} from the printed figure", on="candidate")


def _rows(entries: Sequence[str]) -> tuple[Comparison, ...]:
    """One comparison per printed row: an entry at one config, with a check per printed figure."""
    rows: dict[tuple[str, Any], list[PublishedFigure]] = {}
    for figure in PUBLISHED:
        if figure.entry in entries:
            rows.setdefault((figure.entry, freeze(figure.config)), []).append(figure)
    comparisons = []
    for (entry, config), figures in sorted(rows.items(), key=lambda item: (entries.index(item[0][0]), str(item[0][1]))):
        tables = " / ".join(dict.fromkeys(f.table for f in figures))
        notes = "; ".join(dict.fromkeys(f"{f.metric}: {f.note}" for f in figures if f.note))
        comparisons.append(Comparison(
            f"{entry} ({_describe(dict(config))}), {tables}",  # the exhibit reads the table back after "), "
            Side.of(entry, **dict(config)),
            None,
            tuple(_check(f) for f in figures),
            point=config,
            note=notes,
        ))
    return tuple(comparisons)


def row_verdict(checks: Sequence[CheckResult]) -> str:
    """reproduced / differs / unconfirmed / unmeasured from one row's checks."""
    voting = [c.outcome for c in checks if c.votes]
    if "refuted" in voting:
        return "differs"
    if "unmeasured" in voting or all(c.measured is None for c in checks):
        return "unmeasured"
    return "reproduced" if voting else "unconfirmed"


def _figure_cells(checks: Sequence[CheckResult], metric: str) -> dict[str, Any]:
    name = "params" if metric == "params" else "MACs"
    found = [c for c in checks if c.metric == metric]
    if not found:
        return {f"published {name}": None, f"measured {name}": None, f"Δ {name}": ""}
    check = found[0]
    off = "" if check.measured is None or check.expected is None else f"{(ratio(check.measured, check.expected) - 1) * 100:+.1f} %"
    mark = "" if check.votes else " (recalled)"
    return {f"published {name}": check.expected, f"measured {name}": check.measured, f"Δ {name}": off + mark}


def table_exhibits(comparisons: Sequence[Comparison]) -> Any:
    """The exhibit maker of one paper table: its rows laid out as the paper prints them, measured beside."""

    def exhibits(_results: Results, _device: str, checks: Sequence[CheckResult]) -> tuple[Exhibit, ...]:
        rows = []
        for comparison in comparisons:
            mine = [c for c in checks if c.comparison == comparison.label]
            verdict = row_verdict(mine)
            rows.append({
                "entry": comparison.candidate.entry,
                "config": _describe(dict(comparison.point)),
                "table": comparison.label.split("), ", 1)[-1],
                **_figure_cells(mine, "params"),
                **_figure_cells(mine, "macs"),
                "verdict": verdict,
                "why": comparison.note if verdict == "differs" else "",
            })
        return (Exhibit("paper-table", "The paper's rows, printed figure and modbench's count side by side", tuple(rows)),)

    return exhibits


def _claim(claim_id: str, number: str, table: str, entries: tuple[str, ...]) -> Claim:
    comparisons = _rows(entries)
    figures = [f for f in PUBLISHED if f.entry in entries]
    papers = " / ".join(dict.fromkeys(f.paper for f in figures))
    printed = " and ".join(dict.fromkeys("parameters" if f.metric == "params" else "MACs" for f in figures))
    return Claim(
        id=claim_id,
        number=number,
        statement=f"{table}: the printed {printed} are reproduced.",
        seed=None,
        quotes=(),
        paper=papers,
        table=table,
        comparisons=comparisons,
        decides=(
            "Papers print multiply-adds as \"FLOPs\": they are compared with modbench's `macs`.",
            "Each row is the catalog entry at the paper's size; the figures and where each was read are "
            "`modbench.catalog.published`, and docs/papers.md explains every difference.",
        ),
        exhibits=table_exhibits(comparisons),
    )


PAPER_TABLES = tuple(_claim(*table) for table in TABLES)

register(*PAPER_TABLES)

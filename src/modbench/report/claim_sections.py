"""One report section per claim, built from its verdicts alone: the same blocks for every claim.

A section shows both verdicts on each device, the quoted sources, the rule (generated from the
checks), what decides the verdict, the claim's own exhibits (tables, and the plot their kind
names) and every check with how it could fail or why it does not vote.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd

from modbench.claims.rules import rule_lines
from modbench.claims.schema import Exhibit
from modbench.claims.sources import SOURCES_DOC
from modbench.claims.verdict import ClaimVerdict
from modbench.metrics.sentinel import noise_mark
from modbench.report import plots
from modbench.report.document import Block, Bullets, Heading, Plot, Quote, Table, Text
from modbench.text import format_interval

PLOTS: dict[str, Callable[[pd.DataFrame, str], bytes | None]] = {
    "ratios": lambda frame, device: plots.ghost_sweep(frame, [device]),
    "roofline": plots.ghost_parts,
    "growth": lambda frame, device: plots.growth(frame, str(frame.columns[0]), device) if not frame.empty else None,
}
"""Exhibit plot kind → the figure drawn from its rows."""


def verdict_words(verdict: ClaimVerdict) -> str:
    """``cost **holds**, latency on cpu **undecided**`` (or that the claim is out of scope), and when the latency was noisy."""
    if verdict.cost == "out of scope":
        return "**out of scope**"
    return f"cost **{verdict.cost}**, {_hardware_words(verdict)}"


def _hardware_words(verdict: ClaimVerdict) -> str:
    load = " (latency measured under load)" if verdict.under_load else ""
    return f"{verdict.hardware_label} **{verdict.hardware}**{load}"


def check_table(verdict: ClaimVerdict) -> pd.DataFrame:
    """Every check of a verdict: its numbers, its outcome, and how it could fail or why it does not vote."""
    rows = [
        {
            "comparison": c.comparison,
            "check": c.label,
            "verdict": c.aspect if c.votes else "context",
            "candidate": c.candidate,
            "baseline": c.baseline,
            "measured": c.measured,
            "interval": format_interval(c.low, c.high),
            "expected": c.expected_text,
            "outcome": c.outcome if c.votes else ("" if c.agrees is None else ("agrees" if c.agrees else "disagrees")),
            "refuted if / why it does not vote": c.why,
            "noise": noise_mark(c.noisy),
            "note": c.note or "",
        }
        for c in verdict.checks
    ]
    return pd.DataFrame(rows)


def published_table(verdict: ClaimVerdict) -> pd.DataFrame:
    return pd.DataFrame([{"figure": p.what, "value": f"{p.value:g} {p.unit}", "source": p.source} for p in verdict.claim.published])


def exhibit_blocks(exhibit: Exhibit, device: str, name: str) -> list[Block]:
    frame = pd.DataFrame(list(exhibit.rows))
    blocks: list[Block] = [Table(frame, f"{exhibit.title} ({device})")]
    if exhibit.note:
        blocks.append(Text(exhibit.note))
    if exhibit.plot is not None:
        blocks.append(Plot(f"{name}_{exhibit.key}_{device}", PLOTS[exhibit.plot](frame, device), f"{exhibit.title} ({device})"))
    return blocks


def claim_section(claim_verdicts: Sequence[ClaimVerdict]) -> list[Block]:
    """The section of one claim from its verdicts on every device (the first device's claim is the claim)."""
    first = claim_verdicts[0]
    claim = first.claim
    level = 2 if claim.seed is not None else 3  # a paper's table sits under "Papers' tables reproduced"
    blocks: list[Block] = [
        Heading(f"{claim.number}. {claim.statement}", level, claim.id),
        Bullets(tuple(f"{verdict_words(v).capitalize()}. {v.summary}." for v in claim_verdicts)),
        *[Quote(q.original, q.english, f"{claim.seed.cite()} (see {SOURCES_DOC})") for q in claim.quotes if claim.seed is not None],
    ]
    source = [f"Paper: {claim.paper}" if claim.paper else "No paper states a number for this claim", f"table: {claim.table}" if claim.table else ""]
    blocks.append(Text("; ".join(part for part in source if part) + "."))
    if claim.published:
        blocks.append(Table(published_table(first), "Published figures (the papers' numbers, not measurements)"))
    blocks += [Text("**Rule** (generated from the checks)."), Bullets(rule_lines(claim))]
    if claim.decides:
        blocks += [Text("**What decides the verdict.**"), Bullets(claim.decides)]
    if claim.out_of_scope:
        blocks += [Text("**Out of scope (accuracy, not cost).**"), Bullets(claim.out_of_scope)]
    for verdict in claim_verdicts:
        for exhibit in verdict.exhibits:
            blocks += exhibit_blocks(exhibit, verdict.device, claim.id.replace("-", "_"))
    for verdict in claim_verdicts:
        blocks.append(Table(check_table(verdict), f"Checks on {verdict.device}"))
    return blocks


def sweep_tails(verdicts: Sequence[ClaimVerdict]) -> frozenset[str]:
    """Comparisons past the first point of a sweep: a summary plot shows a sweep by its first point."""
    skipped: set[str] = set()
    for verdict in verdicts:
        points = [c for c in verdict.claim.comparisons if c.point]
        skipped |= {c.label for c in points[1:]}
    return frozenset(skipped)


def toc_lines(verdicts: dict[str, Sequence[ClaimVerdict]]) -> tuple[str, ...]:
    """One line per claim: a link to its section and both verdicts on every device."""
    by_claim: dict[str, list[ClaimVerdict]] = {}
    for device_verdicts in verdicts.values():
        for verdict in device_verdicts:
            by_claim.setdefault(verdict.claim.id, []).append(verdict)
    lines = []
    for claim_id, claim_verdicts in by_claim.items():
        claim = claim_verdicts[0].claim
        words: list[Any] = [verdict_words(claim_verdicts[0])] + [_hardware_words(v) for v in claim_verdicts[1:] if v.cost != "out of scope"]
        lines.append(f"[{claim.number}. {claim.statement}](#{claim_id}): {', '.join(words)}")
    return tuple(lines)

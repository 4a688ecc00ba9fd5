"""Verdicts from a results table: pure functions from rows to measured ratios and outcomes.

Nothing here measures. A claim is judged on whatever the table holds: a number that is missing
(never measured, failed, or measured only on another device) makes its check ``unmeasured``
rather than guessed. Counts (params, MACs, FLOPs) do not depend on the device, so a count from
any device serves; latency and memory must come from the device being judged.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from modbench.catalog import get_entry
from modbench.claims.schema import DEVICE_METRICS, SPREAD_COLUMNS, Check, Claim, Comparison, Expect, Growth, ProbeCheck, Side
from modbench.output import format_number
from modbench.records import canonical_config


MIN_RUNS = 3
"""Fewest timed calls a latency must rest on to decide a check: fewer give no spread to judge by."""


@dataclass(frozen=True)
class CheckResult:
    """One check of one claim, with the numbers it was decided on.

    ``kind`` is ``ratio`` (candidate / baseline), ``candidate`` (the candidate's own value),
    ``growth`` (a log-log slope) or ``probe``. ``low`` and ``high`` bound ``measured`` when the
    inputs scatter (latency: from the quartiles). ``note`` says why a check is unmeasured.
    """

    claim: str
    comparison: str
    label: str
    metric: str
    kind: str
    candidate: float | None
    baseline: float | None
    measured: float | None
    expected: float | None
    expected_text: str
    outcome: str
    votes: bool
    note: str | None = None
    low: float | None = None
    high: float | None = None
    expect_kind: str | None = None


@dataclass(frozen=True)
class ClaimVerdict:
    """A claim's verdict on one device, the one-line summary of why, and every check behind it."""

    claim: Claim
    device: str
    verdict: str
    summary: str
    checks: tuple[CheckResult, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the claim's source and rule, the verdict, and each check's numbers."""
        claim = self.claim
        return {
            "id": claim.id,
            "number": claim.number,
            "statement": claim.statement,
            "verdict": self.verdict,
            "device": self.device,
            "summary": self.summary,
            "seed": claim.seed,
            "quotes": [asdict(quote) for quote in claim.quotes],
            "paper": claim.paper,
            "table": claim.table,
            "rule": claim.rule,
            "decides": list(claim.decides),
            "out_of_scope": list(claim.out_of_scope),
            "published": [asdict(figure) for figure in claim.published],
            "checks": [_json_ready(asdict(check)) for check in self.checks],
        }


def _json_ready(row: dict[str, Any]) -> dict[str, Any]:
    """NaN and infinities become None, which JSON can hold."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


@functools.cache
def side_key(side: Side) -> str:
    """The canonical config string a side's rows are stored under (its overrides applied to the defaults)."""
    return canonical_config(get_entry(side.entry).config(side.overrides))


@functools.cache
def side_config(side: Side) -> dict[str, Any]:
    """A side's full config: the entry's defaults with the side's overrides."""
    return get_entry(side.entry).config(side.overrides)


@dataclass(frozen=True)
class Measured:
    """A measured value with the spread of its samples (``spread`` = IQR; 0 for counts).

    ``runs`` is how many timed calls a scattering value rests on (``None`` for counts).
    """

    value: float
    spread: float = 0.0
    runs: int | None = None

    @property
    def low(self) -> float:
        return self.value - self.spread / 2

    @property
    def high(self) -> float:
        return self.value + self.spread / 2


class Results:
    """A results table indexed for lookups by side, metric and device.

    Only rows with status ``ok`` at fp32 count. When a side was measured more than once, the
    latest row (by timestamp, then by position) wins.
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        keep = pd.Series(True, index=frame.index)
        for column, wanted in (("status", "ok"), ("dtype", "fp32")):
            if column in frame.columns:
                keep &= frame[column] == wanted
        rows = frame[keep].copy()
        self._index: dict[tuple[str, str, int, str], list[dict[str, Any]]] = {}
        if rows.empty:
            self._rows = pd.DataFrame(columns=["entry", "config_key", "batch", "mode", "device"])
            return
        rows["config_key"] = [c if isinstance(c, str) else canonical_config(c) for c in rows["config"]]
        if "timestamp" in rows.columns:
            rows = rows.sort_values("timestamp", kind="stable")
        self._rows = rows
        for record in rows.to_dict("records"):
            key = (record["entry"], record["config_key"], int(record["batch"]), record["mode"])
            self._index.setdefault(key, []).append(record)

    def value(self, side: Side, metric: str, device: str) -> tuple[Measured | None, str | None]:
        """(measured, None) when ``side`` has ``metric``; (None, why not) otherwise."""
        return self.lookup(side.entry, side_key(side), side.batch, side.mode, metric, device, side.describe())

    def lookup(
        self, entry: str, config_key: str, batch: int, mode: str, metric: str, device: str, name: str | None = None
    ) -> tuple[Measured | None, str | None]:
        """Like :meth:`value`, for any row key (also targets that are not catalog entries)."""
        name = name or entry
        if metric not in self._rows.columns:
            return None, f"{metric} not measured"
        measured = [r for r in self._index.get((entry, config_key, batch, mode), []) if _present(r.get(metric))]
        if metric in DEVICE_METRICS:
            here = [r for r in measured if r["device"] == device]
            if not here:
                elsewhere = sorted({r["device"] for r in measured})
                where = f" (measured on {', '.join(elsewhere)} only)" if elsewhere else ""
                return None, f"{metric} of {name} not measured on {device}{where}"
            measured = here
        elif any(r["device"] == device for r in measured):
            measured = [r for r in measured if r["device"] == device]
        if not measured:
            return None, f"{metric} of {name} not measured"
        row = measured[-1]
        spread_column = SPREAD_COLUMNS.get(metric)
        if spread_column is None:
            return Measured(float(row[metric])), None
        spread, runs = row.get(spread_column), row.get("runs")
        return Measured(float(row[metric]), float(spread) if _present(spread) else 0.0, int(runs) if _present(runs) else None), None

    @property
    def devices(self) -> list[str]:
        """Devices with at least one latency or memory number, CPU first."""
        timed = self._rows[[c for c in DEVICE_METRICS if c in self._rows.columns]].notna().any(axis=1)
        return sorted(set(self._rows.loc[timed, "device"]), key=lambda d: (d != "cpu", d)) if len(self._rows) else []

    @property
    def rows(self) -> pd.DataFrame:
        """The ok fp32 rows, with their canonical ``config_key``."""
        return self._rows


def _present(value: Any) -> bool:
    """Whether a cell holds a number (not None, not NaN)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def ratio(candidate: float, baseline: float) -> float:
    """candidate / baseline; 0/0 is 1 (equal), x/0 is infinite."""
    if baseline == 0:
        return 1.0 if candidate == 0 else math.inf
    return candidate / baseline


def growth_exponent(sizes: Sequence[float], values: Sequence[float], tail: int) -> float:
    """Least-squares slope of log(value) against log(size) over the last ``tail`` points."""
    xs = np.log(np.asarray(sizes[-tail:], dtype=float))
    ys = np.log(np.asarray(values[-tail:], dtype=float))
    return float(np.polyfit(xs, ys, 1)[0])


def _outcome(expect: Expect | None, measured: float, target: float | None) -> str:
    if expect is None:
        return "context"
    return "holds" if target is not None and expect.agrees(measured, target) else "refuted"


def ratio_range(candidate: Measured, baseline: Measured) -> tuple[float, float]:
    """The ratio's range when each side may lie anywhere between its quartiles."""
    if baseline.low <= 0:
        return ratio(candidate.low, baseline.high), math.inf
    return ratio(candidate.low, baseline.high), ratio(candidate.high, baseline.low)


def judge_check(claim: Claim, comparison: Comparison, check: Check, results: Results, device: str) -> CheckResult:
    """One check of one comparison on ``device``.

    A timed number scatters: when the ratio computed from the two sides' quartiles falls on both
    sides of the expectation, or a side rests on fewer than :data:`MIN_RUNS` timed calls (so its
    spread is unknown), the check is ``unmeasured`` rather than decided by the medians alone.
    """
    candidate, why = results.value(comparison.candidate, check.metric, device)
    baseline: Measured | None = None
    if why is None and check.on == "ratio" and comparison.baseline is not None:
        baseline, why = results.value(comparison.baseline, check.metric, device)
    expected = None
    if check.expect is not None:
        base_config = side_config(comparison.baseline) if comparison.baseline is not None else {}
        expected = check.expect.target(side_config(comparison.candidate), base_config)
    common = {
        "claim": claim.id,
        "comparison": comparison.label,
        "label": check.label,
        "metric": check.metric,
        "kind": check.on,
        "candidate": candidate.value if candidate is not None else None,
        "baseline": baseline.value if baseline is not None else None,
        "expected": expected,
        "expected_text": check.expect.text if check.expect is not None else "",
        "expect_kind": check.expect.kind if check.expect is not None else None,
        "votes": check.votes,
    }
    if why is not None or candidate is None:
        return CheckResult(measured=None, outcome="unmeasured", note=why, **common)
    if baseline is not None:
        measured = ratio(candidate.value, baseline.value)
        low, high = ratio_range(candidate, baseline)
    else:
        measured, low, high = candidate.value, candidate.low, candidate.high
    outcome = _outcome(check.expect, measured, expected)
    note = None
    few = min((m.runs for m in (candidate, baseline) if m is not None and m.runs is not None), default=None)
    if outcome != "context" and few is not None and few < MIN_RUNS:
        outcome = "unmeasured"
        note = f"too few timed runs to know the spread ({few} < {MIN_RUNS})"
    elif outcome != "context" and {_outcome(check.expect, low, expected), _outcome(check.expect, high, expected)} != {outcome}:
        outcome = "unmeasured"
        note = f"too noisy to decide: between the quartiles the ratio spans {format_number(low)}–{format_number(high)}"
    return CheckResult(measured=measured, low=low, high=high, outcome=outcome, note=note, **common)


def judge_growth(claim: Claim, growth: Growth, results: Results, device: str) -> CheckResult:
    """The growth exponent of one metric over a swept config value."""
    values: list[float] = []
    why = None
    for side in growth.sides():
        found, why = results.value(side, growth.metric, device)
        if found is None:
            break
        values.append(found.value)
    common = {
        "claim": claim.id,
        "comparison": f"{growth.entry} over {growth.parameter} = {', '.join(map(str, growth.values))}",
        "label": growth.label,
        "metric": growth.metric,
        "kind": "growth",
        "candidate": None,
        "baseline": None,
        "expected": growth.expect.value if growth.expect is not None else None,
        "expected_text": growth.expect.text if growth.expect is not None else "",
        "expect_kind": growth.expect.kind if growth.expect is not None else None,
        "votes": growth.expect is not None,
    }
    if why is not None:
        return CheckResult(measured=None, outcome="unmeasured", note=why, **common)
    if min(values) <= 0:
        return CheckResult(measured=None, outcome="unmeasured", note=f"{growth.metric} is not positive at every size", **common)
    exponent = growth_exponent(growth.values, values, growth.tail)
    expected = growth.expect.value if growth.expect is not None else None
    return CheckResult(measured=exponent, outcome=_outcome(growth.expect, exponent, expected), **common)


def judge_probe(claim: Claim, probe: ProbeCheck, probes: Mapping[str, float]) -> CheckResult:
    """A probe's value against its expectation; unmeasured when the probe did not run."""
    value = probes.get(probe.probe)
    common = {
        "claim": claim.id,
        "comparison": "probe",
        "label": probe.label,
        "metric": probe.probe,
        "kind": "probe",
        "candidate": value,
        "baseline": None,
        "expected": probe.expect.value,
        "expected_text": probe.expect.text,
        "expect_kind": probe.expect.kind,
        "votes": True,
    }
    if value is None:
        return CheckResult(measured=None, outcome="unmeasured", note=f"probe {probe.probe} did not run", **common)
    return CheckResult(measured=value, outcome=_outcome(probe.expect, value, probe.expect.value), **common)


def combine(outcomes: Iterable[str]) -> str:
    """holds / refuted / mixed from the measured voting checks; unmeasured when there are none."""
    voting = [outcome for outcome in outcomes if outcome in ("holds", "refuted")]
    if not voting:
        return "unmeasured"
    if all(outcome == "holds" for outcome in voting):
        return "holds"
    if all(outcome == "refuted" for outcome in voting):
        return "refuted"
    return "mixed"


def summarise(checks: Sequence[CheckResult]) -> str:
    """One clause per voting check label: measured range, expectation, and how many comparisons hold."""
    parts = []
    for label in dict.fromkeys(c.label for c in checks if c.votes):
        group = [c for c in checks if c.label == label and c.votes]
        values = [c.measured for c in group if c.measured is not None]
        decided = [c for c in group if c.outcome in ("holds", "refuted")]
        if values:
            low, high = format_number(min(values)), format_number(max(values))
            span = f" {low}" if low == high else f" {low}–{high}"
        else:
            span = ""
        verdict = combine(c.outcome for c in group)
        if len(group) > 1 and decided:
            held = sum(c.outcome == "holds" for c in decided)
            verdict += f" ({held}/{len(decided)} hold"
            undecided = len(group) - len(decided)
            verdict += f", {undecided} unmeasured)" if undecided else ")"
        parts.append(f"{label}{span} (expected {group[0].expected_text}): {verdict}")
    return "; ".join(parts)


def judge_claim(claim: Claim, results: Results, device: str, probes: Mapping[str, float] | None = None) -> ClaimVerdict:
    """Every check of ``claim`` on ``device``, combined into its verdict."""
    checks = [
        judge_check(claim, comparison, check, results, device)
        for comparison in claim.comparisons
        for check in comparison.checks
    ]
    checks += [judge_growth(claim, growth, results, device) for growth in claim.growth]
    checks += [judge_probe(claim, probe, probes or {}) for probe in claim.probes]
    return ClaimVerdict(
        claim=claim,
        device=device,
        verdict=combine(c.outcome for c in checks),
        summary=summarise(checks),
        checks=tuple(checks),
    )


def judge(
    claims: Iterable[Claim], frame: pd.DataFrame, device: str = "cpu", probes: Mapping[str, float] | None = None
) -> list[ClaimVerdict]:
    """Verdicts of ``claims`` from a results table (rows as ``Record.to_dict()`` gives them)."""
    results = Results(frame)
    return [judge_claim(claim, results, device, probes) for claim in claims]


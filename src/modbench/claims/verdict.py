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
from modbench.claims.schema import DEVICE_METRICS, Check, Claim, Comparison, Expect, Growth, ProbeCheck, Side
from modbench.records import canonical_config


@dataclass(frozen=True)
class CheckResult:
    """One check of one claim, with the numbers it was decided on.

    ``kind`` is ``ratio`` (candidate / baseline), ``candidate`` (the candidate's own value),
    ``growth`` (a log-log slope) or ``probe``. ``note`` says why a check is unmeasured.
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
        if rows.empty:
            self._rows = pd.DataFrame(columns=["entry", "config_key", "batch", "mode", "device"])
            return
        rows["config_key"] = [c if isinstance(c, str) else canonical_config(c) for c in rows["config"]]
        if "timestamp" in rows.columns:
            rows = rows.sort_values("timestamp", kind="stable")
        self._rows = rows

    def value(self, side: Side, metric: str, device: str) -> tuple[float | None, str | None]:
        """(value, None) when measured; (None, why not) otherwise."""
        rows = self._rows
        if metric not in rows.columns:
            return None, f"{metric} not measured"
        match = rows[
            (rows["entry"] == side.entry)
            & (rows["config_key"] == side_key(side))
            & (rows["batch"] == side.batch)
            & (rows["mode"] == side.mode)
        ]
        measured = match[match[metric].notna()]
        if metric in DEVICE_METRICS:
            here = measured[measured["device"] == device]
            if here.empty:
                elsewhere = sorted(set(measured["device"]))
                where = f" (measured on {', '.join(elsewhere)} only)" if elsewhere else ""
                return None, f"{metric} of {side.describe()} not measured on {device}{where}"
            measured = here
        elif not measured.empty and (measured["device"] == device).any():
            measured = measured[measured["device"] == device]
        if measured.empty:
            return None, f"{metric} of {side.describe()} not measured"
        return float(measured[metric].iloc[-1]), None


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


def judge_check(claim: Claim, comparison: Comparison, check: Check, results: Results, device: str) -> CheckResult:
    """One check of one comparison on ``device``."""
    candidate, why = results.value(comparison.candidate, check.metric, device)
    baseline: float | None = None
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
        "expected": expected,
        "expected_text": check.expect.text if check.expect is not None else "",
        "votes": check.votes,
    }
    if why is not None or candidate is None:
        return CheckResult(candidate=candidate, baseline=baseline, measured=None, outcome="unmeasured", note=why, **common)
    measured = ratio(candidate, baseline) if check.on == "ratio" and baseline is not None else candidate
    return CheckResult(candidate=candidate, baseline=baseline, measured=measured, outcome=_outcome(check.expect, measured, expected), **common)


def judge_growth(claim: Claim, growth: Growth, results: Results, device: str) -> CheckResult:
    """The growth exponent of one metric over a swept config value."""
    values = []
    why = None
    for side in growth.sides():
        value, why = results.value(side, growth.metric, device)
        if value is None:
            break
        values.append(value)
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
    """One line per voting check label: the outcome (or how many points hold) and the measured range."""
    parts = []
    labels = dict.fromkeys(c.label for c in checks if c.votes)
    for label in labels:
        group = [c for c in checks if c.label == label and c.votes]
        measured = [c for c in group if c.measured is not None]
        if not measured:
            parts.append(f"{label}: unmeasured")
            continue
        values = [c.measured for c in measured if c.measured is not None]
        held = sum(c.outcome == "holds" for c in measured)
        low, high = fmt(min(values)), fmt(max(values))
        span = low if low == high else f"{low}–{high}"
        verdict = combine(c.outcome for c in measured)
        count = f" at {held}/{len(measured)}" if len(measured) > 1 else ""
        unmeasured = len(group) - len(measured)
        tail = f", {unmeasured} unmeasured" if unmeasured else ""
        parts.append(f"{label} {span} (expected {group[0].expected_text}): {verdict}{count}{tail}")
    return "; ".join(parts)


def fmt(value: float) -> str:
    """A measured number in 4 significant digits (exponent form for tiny or huge values)."""
    if math.isinf(value):
        return "∞"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4g}"


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


def checks_frame(verdicts: Iterable[ClaimVerdict]) -> pd.DataFrame:
    """Every check of every verdict as one row (for tables and plots)."""
    rows = [{**asdict(check), "device": verdict.device} for verdict in verdicts for check in verdict.checks]
    return pd.DataFrame(rows)

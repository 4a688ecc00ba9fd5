"""Verdicts from a result set: pure functions from measured values to outcomes and two verdicts.

Nothing here measures. A claim is judged on whatever the table holds: a number that is missing
(never measured, failed, or measured only on another device) makes its check ``unmeasured``
rather than guessed. Each claim gets two verdicts, each its own word: **cost**, from its voting
checks on counts (params, MACs, FLOPs, probes), the same on every device; and **on this
hardware**, from its voting checks on latency and memory on one device. A latency check is
decided only when the confidence interval of its ratio lies wholly on one side of its bound;
otherwise it is ``undecided``, with the interval shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from modbench.claims.estimates import MIN_RUNS, LatencyRatio, latency_ratio
from modbench.claims.lookup import Measured, Results, ratio
from modbench.claims.schema import Check, Claim, Comparison, Exhibit, Expect, Growth, ProbeCheck
from modbench.claims.sides import side_config
from modbench.metrics.registry import COLUMN_SOURCES
from modbench.output import format_number
from modbench.resultset import ResultSet
from modbench.stats import decide
from modbench.text import format_interval

VERDICTS = ("holds", "refuted", "mixed", "undecided", "unmeasured", "not claimed", "out of scope")
"""Either verdict's words; ``not claimed``: the source claims nothing this aspect could judge."""

VERDICT_RULE = (
    "Each claim has two verdicts. Cost: from its voting checks on parameters, MACs, FLOPs and probes, which do not "
    "depend on the device. On this hardware: from its voting checks on latency and memory, per device; latency votes "
    "only where the source claims speed or time, and elsewhere is shown as context. A verdict holds when every "
    "decided voting check holds, is refuted when every decided one is refuted, and is mixed when some hold and some do "
    "not; it is undecided while a voting check is undecided and none is refuted, and unmeasured when none was measured. "
    "A latency check is decided only when the confidence interval of its ratio lies wholly on one side of its "
    "bound. Context checks (those that follow from the implementation or a definition, or that the source does "
    "not claim) are shown and never vote."
)


@dataclass(frozen=True)
class CheckResult:
    """One check of one claim, with the numbers it was decided on.

    ``kind`` is ``ratio``, ``candidate`` (the candidate's own value), ``growth`` (a log-log slope)
    or ``probe``; ``aspect`` ``cost`` or ``hardware``. ``outcome`` is holds / refuted / undecided /
    unmeasured for a voting check and ``context`` otherwise; ``agrees`` says whether a context
    check with an expectation meets it. ``low`` and ``high`` bound a latency ratio (its interval).
    """

    claim: str
    comparison: str
    label: str
    metric: str
    kind: str
    aspect: str
    votes: bool
    candidate: float | None
    baseline: float | None
    measured: float | None
    expected: float | None
    expected_text: str
    expect_kind: str | None
    outcome: str
    why: str
    agrees: bool | None = None
    note: str | None = None
    low: float | None = None
    high: float | None = None
    rounds: int | None = None
    paired: bool | None = None
    noisy: bool | None = None  # a timed metric: whether the noise sentinel saw load while a side was timed


@dataclass(frozen=True)
class ClaimVerdict:
    """A claim's two verdicts on one device, a summary of why, every check behind them, and its exhibits."""

    claim: Claim
    device: str
    cost: str
    hardware: str
    summary: str
    checks: tuple[CheckResult, ...]
    exhibits: tuple[Exhibit, ...] = ()

    @property
    def hardware_label(self) -> str:
        """What the verdict on this hardware rests on, and where: ``latency on cpu``, ``memory on cpu``, ``on cpu``."""
        kinds = {"latency" if _timed(c.metric) else "memory" for c in self.checks if c.votes and c.aspect == "hardware"}
        return " ".join([" and ".join(sorted(kinds)), f"on {self.device}"]).strip()

    @property
    def under_load(self) -> bool:
        """Whether a voting latency check rests on a side the noise sentinel saw timed under load."""
        return any(c.noisy for c in self.checks if c.votes and c.aspect == "hardware")

    @property
    def headline(self) -> str:
        """``holds on counts; latency on cpu undecided``: both verdicts in one line, and whether the latency was noisy."""
        if self.cost == "out of scope":
            return "out of scope"
        hardware = "nothing claimed" if self.hardware == "not claimed" else self.hardware
        load = "; latency measured under load" if self.under_load else ""
        return f"{self.cost} on counts; {self.hardware_label} {hardware}{load}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the claim's source, both verdicts, each check's numbers, and the exhibits' rows."""
        claim = self.claim
        return {
            "id": claim.id,
            "number": claim.number,
            "statement": claim.statement,
            "cost": self.cost,
            "hardware": self.hardware,
            "headline": self.headline,
            "under_load": self.under_load,
            "device": self.device,
            "summary": self.summary,
            "seed": asdict(claim.seed) if claim.seed is not None else None,
            "quotes": [asdict(quote) for quote in claim.quotes],
            "paper": claim.paper,
            "table": claim.table,
            "scope": claim.scope,
            "decides": list(claim.decides),
            "out_of_scope": list(claim.out_of_scope),
            "published": [asdict(figure) for figure in claim.published],
            "checks": [_json_ready(asdict(check)) for check in self.checks],
            "exhibits": {e.key: [_json_ready(dict(row)) for row in e.rows] for e in self.exhibits},
        }


def _timed(metric: str) -> bool:
    """Whether a column comes from a timing (latency, throughput, achieved GFLOP/s), which load can slow."""
    return "latency" in COLUMN_SOURCES.get(metric, ())


def _json_ready(row: dict[str, Any]) -> dict[str, Any]:
    """NaN and infinities become None, which JSON can hold."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def growth_exponent(sizes: Sequence[float], values: Sequence[float], tail: int) -> float:
    """Least-squares slope of log(value) against log(size) over the last ``tail`` points."""
    xs = np.log(np.asarray(sizes[-tail:], dtype=float))
    ys = np.log(np.asarray(values[-tail:], dtype=float))
    return float(np.polyfit(xs, ys, 1)[0])


def _point_outcome(expect: Expect, measured: float, target: float) -> str:
    return "holds" if expect.agrees(measured, target) else "refuted"


def _why(check: Check | Growth) -> str:
    return check.could_fail if check.could_fail is not None else getattr(check, "context", None) or "shown for context"


def _interval_fields(compared: LatencyRatio) -> dict[str, Any]:
    """A latency ratio's interval, how many rounds it rests on, whether paired, and its noise state."""
    fields: dict[str, Any] = {"noisy": compared.noisy}
    estimate = compared.estimate
    if estimate is not None:
        fields.update(low=estimate.low, high=estimate.high, rounds=estimate.rounds, paired=estimate.paired)
    if compared.noisy:
        fields["note"] = f"measured under load: {noise_words(compared)}"
    return fields


def noise_words(compared: LatencyRatio) -> str:
    """What the sentinel saw around the two sides, in words: ``sentinel up to 32 % slower than quiet``."""
    slowdown = compared.slowdown
    return f"sentinel up to {slowdown:.0%} slower than quiet" if slowdown is not None else "the noise sentinel saw other work"


def _latency_outcome(expect: Expect, compared: LatencyRatio, target: float) -> tuple[str, dict[str, Any]]:
    """A voting latency ratio, decided on its interval and only when timed quiet: (outcome, the interval's fields and a note)."""
    if expect.kind not in ("at_most", "at_least"):
        raise ValueError(f"a latency check needs a bound (at_most or at_least), not {expect.kind!r}")
    fields = _interval_fields(compared)
    estimate = compared.estimate
    notes = [fields["note"]] if "note" in fields else []
    if estimate is None:
        fields["note"] = "; ".join([f"too few timed runs to know the spread (fewer than {MIN_RUNS})", *notes])
        return "undecided", fields
    outcome = decide(estimate, target, below=expect.kind == "at_most")
    kind = "paired interval" if estimate.paired else "unpaired interval"
    if outcome == "undecided":
        notes.insert(0, f"{kind} {format_interval(estimate.low, estimate.high)} straddles {format_number(target)}")
    elif compared.noisy:
        # Load shifts a ratio, not only widens it: a busy core slows the side that runs more
        # thread barriers. Here an S2-MLP / ResNet-block ratio read 1.37 (1.34–1.38) quiet and
        # under 0.95 with one core kept busy, both intervals tight; only a quiet timing votes.
        notes.append(f"not judged: its {kind} alone would say {outcome}; time it again on a quiet machine")
        outcome = "undecided"
    if notes:
        fields["note"] = "; ".join(notes)
    return outcome, fields


def _looked_up(comparison: Comparison, check: Check, results: Results, device: str) -> tuple[Measured | None, Measured | None, LatencyRatio | None, str | None]:
    """The candidate's and the baseline's values for ``check`` (the pair's records for a latency ratio), or why missing."""
    if check.metric == "latency_ms" and check.on == "ratio" and comparison.baseline is not None:
        compared, why_missing = latency_ratio(results, comparison.candidate, comparison.baseline, device)
        if compared is None:
            return None, None, None, why_missing
        return compared.candidate, compared.baseline, compared, None
    candidate, why_missing = results.value(comparison.candidate, check.metric, device)
    baseline: Measured | None = None
    if why_missing is None and check.on == "ratio" and comparison.baseline is not None:
        baseline, why_missing = results.value(comparison.baseline, check.metric, device)
    return candidate, baseline, None, why_missing


def judge_check(claim: Claim, comparison: Comparison, check: Check, results: Results, device: str) -> CheckResult:
    """One check of one comparison on ``device``."""
    candidate, baseline, compared, why_missing = _looked_up(comparison, check, results, device)
    expected = None
    if check.expect is not None:
        base_config = side_config(comparison.baseline) if comparison.baseline is not None else {}
        expected = check.expect.target(side_config(comparison.candidate), base_config)
    common: dict[str, Any] = {
        "claim": claim.id,
        "comparison": comparison.label,
        "label": check.label,
        "metric": check.metric,
        "kind": check.on,
        "aspect": check.aspect,
        "votes": check.votes,
        "candidate": candidate.value if candidate is not None else None,
        "baseline": baseline.value if baseline is not None else None,
        "expected": expected,
        "expected_text": check.expect.text if check.expect is not None else "",
        "expect_kind": check.expect.kind if check.expect is not None else None,
        "why": _why(check),
    }
    if why_missing is not None or candidate is None:
        return CheckResult(measured=None, outcome="unmeasured" if check.votes else "context", note=why_missing, **common)
    if compared is not None:
        measured = compared.ratio
    else:
        measured = ratio(candidate.value, baseline.value) if baseline is not None else candidate.value
        if _timed(check.metric):
            common["noisy"] = candidate.noisy or (baseline is not None and baseline.noisy)
    agrees = None if check.expect is None or expected is None else check.expect.agrees(measured, expected)
    if not check.votes:
        return CheckResult(measured=measured, outcome="context", agrees=agrees, **(_interval_fields(compared) if compared else {}), **common)
    assert check.expect is not None and expected is not None
    if compared is not None:
        outcome, interval = _latency_outcome(check.expect, compared, expected)
        return CheckResult(measured=measured, outcome=outcome, **interval, **common)
    return CheckResult(measured=measured, outcome=_point_outcome(check.expect, measured, expected), **common)


def judge_growth(claim: Claim, growth: Growth, results: Results, device: str) -> CheckResult:
    """The growth exponent of one metric over a swept config value."""
    values: list[float] = []
    why_missing = None
    for side in growth.sides():
        found, why_missing = results.value(side, growth.metric, device)
        if found is None:
            break
        values.append(found.value)
    expected = growth.expect.value if growth.expect is not None else None
    common: dict[str, Any] = {
        "claim": claim.id,
        "comparison": f"{growth.entry} over {growth.parameter} = {', '.join(map(str, growth.values))}",
        "label": growth.label,
        "metric": growth.metric,
        "kind": "growth",
        "aspect": growth.aspect,
        "votes": growth.votes,
        "candidate": None,
        "baseline": None,
        "expected": expected,
        "expected_text": growth.expect.text if growth.expect is not None else "",
        "expect_kind": growth.expect.kind if growth.expect is not None else None,
        "why": _why(growth),
    }
    missing = "unmeasured" if growth.votes else "context"
    if why_missing is not None:
        return CheckResult(measured=None, outcome=missing, note=why_missing, **common)
    if min(values) <= 0:
        return CheckResult(measured=None, outcome=missing, note=f"{growth.metric} is not positive at every size", **common)
    exponent = growth_exponent(growth.values, values, growth.tail)
    if not growth.votes or growth.expect is None or expected is None:
        return CheckResult(measured=exponent, outcome="context", **common)
    return CheckResult(measured=exponent, outcome=_point_outcome(growth.expect, exponent, expected), **common)


def judge_probe(claim: Claim, probe: ProbeCheck, probes: Mapping[str, float]) -> CheckResult:
    """A probe's value against its expectation; unmeasured when the probe did not run."""
    value = probes.get(probe.key)
    common: dict[str, Any] = {
        "claim": claim.id,
        "comparison": "probe",
        "label": probe.label,
        "metric": probe.key,
        "kind": "probe",
        "aspect": probe.aspect,
        "votes": True,
        "candidate": value,
        "baseline": None,
        "expected": probe.expect.value,
        "expected_text": probe.expect.text,
        "expect_kind": probe.expect.kind,
        "why": probe.could_fail,
    }
    if value is None:
        return CheckResult(measured=None, outcome="unmeasured", note=f"probe {probe.key} did not run", **common)
    return CheckResult(measured=value, outcome=_point_outcome(probe.expect, value, probe.expect.value), **common)


def combine(outcomes: Iterable[str]) -> str:
    """One verdict from voting outcomes (see :data:`VERDICT_RULE`)."""
    outcomes = [o for o in outcomes if o != "context"]
    decided = {o for o in outcomes if o in ("holds", "refuted")}
    if decided == {"holds", "refuted"}:
        return "mixed"
    if "undecided" in outcomes:
        return "undecided" if decided != {"refuted"} else "refuted"
    if decided:
        return decided.pop()
    return "unmeasured"


def aspect_verdict(checks: Sequence[CheckResult], aspect: str) -> str:
    """The verdict of one aspect: ``not claimed`` when no check of that aspect votes."""
    voting = [c.outcome for c in checks if c.votes and c.aspect == aspect]
    return combine(voting) if voting else "not claimed"


def _span(values: Sequence[float]) -> str:
    if not values:
        return ""
    low, high = format_number(min(values)), format_number(max(values))
    return f" {low}" if low == high else f" {low}–{high}"


def summarise(checks: Sequence[CheckResult]) -> str:
    """One clause per voting check label (measured range, expectation, how many comparisons hold),
    then the measured latency where it is context."""
    parts = []
    voting = [c for c in checks if c.votes]
    for label in dict.fromkeys(c.label for c in voting):
        group = [c for c in voting if c.label == label]
        span = _span([c.measured for c in group if c.measured is not None])
        verdict = combine(c.outcome for c in group)
        decided = [c for c in group if c.outcome in ("holds", "refuted")]
        if len(group) > 1 and decided:
            held = sum(c.outcome == "holds" for c in decided)
            open_ = len(group) - len(decided)
            verdict += f" ({held}/{len(decided)} hold" + (f", {open_} open)" if open_ else ")")
        expected = group[0].expected_text if len({c.expected_text for c in group}) == 1 else "a value per comparison"
        if len(group) == 1 and group[0].outcome == "undecided" and group[0].low is not None:
            verdict += f" (interval {format_interval(group[0].low, group[0].high)})"
        noisy = sum(bool(c.noisy) for c in group)
        if noisy:
            verdict += f", {noisy} of {len(group)} timed under load" if len(group) > 1 else ", timed under load"
        parts.append(f"{label}{span} (expected {expected}): {verdict}")
    voted = {c.label for c in voting}
    shown = [c for c in checks if not c.votes and c.metric == "latency_ms" and c.measured is not None and c.label not in voted]
    for label in dict.fromkeys(c.label for c in shown):
        parts.append(f"{label}{_span([c.measured for c in shown if c.label == label])} (context)")
    return "; ".join(parts)


def judge_claim(claim: Claim, results: Results, device: str, probes: Mapping[str, float] | None = None) -> ClaimVerdict:
    """Every check of ``claim`` on ``device``, its two verdicts, and its exhibits."""
    checks = [judge_check(claim, comparison, check, results, device) for comparison in claim.comparisons for check in comparison.checks]
    checks += [judge_growth(claim, growth, results, device) for growth in claim.growth]
    checks += [judge_probe(claim, probe, probes or {}) for probe in claim.probes]
    if claim.scope is not None:
        cost = hardware = "out of scope"
    else:
        cost, hardware = aspect_verdict(checks, "cost"), aspect_verdict(checks, "hardware")
    exhibits = claim.exhibits(results, device, checks) if claim.exhibits is not None else ()
    return ClaimVerdict(claim, device, cost, hardware, summarise(checks), tuple(checks), tuple(exhibits))


def judge(claims: Iterable[Claim], results: ResultSet, device: str = "cpu", probes: Mapping[str, float] | None = None) -> list[ClaimVerdict]:
    """Verdicts of ``claims`` from a result set."""
    indexed = Results(results)
    return [judge_claim(claim, indexed, device, probes) for claim in claims]

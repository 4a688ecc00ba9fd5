"""Verdict rules on small synthetic results tables: holds, refuted, mixed, unmeasured, and noise.

Rows are built the way ``Record.to_dict()`` gives them (the side's full config, status, dtype,
device), with hand-picked numbers, so each rule is tested without measuring anything.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from modbench.claims.definitions import CBAM, CLAIMS, GHOST
from modbench.claims.schema import Check, Claim, Comparison, Expect, Growth, ProbeCheck, Side, approx, at_most, equals, freeze
from modbench.claims.sweeps import GHOST_CENTRE, ghost_speedup
from modbench.claims.verdict import combine, growth_exponent, judge, judge_claim, Results, side_config

CONV = Side.of("conv2d", in_channels=8, out_channels=8, hw=8)
LINEAR = Side.of("linear", in_features=512, out_features=4096)


def row(side: Side, device: str = "cpu", status: str = "ok", timestamp: str = "2026-01-01T00:00:00", **values: Any) -> dict[str, Any]:
    """One results row for ``side`` as ``Record.to_dict()`` lays it out."""
    return {
        "entry": side.entry,
        "config": side_config(side),
        "batch": side.batch,
        "device": device,
        "dtype": "fp32",
        "mode": side.mode,
        "threads": 2,
        "status": status,
        "timestamp": timestamp,
        **values,
    }


def claim(*checks: Check, candidate: Side = CONV, baseline: Side | None = LINEAR, **extra: Any) -> Claim:
    comparison = Comparison("conv vs fc", candidate, baseline, tuple(checks))
    fields = {"comparisons": (comparison,), "rule": "test", **extra}
    return Claim(id="test", number="0", statement="test", seed="seed.txt", quotes=(), paper=None, table=None, **fields)


FEWER_PARAMS = Check("params", "params ratio", at_most(0.5, "≤ 0.5"))
FASTER = Check("latency_ms", "latency ratio", at_most(0.95, "≤ 0.95"))


def verdict_of(test_claim: Claim, rows: list[dict[str, Any]], device: str = "cpu", **kwargs: Any) -> Any:
    return judge([test_claim], pd.DataFrame(rows), device, **kwargs)[0]


def test_holds_when_every_measured_voting_check_holds() -> None:
    verdict = verdict_of(claim(FEWER_PARAMS), [row(CONV, params=10), row(LINEAR, params=100)])
    assert verdict.verdict == "holds"
    assert verdict.checks[0].measured == pytest.approx(0.1)
    assert verdict.checks[0].candidate == 10 and verdict.checks[0].baseline == 100


def test_refuted_when_no_voting_check_holds() -> None:
    verdict = verdict_of(claim(FEWER_PARAMS), [row(CONV, params=90), row(LINEAR, params=100)])
    assert verdict.verdict == "refuted"
    assert verdict.checks[0].measured == pytest.approx(0.9)


def test_mixed_when_macs_fall_but_latency_does_not() -> None:
    fewer_macs = Check("macs", "MACs ratio", at_most(0.5, "≤ 0.5"))
    rows = [
        row(CONV, macs=100, latency_ms=2.0, latency_iqr_ms=0.01),
        row(LINEAR, macs=1000, latency_ms=1.0, latency_iqr_ms=0.01),
    ]
    verdict = verdict_of(claim(fewer_macs, FASTER), rows)
    assert verdict.verdict == "mixed"
    assert [c.outcome for c in verdict.checks] == ["holds", "refuted"]
    assert "MACs ratio 0.1" in verdict.summary and "latency ratio 2" in verdict.summary


def test_unmeasured_when_the_device_has_no_timings() -> None:
    rows = [row(CONV, latency_ms=1.0, latency_iqr_ms=0.0), row(LINEAR, latency_ms=2.0, latency_iqr_ms=0.0)]
    verdict = verdict_of(claim(FASTER), rows, device="cuda")
    assert verdict.verdict == "unmeasured"
    assert verdict.checks[0].outcome == "unmeasured"
    assert "not measured on cuda (measured on cpu only)" in (verdict.checks[0].note or "")


def test_counts_serve_every_device_but_timings_do_not() -> None:
    rows = [row(CONV, params=10, latency_ms=1.0), row(LINEAR, params=100, latency_ms=2.0)]
    verdict = verdict_of(claim(FEWER_PARAMS, FASTER), rows, device="cuda")
    assert [c.outcome for c in verdict.checks] == ["holds", "unmeasured"]
    assert verdict.verdict == "holds"  # decided on what was measured; the summary names the rest
    assert "latency ratio (expected ≤ 0.95): unmeasured" in verdict.summary


def test_unmeasured_when_nothing_was_measured() -> None:
    assert verdict_of(claim(FEWER_PARAMS), []).verdict == "unmeasured"


def test_failed_rows_do_not_count() -> None:
    rows = [row(CONV, status="failed", params=10), row(LINEAR, params=100)]
    assert verdict_of(claim(FEWER_PARAMS), rows).verdict == "unmeasured"


def test_the_latest_row_of_a_key_wins() -> None:
    rows = [
        row(CONV, params=90, timestamp="2026-01-01T00:00:00"),
        row(CONV, params=10, timestamp="2026-01-02T00:00:00"),
        row(LINEAR, params=100),
    ]
    assert verdict_of(claim(FEWER_PARAMS), rows).checks[0].measured == pytest.approx(0.1)


def test_latency_too_noisy_to_decide_is_unmeasured_not_guessed() -> None:
    rows = [row(CONV, latency_ms=0.9, latency_iqr_ms=0.4), row(LINEAR, latency_ms=1.0, latency_iqr_ms=0.4)]
    check = verdict_of(claim(FASTER), rows).checks[0]
    assert check.outcome == "unmeasured"
    assert check.measured == pytest.approx(0.9)
    assert check.low is not None and check.high is not None and check.low < 0.95 < check.high
    assert "too noisy" in (check.note or "")


def test_latency_from_too_few_runs_is_unmeasured() -> None:
    rows = [row(CONV, latency_ms=0.5, latency_iqr_ms=0.0, runs=1), row(LINEAR, latency_ms=1.0, latency_iqr_ms=0.0, runs=20)]
    check = verdict_of(claim(FASTER), rows).checks[0]
    assert check.outcome == "unmeasured" and "too few timed runs" in (check.note or "")


def test_tight_latency_is_decided() -> None:
    rows = [row(CONV, latency_ms=0.5, latency_iqr_ms=0.02), row(LINEAR, latency_ms=1.0, latency_iqr_ms=0.02)]
    assert verdict_of(claim(FASTER), rows).checks[0].outcome == "holds"


def test_context_checks_never_vote() -> None:
    context = Check("macs", "MACs ratio")
    rows = [row(CONV, params=10, macs=1000), row(LINEAR, params=100, macs=10)]
    verdict = verdict_of(claim(FEWER_PARAMS, context), rows)
    assert verdict.verdict == "holds"
    assert verdict.checks[1].outcome == "context" and not verdict.checks[1].votes


def test_candidate_only_checks_and_zero_values() -> None:
    zero = Check("params", "parameters", equals(0, "= 0"), on="candidate")
    free = claim(zero, candidate=Side.of("dropblock"), baseline=None)
    assert verdict_of(free, [row(Side.of("dropblock"), params=0)]).verdict == "holds"
    assert verdict_of(free, [row(Side.of("dropblock"), params=3)]).verdict == "refuted"


def test_ratio_of_zero_over_zero_is_one_and_over_zero_is_infinite() -> None:
    same = Check("macs", "MACs ratio", approx(1.0, 0.01, "≈ 1"))
    assert verdict_of(claim(same), [row(CONV, macs=0), row(LINEAR, macs=0)]).checks[0].measured == 1.0
    assert math.isinf(verdict_of(claim(same), [row(CONV, macs=5), row(LINEAR, macs=0)]).checks[0].measured)


def test_formula_expectation_uses_both_configs() -> None:
    point = GHOST_CENTRE
    eq4 = GHOST.comparisons[0].checks[0]
    assert eq4.label == "MACs ratio vs Eq. 4"
    expected = 1 / ghost_speedup(point.c, point.k, point.s, point.d)
    test_claim = claim(eq4, candidate=point.ghost, baseline=point.conv)
    holds = verdict_of(test_claim, [row(point.ghost, macs=expected * 1000), row(point.conv, macs=1000)])
    assert holds.checks[0].expected == pytest.approx(expected) and holds.checks[0].outcome == "holds"
    off = verdict_of(test_claim, [row(point.ghost, macs=expected * 1200), row(point.conv, macs=1000)])
    assert off.checks[0].outcome == "refuted"


@pytest.mark.parametrize(("power", "outcome"), [(1.0, "holds"), (2.0, "refuted")])
def test_growth_exponent_decides_growth_claims(power: float, outcome: str) -> None:
    growth = Growth("params vs seq_len", "gmlp", "seq_len", (40, 80, 160, 320), "params", at_most(1.2, "≤ 1.2"))
    rows = [row(side, params=1000 + value**power) for side, value in zip(growth.sides(), growth.values)]
    test_claim = Claim("g", "0", "g", "s", (), None, None, (), "r", growth=(growth,))
    verdict = verdict_of(test_claim, rows)
    assert verdict.verdict == outcome
    assert verdict.checks[0].measured == pytest.approx(growth_exponent(growth.values, [1000 + v**power for v in growth.values], 3))


def test_growth_with_a_missing_size_is_unmeasured() -> None:
    growth = Growth("params vs seq_len", "gmlp", "seq_len", (40, 80, 160), "params", at_most(1.2, "≤ 1.2"))
    rows = [row(side, params=1) for side in growth.sides()[:2]]
    test_claim = Claim("g", "0", "g", "s", (), None, None, (), "r", growth=(growth,))
    assert verdict_of(test_claim, rows).verdict == "unmeasured"


def test_probes_hold_fail_or_are_unmeasured() -> None:
    probe = ProbeCheck("diff", "max difference", at_most(1e-5, "≤ 1e-5"))
    test_claim = Claim("p", "0", "p", "s", (), None, None, (), "r", probes=(probe,))
    assert verdict_of(test_claim, [], probes={"diff": 1e-7}).verdict == "holds"
    assert verdict_of(test_claim, [], probes={"diff": 1e-2}).verdict == "refuted"
    assert verdict_of(test_claim, []).verdict == "unmeasured"


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        (["holds", "holds", "context"], "holds"),
        (["refuted", "unmeasured"], "refuted"),
        (["holds", "refuted", "unmeasured"], "mixed"),
        (["unmeasured", "context"], "unmeasured"),
        ([], "unmeasured"),
    ],
)
def test_combine(outcomes: list[str], verdict: str) -> None:
    assert combine(outcomes) == verdict


def test_expect_kinds() -> None:
    assert Expect("approx", 1.0, 0.1).agrees(1.09, 1.0) and not Expect("approx", 1.0, 0.1).agrees(1.11, 1.0)
    assert Expect("at_least", 2.0).agrees(2.0, 2.0) and not Expect("at_least", 2.0).agrees(1.9, 2.0)
    assert not Expect("at_most", 1.0).agrees(math.nan, 1.0)
    with pytest.raises(ValueError):
        Expect("roughly", 1.0)


def test_cbam_rule_on_synthetic_numbers() -> None:
    """The real CBAM claim: the seed's +0.1 % parameters and negligible compute, on made-up tables."""
    cbam, base = CBAM.comparisons[0].candidate, CBAM.comparisons[0].baseline
    assert base is not None
    as_claimed = [
        row(cbam, params=1001, macs=1002, flops=1003, latency_ms=1.01, latency_iqr_ms=0.001),
        row(base, params=1000, macs=1000, flops=1000, latency_ms=1.0, latency_iqr_ms=0.001),
    ]
    assert verdict_of(CBAM, as_claimed).verdict == "holds"
    slower = [dict(as_claimed[0], latency_ms=1.3), as_claimed[1]]
    assert verdict_of(CBAM, slower).verdict == "mixed"


def test_every_real_claim_is_unmeasured_on_an_empty_table() -> None:
    results = Results(pd.DataFrame())
    for real in CLAIMS:
        assert judge_claim(real, results, "cpu").verdict == "unmeasured", real.id


def test_frozen_configs_are_sorted_pairs() -> None:
    assert freeze({"b": 1, "a": 2}) == (("a", 2), ("b", 1))
    assert Side.of("ghost", ratio=3, kernel_size=1).describe() == "ghost(kernel_size=1, ratio=3)"

"""Verdict rules on small synthetic results tables: both verdicts, context checks, latency intervals.

Rows are built the way ``Record.to_dict()`` gives them (the side's full config, status, dtype,
device), with hand-picked numbers, so each rule is tested without measuring anything.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from modbench.claims import all_claims
from modbench.claims.expect import COMPARABLE, Expect, about, at_most, equals
from modbench.claims.library.ghost import EQ4, GHOST
from modbench.claims.library.swish import SWISH
from modbench.claims.lookup import Results
from modbench.claims.schema import Check, Claim, Comparison, Growth, ProbeCheck, Side, context, freeze, vote
from modbench.claims.sides import side_config
from modbench.claims.sources import SEED_003
from modbench.claims.sweeps import GHOST_CENTRE, ghost_speedup
from modbench.claims.verdict import combine, growth_exponent, judge, judge_claim
from modbench.resultset import ResultSet
from tests.claim_rows import result_set

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
    return Claim(id="test", number="0", statement="test", seed=SEED_003, quotes=(), comparisons=(comparison,), **extra)


FEWER_PARAMS = vote("params", at_most(0.5), "test")
FASTER = vote("latency_ms", at_most(0.95), "test")


def verdict_of(test_claim: Claim, rows: list[dict[str, Any]], device: str = "cpu", **kwargs: Any) -> Any:
    return judge([test_claim], result_set(rows), device, **kwargs)[0]


def test_holds_when_every_measured_voting_check_holds() -> None:
    verdict = verdict_of(claim(FEWER_PARAMS), [row(CONV, params=10), row(LINEAR, params=100)])
    assert (verdict.cost, verdict.hardware) == ("holds", "not claimed")
    assert verdict.checks[0].measured == pytest.approx(0.1)
    assert verdict.checks[0].candidate == 10 and verdict.checks[0].baseline == 100


def test_refuted_when_no_voting_check_holds() -> None:
    verdict = verdict_of(claim(FEWER_PARAMS), [row(CONV, params=90), row(LINEAR, params=100)])
    assert verdict.cost == "refuted"


def test_cost_and_hardware_are_separate_words() -> None:
    fewer_macs = vote("macs", at_most(0.5), "test")
    rows = [
        row(CONV, macs=100, latency_ms=2.0, latency_iqr_ms=0.01, runs=50),
        row(LINEAR, macs=1000, latency_ms=1.0, latency_iqr_ms=0.01, runs=50),
    ]
    verdict = verdict_of(claim(fewer_macs, FASTER), rows)
    assert (verdict.cost, verdict.hardware) == ("holds", "refuted")
    assert verdict.headline == "holds on counts; latency on cpu refuted"
    assert "MACs ratio 0.1" in verdict.summary and "latency ratio 2" in verdict.summary


def test_mixed_when_some_comparisons_hold() -> None:
    other = Side.of("linear", in_features=8, out_features=8)
    two = Claim(
        "t", "0", "t", SEED_003, (),
        comparisons=(Comparison("a", CONV, LINEAR, (FEWER_PARAMS,)), Comparison("b", CONV, other, (FEWER_PARAMS,))),
    )
    verdict = verdict_of(two, [row(CONV, params=10), row(LINEAR, params=100), row(other, params=12)])
    assert verdict.cost == "mixed" and "(1/2 hold)" in verdict.summary


def test_unmeasured_when_the_device_has_no_timings() -> None:
    rows = [row(CONV, latency_ms=1.0, latency_iqr_ms=0.0), row(LINEAR, latency_ms=2.0, latency_iqr_ms=0.0)]
    verdict = verdict_of(claim(FASTER), rows, device="cuda")
    assert verdict.hardware == "unmeasured"
    assert "not measured on cuda (measured on cpu only)" in (verdict.checks[0].note or "")


def test_counts_serve_every_device_but_timings_do_not() -> None:
    rows = [row(CONV, params=10, latency_ms=1.0), row(LINEAR, params=100, latency_ms=2.0)]
    verdict = verdict_of(claim(FEWER_PARAMS, FASTER), rows, device="cuda")
    assert (verdict.cost, verdict.hardware) == ("holds", "unmeasured")


def test_failed_rows_do_not_count() -> None:
    rows = [row(CONV, status="failed", params=10), row(LINEAR, params=100)]
    assert verdict_of(claim(FEWER_PARAMS), rows).cost == "unmeasured"


def test_the_latest_row_of_a_key_wins() -> None:
    rows = [
        row(CONV, params=90, timestamp="2026-01-01T00:00:00"),
        row(CONV, params=10, timestamp="2026-01-02T00:00:00"),
        row(LINEAR, params=100),
    ]
    assert verdict_of(claim(FEWER_PARAMS), rows).checks[0].measured == pytest.approx(0.1)


def test_latency_interval_straddling_the_bound_is_undecided_and_says_so() -> None:
    rows = [
        row(CONV, params=10, latency_ms=0.9, latency_iqr_ms=0.4, runs=50),
        row(LINEAR, params=100, latency_ms=1.0, latency_iqr_ms=0.4, runs=50),
    ]
    verdict = verdict_of(claim(FEWER_PARAMS, FASTER), rows)
    check = verdict.checks[1]
    assert check.outcome == "undecided" and check.votes
    assert check.low is not None and check.high is not None and check.low < 0.95 < check.high
    assert "straddles" in (check.note or "")
    assert verdict.headline == "holds on counts; latency on cpu undecided"
    assert "latency ratio 0.9 (expected ≤ 0.95): undecided (interval 0.5833–1.375)" in verdict.summary


def test_latency_from_raw_samples_uses_their_interval() -> None:
    fast = [0.50, 0.51, 0.52, 0.50, 0.49, 0.51]
    slow = [1.00, 1.01, 0.99, 1.02, 1.00, 0.98]
    rows = [
        row(CONV, latency_samples_s=[t / 1e3 for t in fast]),
        row(LINEAR, latency_samples_s=[t / 1e3 for t in slow]),
    ]
    check = verdict_of(claim(FASTER), rows).checks[0]
    assert check.outcome == "holds" and check.high is not None and check.high < 0.95


def test_latency_from_too_few_runs_is_undecided() -> None:
    rows = [row(CONV, latency_ms=0.5, latency_iqr_ms=0.0, runs=1), row(LINEAR, latency_ms=1.0, latency_iqr_ms=0.0, runs=20)]
    check = verdict_of(claim(FASTER), rows).checks[0]
    assert check.outcome == "undecided" and "too few timed runs" in (check.note or "")


def test_tight_latency_is_decided() -> None:
    rows = [row(CONV, latency_ms=0.5, latency_iqr_ms=0.02, runs=50), row(LINEAR, latency_ms=1.0, latency_iqr_ms=0.02, runs=50)]
    assert verdict_of(claim(FASTER), rows).checks[0].outcome == "holds"


def test_context_checks_never_vote_even_when_they_disagree() -> None:
    shown = context("macs", "test", expect=at_most(0.5))
    rows = [row(CONV, params=10, macs=1000), row(LINEAR, params=100, macs=10)]
    verdict = verdict_of(claim(FEWER_PARAMS, shown), rows)
    assert verdict.cost == "holds"
    assert verdict.checks[1].outcome == "context" and verdict.checks[1].agrees is False


def test_a_check_votes_only_with_a_way_to_fail() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Check("params", at_most(0.5))
    with pytest.raises(ValueError, match="no check votes"):
        claim(context("params"))


def test_candidate_only_checks_and_zero_values() -> None:
    zero = vote("params", equals(0), "test", on="candidate")
    free = claim(zero, candidate=Side.of("dropblock"), baseline=None)
    assert verdict_of(free, [row(Side.of("dropblock"), params=0)]).cost == "holds"
    assert verdict_of(free, [row(Side.of("dropblock"), params=3)]).cost == "refuted"


def test_ratio_of_zero_over_zero_is_one_and_over_zero_is_infinite() -> None:
    same = vote("macs", about(1.0), "test")
    assert verdict_of(claim(same), [row(CONV, macs=0), row(LINEAR, macs=0)]).checks[0].measured == 1.0
    assert math.isinf(verdict_of(claim(same), [row(CONV, macs=5), row(LINEAR, macs=0)]).checks[0].measured)


def test_formula_expectation_uses_both_configs() -> None:
    point = GHOST_CENTRE
    expected = 1 / ghost_speedup(point.c, point.k, point.s, point.d)
    test_claim = claim(vote("macs", about(EQ4), "test"), candidate=point.ghost, baseline=point.conv)
    holds = verdict_of(test_claim, [row(point.ghost, macs=expected * 1000), row(point.conv, macs=1000)])
    assert holds.checks[0].expected == pytest.approx(expected) and holds.checks[0].outcome == "holds"
    off = verdict_of(test_claim, [row(point.ghost, macs=expected * 1200), row(point.conv, macs=1000)])
    assert off.checks[0].outcome == "refuted"


def test_ghost_eq4_is_context_so_the_claim_survives_an_eq4_mismatch() -> None:
    (eq4,) = [c for c in GHOST.comparisons[0].checks if c.label == "MACs ratio vs Eq. 4"]
    assert not eq4.votes


@pytest.mark.parametrize(("power", "outcome"), [(1.0, "holds"), (2.0, "refuted")])
def test_growth_exponent_decides_voting_growth(power: float, outcome: str) -> None:
    growth = Growth("gmlp", "seq_len", (40, 80, 160, 320), "params", at_most(1.2), "test")
    rows = [row(side, params=1000 + value**power) for side, value in zip(growth.sides(), growth.values)]
    verdict = verdict_of(Claim("g", "0", "g", SEED_003, (), growth=(growth,)), rows)
    assert verdict.cost == outcome
    assert verdict.checks[0].measured == pytest.approx(growth_exponent(growth.values, [1000 + v**power for v in growth.values], 3))


def test_probes_hold_fail_or_are_unmeasured() -> None:
    probe = ProbeCheck(lambda: {"diff": 0.0}, "diff", "max difference", at_most(1e-5), "test")
    test_claim = Claim("p", "0", "p", SEED_003, (), probes=(probe,))
    assert verdict_of(test_claim, [], probes={"diff": 1e-7}).cost == "holds"
    assert verdict_of(test_claim, [], probes={"diff": 1e-2}).cost == "refuted"
    assert verdict_of(test_claim, []).cost == "unmeasured"


@pytest.mark.parametrize(
    ("outcomes", "verdict"),
    [
        (["holds", "holds", "context"], "holds"),
        (["refuted", "unmeasured"], "refuted"),
        (["holds", "refuted", "unmeasured"], "mixed"),
        (["holds", "undecided"], "undecided"),
        (["refuted", "undecided"], "refuted"),
        (["holds", "refuted", "undecided"], "mixed"),
        (["unmeasured", "context"], "unmeasured"),
        ([], "unmeasured"),
    ],
)
def test_combine(outcomes: list[str], verdict: str) -> None:
    assert combine(outcomes) == verdict


def test_expect_kinds_and_generated_texts() -> None:
    assert Expect("approx", 1.0, 0.1).agrees(1.09, 1.0) and not Expect("approx", 1.0, 0.1).agrees(1.11, 1.0)
    assert Expect("at_least", 2.0).agrees(2.0, 2.0) and not Expect("at_least", 2.0).agrees(1.9, 2.0)
    assert not Expect("at_most", 1.0).agrees(math.nan, 1.0)
    assert COMPARABLE.expect().text == f"≤ {COMPARABLE.bound:g} (comparable)"
    assert about(EQ4).text == "≈ 1/r_s (Eq. 4) ± 10 %"
    with pytest.raises(ValueError):
        Expect("roughly", 1.0)


def test_swish_flops_ratio_of_two_refutes_the_cost_claim() -> None:
    sides = [(c.candidate, c.baseline) for c in SWISH.comparisons[:2]]
    rows = [r for swish, relu in sides for r in (row(swish, flops=2000), row(relu, flops=1000))]
    assert verdict_of(SWISH, rows).cost == "refuted"


def test_every_real_claim_is_unmeasured_on_an_empty_table() -> None:
    results = Results(ResultSet())
    for real in all_claims():
        verdict = judge_claim(real, results, "cpu")
        assert verdict.cost in ("unmeasured", "not claimed", "out of scope"), real.id
        assert verdict.hardware in ("unmeasured", "not claimed", "out of scope"), real.id


def test_frozen_configs_are_sorted_pairs() -> None:
    assert freeze({"b": 1, "a": 2}) == (("a", 2), ("b", 1))
    assert Side.of("ghost", ratio=3, kernel_size=1).describe() == "ghost(kernel_size=1, ratio=3)"

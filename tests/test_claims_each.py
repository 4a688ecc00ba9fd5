"""Every real claim, on two synthetic tables: one where each voting check agrees with its expectation
(the claim must hold) and one where each disagrees (it must be refuted). Both verdicts are checked.

The numbers are made up from the claim's own expectations, so the test proves that each claim's
verdict is decided by what was measured, and that no claim holds whatever the table says.
"""

from __future__ import annotations

from typing import Any

import pytest

from modbench.claims import Claim, all_claims, judge
from modbench.claims.expect import Expect
from modbench.claims.schema import Side
from modbench.claims.sides import side_config
from modbench.resultset import ResultSet
from tests.claim_rows import result_set

BASE = 1000.0


def value_for(expect: Expect, target: float, agree: bool) -> float:
    """A number that meets the expectation (``agree``) or misses it clearly."""
    if expect.kind == "at_most":
        return target * 0.5 if agree else target * 2 + 1
    if expect.kind == "at_least":
        return target * 2 + 1 if agree else target * 0.5
    if agree:
        return target
    return target * (1 + 3 * expect.tolerance) + 1


def synthetic(claim: Claim, agree: bool) -> tuple[ResultSet, dict[str, float]]:
    """A table (and probe values) where every voting check of ``claim`` agrees, or none does."""
    values: dict[Side, dict[str, float]] = {}
    for comparison in claim.comparisons:
        for check in comparison.checks:
            if not check.votes or check.expect is None:
                continue
            baseline = side_config(comparison.baseline) if comparison.baseline is not None else {}
            target = check.expect.target(side_config(comparison.candidate), baseline)
            wanted = value_for(check.expect, target, agree)
            mine = values.setdefault(comparison.candidate, {})
            if comparison.baseline is None:
                mine[check.metric] = wanted
                continue
            theirs = values.setdefault(comparison.baseline, {})
            if check.metric in mine:
                theirs[check.metric] = mine[check.metric] / wanted
            else:
                theirs.setdefault(check.metric, BASE)
                mine[check.metric] = wanted * theirs[check.metric]
    rows: list[dict[str, Any]] = []
    for side, metrics in values.items():
        spread = {"latency_iqr_ms": 0.0, "runs": 100} if "latency_ms" in metrics else {}
        rows.append({
            "entry": side.entry, "config": side_config(side), "batch": side.batch, "device": "cpu", "dtype": "fp32",
            "mode": side.mode, "status": "ok", **metrics, **spread,
        })
    probes = {p.key: value_for(p.expect, p.expect.value, agree) for p in claim.probes}
    return result_set(rows), probes


IN_SCOPE = [c for c in all_claims() if c.scope is None]


@pytest.mark.parametrize("claim", IN_SCOPE, ids=lambda c: c.id)
def test_the_claim_holds_where_its_checks_agree(claim: Claim) -> None:
    table, probes = synthetic(claim, agree=True)
    verdict = judge([claim], table, "cpu", probes)[0]
    assert {verdict.cost, verdict.hardware} <= {"holds", "not claimed"}, verdict.summary
    assert "holds" in (verdict.cost, verdict.hardware)


@pytest.mark.parametrize("claim", IN_SCOPE, ids=lambda c: c.id)
def test_the_claim_is_refuted_where_its_checks_disagree(claim: Claim) -> None:
    table, probes = synthetic(claim, agree=False)
    verdict = judge([claim], table, "cpu", probes)[0]
    assert {verdict.cost, verdict.hardware} <= {"refuted", "not claimed"}, verdict.summary
    assert "refuted" in (verdict.cost, verdict.hardware)


def test_every_check_says_how_it_could_fail_or_why_it_does_not_vote() -> None:
    for claim in all_claims():
        for comparison in claim.comparisons:
            for check in comparison.checks:
                assert (check.could_fail or check.context or "").strip(), (claim.id, comparison.label, check.label)
        for probe in claim.probes:
            assert probe.could_fail.strip(), (claim.id, probe.key)


def test_out_of_scope_claims_say_why_and_show_context_only() -> None:
    out = [c for c in all_claims() if c.scope is not None]
    assert [c.id for c in out] == ["gmlp-long-sequences"]
    verdict = judge(out, ResultSet(), "cpu")[0]
    assert (verdict.cost, verdict.hardware) == ("out of scope", "out of scope")
    assert all(not check.votes for check in verdict.checks)


def test_latency_votes_only_where_the_seed_claims_speed_or_time() -> None:
    timed = {c.id for c in all_claims() for comparison in c.comparisons for check in comparison.checks if check.votes and check.metric == "latency_ms"}
    assert timed == {
        "cbam-overhead", "swish-vs-relu", "dropblock-free-at-inference", "s2mlp-vs-conv", "sparse-connections-not-faster", "conv-vs-fc",
    }

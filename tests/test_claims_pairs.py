"""Claims measure their latency comparisons as pair tasks, find each comparison's own pair, and resume them.

Planning and lookups are checked on data alone; the resume test measures tiny entries with the
quick plan in this process. No timing is asserted: only which records exist and which
statistics are computed from them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from modbench.claims.check import PairRequest, Plan, Request, build_specs, claim_plan, merge_pairs
from modbench.claims.estimates import latency_ratio
from modbench.claims.expect import at_most
from modbench.claims import all_claims
from modbench.claims.lookup import Results
from modbench.claims.schema import Claim, Comparison, Side, context, vote
from modbench.claims.sides import side_config, side_record_key
from modbench.claims.sources import SEED_003
from modbench.claims.sweeps import BATCH_CURVES
from modbench.claims.verdict import judge
from modbench.commands.report import report_plan
from modbench.metrics.pairs import PairSpec, members, unfinished
from modbench.report.tables import batch_curve_ratios
from modbench.results import RunLog, RunWriter, read_run
from modbench.run.worker import execute
from modbench.run.session import resume_run
from modbench.spec import EntrySpec, Settings, Spec
from modbench.stats import paired_ratio, unpaired_ratio
from modbench.text import format_interval
from tests.claim_rows import result_set

BASE = Side.of("conv2d", in_channels=8, out_channels=8, hw=8)
FAST = Side.of("ghost", in_channels=8, out_channels=8, hw=8)
OTHER = Side.of("conv2d", in_channels=8, out_channels=8, kernel_size=1, hw=8)
FASTER = vote("latency_ms", at_most(0.95), "test")
FEWER = vote("params", at_most(0.95), "test")


def comparison_claim(*comparisons: Comparison) -> Claim:
    return Claim(id="test", number="0", statement="test", seed=SEED_003, quotes=(), comparisons=comparisons)


def test_latency_comparisons_are_pairs_and_count_comparisons_plain_specs() -> None:
    claim = comparison_claim(
        Comparison("timed", FAST, BASE, (FEWER, FASTER)),
        Comparison("counted", OTHER, BASE, (FEWER,)),
    )
    plan = claim_plan([claim])
    [pair] = plan.pairs
    assert pair.sides == (BASE, FAST) and pair.metrics == frozenset({"params", "latency"})  # baseline first
    # BASE is counted by the second comparison too, but measured in its pair, not a second time alone
    assert [r.side for r in plan.requests] == [OTHER] and plan.requests[0].metrics == frozenset({"params"})
    tasks = build_specs(plan, "cpu", threads=1)
    assert [type(task) for task in tasks] == [Spec, PairSpec]
    paired = tasks[1]
    assert isinstance(paired, PairSpec) and [s.key.entry for s in paired.specs] == ["conv2d", "ghost"]
    assert paired.settings.metrics == ("params", "latency")
    # without latency there is nothing to interleave: every side alone, each once
    alone = build_specs(plan, "cpu", allowed=("params",), threads=1)
    assert all(isinstance(task, Spec) for task in alone) and len({t.key for t in alone}) == len(alone) == 3


def test_each_planned_spec_is_stored_under_the_key_its_side_is_looked_up_by() -> None:
    trained = Side.of("conv2d", batch=4, mode="train", in_channels=8, out_channels=8, hw=8)
    claim = comparison_claim(Comparison("timed", FAST, BASE, (FASTER,)), Comparison("counted", OTHER, trained, (FEWER,)))
    plan = claim_plan([claim])
    tasks = build_specs(plan, "cpu", threads=3)
    specs = [spec for task in tasks for spec in (task.specs if isinstance(task, PairSpec) else (task,))]
    by_key = {spec.key.unplaced(): spec for spec in specs}
    assert len(by_key) == len(specs) == 4 and set(by_key) == {side_record_key(side) for side in plan.sides()}
    spec = by_key[side_record_key(trained)]
    assert (spec.key.entry, spec.key.batch, spec.key.mode, spec.key.device, spec.key.threads) == ("conv2d", 4, "train", "cpu", 3)
    assert spec.key.config_dict == side_config(trained)


def test_a_side_finds_its_records_on_each_device_but_none_under_a_knob_or_another_dtype() -> None:
    results = Results(result_set([
        rounds_row(BASE, None, [1.0] * 5, "2026-01-01T00:00:01"),
        dict(rounds_row(BASE, None, [0.1] * 5, "2026-01-01T00:00:02"), device="cuda", threads=1),
        rounds_row(BASE, None, [0.5] * 5, "2026-01-01T00:00:03", channels_last=True),  # later, but another measurement
        dict(rounds_row(BASE, None, [0.7] * 5, "2026-01-01T00:00:04"), dtype="bf16"),
    ]))
    assert results.number(BASE, "latency_ms", "cpu") == pytest.approx(1.0)
    assert results.number(BASE, "latency_ms", "cuda") == pytest.approx(0.1)
    assert results.value(FAST, "latency_ms", "cpu") == (None, f"latency_ms of {FAST.describe()} not measured on cpu")


def test_a_context_latency_ratio_is_paired_too_but_a_candidates_own_latency_is_not() -> None:
    shown = comparison_claim(Comparison("shown", FAST, BASE, (FEWER, context("latency_ms"))))
    own = comparison_claim(Comparison("own", FAST, BASE, (FEWER, vote("latency_ms", at_most(1.0), "test", on="candidate"))))
    assert len(claim_plan([shown]).pairs) == 1
    assert claim_plan([own]).pairs == ()


def test_a_side_in_several_comparisons_is_in_several_pairs_and_repeats_merge() -> None:
    claim = comparison_claim(
        Comparison("a", FAST, BASE, (FASTER,)),
        Comparison("b", OTHER, BASE, (FASTER,)),
        Comparison("a again", FAST, BASE, (FEWER, FASTER)),
    )
    pairs = claim_plan([claim]).pairs
    assert [p.sides for p in pairs] == [(BASE, FAST), (BASE, OTHER)]
    assert pairs[0].metrics == frozenset({"params", "latency"})


def test_a_pair_inside_a_larger_one_is_folded_into_it() -> None:
    curve = PairRequest((BASE, FAST, OTHER), frozenset({"latency"}), quick=True)
    claimed = PairRequest((OTHER, FAST), frozenset({"params", "latency"}))
    [merged] = merge_pairs([claimed, curve])
    assert merged.sides == curve.sides and merged.metrics == frozenset({"params", "latency"}) and not merged.quick
    # a catalog request of a side in the pair is measured in it, for its metrics too
    plan = Plan.of([Request(FAST, frozenset({"memory"}), quick=True)], [curve])
    assert plan.requests == () and plan.pairs[0].metrics == frozenset({"latency", "memory"})


def rounds_row(side: Side, pair: str | None, rounds: list[float], timestamp: str = "2026-01-01T00:00:00", **values: Any) -> dict[str, Any]:
    """A record of ``side`` timed in rounds (per-round medians ``rounds``, ms), one sample per round."""
    return {
        "entry": side.entry, "config": side_config(side), "batch": 1, "device": "cpu", "mode": "infer",
        "timestamp": timestamp, "pair": pair,
        "latency_samples_s": [r / 1e3 for r in rounds], "latency_calls_per_sample": 1,
        "latency_round_s": [r / 1e3 for r in rounds] if pair else None, **values,
    }


BASE_WITH_FAST = [1.00, 1.10, 0.95, 1.30, 1.02, 0.99]
FAST_WITH_BASE = [0.50, 0.56, 0.47, 0.66, 0.51, 0.50]
BASE_WITH_OTHER = [2.00, 2.10, 1.90, 2.20, 2.05, 1.95]
OTHER_WITH_BASE = [1.00, 1.05, 0.97, 1.10, 1.00, 1.00]


def several_pairs() -> Results:
    return Results(result_set([
        rounds_row(BASE, "p1", BASE_WITH_FAST, "2026-01-01T00:00:01"),
        rounds_row(FAST, "p1", FAST_WITH_BASE, "2026-01-01T00:00:01"),
        rounds_row(BASE, "p2", BASE_WITH_OTHER, "2026-01-01T00:00:02"),  # BASE's latest record is of the other pair
        rounds_row(OTHER, "p2", OTHER_WITH_BASE, "2026-01-01T00:00:02"),
    ]))


def test_lookup_reads_each_comparison_from_its_own_pair() -> None:
    results = several_pairs()
    found, why = latency_ratio(results, FAST, BASE, "cpu")
    assert why is None and found is not None and found.estimate is not None
    assert found.candidate.record.pair == found.baseline.record.pair == "p1"
    ms = [r / 1e3 for r in FAST_WITH_BASE], [r / 1e3 for r in BASE_WITH_FAST]
    assert found.estimate == paired_ratio(*ms) and found.estimate.paired
    assert found.ratio == found.estimate.ratio
    other, _ = latency_ratio(results, OTHER, BASE, "cpu")
    assert other is not None and other.baseline.record.pair == "p2"


def test_the_latest_pair_wins_when_a_comparison_was_paired_in_several_runs() -> None:
    later = [0.40, 0.41, 0.39, 0.42, 0.40, 0.40]
    rows = [
        rounds_row(BASE, "old", BASE_WITH_FAST, "2026-01-01T00:00:00"),
        rounds_row(FAST, "old", FAST_WITH_BASE, "2026-01-01T00:00:00"),
        rounds_row(BASE, "new", BASE_WITH_FAST, "2026-01-02T00:00:00"),
        rounds_row(FAST, "new", later, "2026-01-02T00:00:00"),
    ]
    found, _ = latency_ratio(Results(result_set(rows)), FAST, BASE, "cpu")
    assert found is not None and found.candidate.record.pair == "new"


def test_records_that_are_no_pair_fall_back_to_the_unpaired_estimate() -> None:
    rows = [rounds_row(BASE, None, BASE_WITH_FAST), rounds_row(FAST, None, FAST_WITH_BASE)]
    found, _ = latency_ratio(Results(result_set(rows)), FAST, BASE, "cpu")
    assert found is not None and found.estimate is not None and not found.estimate.paired
    assert found.estimate == unpaired_ratio(found.candidate.samples, found.baseline.samples)


def test_a_verdict_uses_the_paired_interval_and_says_so() -> None:
    claim = comparison_claim(Comparison("a", FAST, BASE, (FASTER,)), Comparison("b", OTHER, BASE, (FASTER,)))
    first, second = judge([claim], result_set(result_set_rows()))[0].checks
    expected = paired_ratio([r / 1e3 for r in FAST_WITH_BASE], [r / 1e3 for r in BASE_WITH_FAST])
    assert (first.low, first.high, first.measured, first.paired, first.rounds) == (expected.low, expected.high, expected.ratio, True, 6)
    assert first.outcome == "holds" and second.paired and second.outcome == "undecided"  # about 0.97, straddling 0.95
    assert "paired interval" in (second.note or "")


def test_a_latency_timed_under_load_is_undecided_even_when_its_interval_is_clear() -> None:
    claim = comparison_claim(Comparison("a", FAST, BASE, (FASTER,)))
    rows = [
        rounds_row(BASE, "p1", BASE_WITH_FAST),
        rounds_row(FAST, "p1", FAST_WITH_BASE, noisy=True, sentinel_slowdown=0.4),
    ]
    [quiet] = judge([claim], result_set({**row, "noisy": False} for row in rows))[0].checks
    [loaded] = judge([claim], result_set(rows))[0].checks
    assert quiet.outcome == "holds" and (loaded.low, loaded.high) == (quiet.low, quiet.high)
    assert loaded.outcome == "undecided" and loaded.noisy
    assert "not judged: its paired interval alone would say holds" in (loaded.note or "")
    assert "sentinel up to 40% slower than quiet" in (loaded.note or "")


def result_set_rows() -> list[dict[str, Any]]:
    return [
        rounds_row(BASE, "p1", BASE_WITH_FAST, "2026-01-01T00:00:01"),
        rounds_row(FAST, "p1", FAST_WITH_BASE, "2026-01-01T00:00:01"),
        rounds_row(BASE, "p2", BASE_WITH_OTHER, "2026-01-01T00:00:02"),
        rounds_row(OTHER, "p2", [1.80, 2.10, 1.95, 2.00, 2.05, 1.85], "2026-01-01T00:00:02"),
    ]


def test_a_run_file_keeps_a_sides_record_of_every_pair(tmp_path: Path) -> None:
    records = list(result_set(result_set_rows()))
    failed = dataclasses.replace(records[0], status="failed", pair=None, latency=None)
    log = RunLog(tmp_path / "run.jsonl", "run", None, [failed, *records])
    kept = log.latest()
    assert [(r.key.entry, r.pair) for r in kept] == [(r.key.entry, r.pair) for r in records]  # the failure was resumed
    assert RunLog(log.path, "run", None, [*records, failed]).latest()[-1] is failed  # the last written still comes last


TINY = {"channels": 4, "hw": 8}
QUICK = Settings(metrics=("latency",), quick=True, threads=1)


def test_resume_with_overlapping_pairs_measures_each_missing_pair_once(tmp_path: Path) -> None:
    relu, swish, silu = (Spec(EntrySpec.of(name, TINY), 1, QUICK) for name in ("relu", "swish", "silu"))
    plan = [PairSpec((relu, swish)), PairSpec((swish, silu)), PairSpec((relu, silu))]
    with RunWriter.create(tmp_path, [task.to_plan() for task in plan], isolate=False) as writer:
        for task in plan[:2]:  # the run stopped after two pairs: every key has an ok record, the third pair none
            for record in execute(task):
                writer.append(record)
    log = read_run(writer.path)
    assert {r.key for r in log.records} == {s.key for t in plan for s in members(t)}
    assert unfinished(plan, log.records) == [plan[2]]
    outcome = resume_run(log)
    records = read_run(writer.path).records
    assert len(records) == 6 and all(r.ok for r in records)
    new = records[4:]
    assert [r.key for r in new] == [relu.key, silu.key] and new[0].pair == new[1].pair not in {r.pair for r in records[:4]}
    assert unfinished(plan, records) == []
    assert len(outcome.records) == 6  # the outcome keeps every pair's records of a key
    resume_run(read_run(writer.path))  # nothing is left: a second resume measures nothing
    assert len(read_run(writer.path).records) == 6


@pytest.mark.parametrize("interrupted_member", [0, 1])
def test_a_pair_missing_one_members_record_is_not_done(interrupted_member: int) -> None:
    relu, swish = (Spec(EntrySpec.of(name, TINY), 1, QUICK) for name in ("relu", "swish"))
    pair = PairSpec((relu, swish))
    rows = [rounds_row(Side.of("relu", **TINY), "p", [1.0] * 5), rounds_row(Side.of("swish", **TINY), "p", [1.0] * 5)]
    records = [dataclasses.replace(r, key=dataclasses.replace(r.key, threads=1)) for r in result_set(rows)]
    assert unfinished([pair], records) == []
    assert unfinished([pair], records[:interrupted_member] + records[interrupted_member + 1:]) == [pair]


def test_the_report_times_each_batch_size_of_a_curve_as_one_pair() -> None:
    plan = report_plan(all_claims(), quick=False)
    for curve in BATCH_CURVES:
        for batch in curve.batches:
            keys = {side_record_key(side.at(batch)) for side in curve.sides}
            assert any(keys <= pair.keys for pair in plan.pairs), (curve.title, batch)


def test_batch_curves_show_the_paired_ratio_with_its_interval() -> None:
    curve = BATCH_CURVES[0]
    ghost, conv = (side.at(2) for side in curve.sides)
    rows = [dict(rounds_row(conv, "c", BASE_WITH_FAST), batch=2), dict(rounds_row(ghost, "c", FAST_WITH_BASE), batch=2, noisy=True)]
    table = batch_curve_ratios(Results(result_set(rows)), "cpu")
    [row] = table[(table["curve"] == curve.title) & (table["batch"] == 2)].to_dict("records")
    expected = paired_ratio([r / 1e3 for r in BASE_WITH_FAST], [r / 1e3 for r in FAST_WITH_BASE])  # to the first side, ghost
    assert row["ratio"] == f"{curve.labels[1]} / {curve.labels[0]}"
    assert row["latency ratio"] == expected.ratio and row["interval"] == format_interval(expected.low, expected.high)
    assert row["estimate"] == "paired" and row["noise"] == "noisy"
    assert table[table["batch"] == 1]["interval"].eq("").all()  # not measured: a gap, not a guess

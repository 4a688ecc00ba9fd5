"""Pair tasks: two specs measured together, latencies interleaved (structure only; no timing asserted)."""

from __future__ import annotations

import dataclasses

import pytest

from modbench.errors import UsageError
from modbench.metrics.pairs import PairSpec, members, paired_estimate, plan_item, plan_pairs
from modbench.run.worker import execute
from modbench.spec import EntrySpec, Settings, Spec
from modbench.stats import paired_ratio

RELU, SWISH = EntrySpec.of("relu", {"channels": 4, "hw": 8}), EntrySpec.of("swish", {"channels": 4, "hw": 8})
QUICK = Settings(metrics=("flops", "latency"), quick=True, threads=1)


def test_plan_pairs_makes_one_task_per_batch_and_mode_with_every_subject() -> None:
    infer, train = QUICK, dataclasses.replace(QUICK, mode="train")
    pairs = plan_pairs([RELU, SWISH], [1, 2], [infer, train])
    assert [(p.specs[0].key.batch, p.specs[0].key.mode) for p in pairs] == [(1, "infer"), (2, "infer"), (1, "train"), (2, "train")]
    assert all([s.key.entry for s in p.specs] == ["relu", "swish"] for p in pairs)
    assert members(pairs[0]) == pairs[0].specs and members(pairs[0].specs[0]) == (pairs[0].specs[0],)
    assert [plan_item(p.to_plan()) for p in pairs] == pairs  # a run header can plan pairs, so they resume
    assert plan_item(pairs[0].specs[0].to_plan()) == pairs[0].specs[0]


def test_a_pair_must_be_two_specs_alike_that_time_latency() -> None:
    one = Spec(RELU, 1, QUICK)
    with pytest.raises(UsageError, match="two or more"):
        PairSpec((one,))
    with pytest.raises(UsageError, match="share batch size and settings"):
        PairSpec((one, Spec(SWISH, 2, QUICK)))
    with pytest.raises(UsageError, match="interleaves latencies"):
        PairSpec((Spec(RELU, 1, Settings(metrics=("flops",))), Spec(SWISH, 1, Settings(metrics=("flops",)))))


def test_a_pair_measured_in_process_gives_paired_records() -> None:
    [pair] = plan_pairs([RELU, SWISH], [1], [QUICK])
    relu, swish = execute(pair)
    assert relu.ok and swish.ok and relu.pair == swish.pair is not None
    assert relu.flops == 4 * 8 * 8 and swish.flops == 2 * relu.flops  # the other metrics as each alone
    assert len(relu.latency.round_s) == len(swish.latency.round_s) == 5
    assert relu.noisy in (True, False) and relu.sentinel_attempts >= 1
    estimate = paired_estimate(swish, relu)
    assert estimate == paired_ratio(swish.latency.round_s, relu.latency.round_s) and estimate.paired
    assert paired_estimate(swish, dataclasses.replace(relu, pair="another")) is None


def test_a_failing_pair_records_every_member_failed() -> None:
    wrong_input = EntrySpec.of("conv2d", {"in_channels": 3}, input_shape=(1, 5, 8, 8))  # 5 channels into a 3-channel conv
    records = execute(PairSpec((Spec(RELU, 1, QUICK), Spec(wrong_input, 1, QUICK))))
    assert [r.status for r in records] == ["failed", "failed"] and records[0].error == records[1].error
    assert [r.key.entry for r in records] == ["relu", "conv2d"]

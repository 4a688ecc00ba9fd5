"""Latency: structure and consistency only (timings on a shared machine are never asserted)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch import nn

from modbench.metrics.core import achieved_gflops, measure_spec
from modbench.records import Latency
from modbench.metrics.latency import DEFAULT_PLAN, PRECISE_SPAN_S, QUICK_PLAN, TimedModule, TimingPlan, interleaved_rounds, plan_for, time_interleaved, time_step
from modbench.stats import BLOCKS_FROM
from modbench.metrics.target import module_target
from modbench.spec import Settings, Spec


def small_block() -> nn.Module:
    return nn.Sequential(nn.Linear(16, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 4))


@pytest.mark.parametrize("mode", ["infer", "train"])
def test_median_and_iqr_are_consistent_with_the_samples(mode: str) -> None:
    stats = time_step(small_block(), (torch.randn(8, 16),), mode, quick=True)
    assert len(stats.samples_s) >= QUICK_PLAN.min_samples
    assert min(stats.samples_s) <= stats.median_s <= max(stats.samples_s)
    assert 0 <= stats.iqr_s <= max(stats.samples_s) - min(stats.samples_s)
    assert stats.calls_per_sample >= 1
    assert stats.runs == len(stats.samples_s) * stats.calls_per_sample >= 1
    assert stats.median_ms == pytest.approx(stats.median_s * 1e3)
    assert stats.throughput(8) == pytest.approx(8 / stats.median_s)


def test_threads_are_pinned_for_the_measurement_and_restored_after() -> None:
    class SeesThreads(nn.Linear):
        seen: set[int] = set()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.seen.add(torch.get_num_threads())
            return super().forward(x)

    before = torch.get_num_threads()
    time_step(SeesThreads(8, 8), (torch.randn(2, 8),), threads=1, quick=True)
    assert SeesThreads.seen == {1}
    assert torch.get_num_threads() == before


def test_a_train_step_leaves_the_module_as_it_found_it() -> None:
    module = small_block().eval()
    running_mean = module[1].running_mean.clone()
    time_step(module, (torch.randn(8, 16),), "train", quick=True)
    assert not any(m.training for m in module.modules())
    assert torch.equal(module[1].running_mean, running_mean)  # train-mode BN updates were undone
    assert all(p.grad is None for p in module.parameters())


def test_a_parameterless_block_trains_through_its_input_gradient() -> None:
    stats = time_step(nn.ReLU(), (torch.randn(4, 8),), "train", quick=True)
    assert stats.runs >= 1
    with pytest.raises(ValueError, match="differentiable output"):
        time_step(nn.ReLU(), (torch.randn(4, 8),), "train", quick=True, input_grad=False)


def test_the_record_carries_latency_and_its_derived_columns() -> None:
    target = module_target(nn.Linear(32, 64), torch.randn(4, 32), name="lin")
    record = measure_spec(Spec(target, 4, Settings(metrics=("flops", "latency"), quick=True, threads=1)))
    assert record.key.threads == 1
    assert record.latency_ms > 0 and record.latency_iqr_ms >= 0 and record.runs >= 1
    assert record.throughput == pytest.approx(4 / (record.latency_ms / 1e3))
    assert record.flops == 2 * 4 * 32 * 64
    assert record.gflops_achieved == pytest.approx(record.flops / (record.latency_ms / 1e3) / 1e9)


def test_achieved_gflops_is_left_empty_where_it_would_mislead() -> None:
    assert achieved_gflops(None, None, 1e-3, "infer") is None
    assert achieved_gflops(10**9, None, 1e-3, "train") is None  # no backward count: the step's FLOPs are unknown
    assert achieved_gflops(10**9, None, 1e-3, "infer") == pytest.approx(1000.0)
    assert achieved_gflops(10**9, 2 * 10**9, 1e-3, "train") == pytest.approx(3000.0)  # forward + loss + backward


def test_interleaved_rounds_alternate_the_order_and_keep_every_sample() -> None:
    a, b = nn.Linear(16, 16), nn.Sequential(nn.Linear(16, 64), nn.ReLU(), nn.Linear(64, 16))
    x = torch.randn(4, 16)
    timing = time_interleaved([TimedModule("a", a, (x,)), TimedModule("b", b, (x,))], quick=True, threads=1)
    assert timing.orders == ((0, 1), (1, 0), (0, 1), (1, 0), (0, 1))  # A B B A A B ...
    for side in timing.sides:
        assert len(side.round_s) == QUICK_PLAN.rounds
        assert len(side.samples_s) >= len(side.round_s) and len(side.samples_s) % len(side.round_s) == 0
        assert min(side.samples_s) <= min(side.round_s) and max(side.round_s) <= max(side.samples_s)
        assert side.threads == 1 and side.latency().runs == len(side.samples_s) * side.calls_per_sample
    ratios = timing.round_ratios(1, 0)
    assert ratios == tuple(rb / ra for ra, rb in zip(timing.side("a").round_s, timing.side("b").round_s))
    estimate = timing.ratio(1, 0)
    assert estimate.paired and estimate.rounds == QUICK_PLAN.rounds
    assert estimate.ratio == pytest.approx(float(np.median(ratios)))
    assert estimate.low <= estimate.ratio <= estimate.high


def test_three_sides_alternate_too_and_a_single_side_is_refused() -> None:
    x = torch.randn(2, 8)
    sides = [TimedModule(name, nn.Linear(8, 8), (x,)) for name in "abc"]
    timing = time_interleaved(sides, quick=True, threads=1)
    assert timing.orders[:2] == ((0, 1, 2), (2, 1, 0))
    assert [side.label for side in timing.sides] == ["a", "b", "c"]
    with pytest.raises(KeyError, match="no side 'd'"):
        timing.side("d")
    with pytest.raises(ValueError, match="two or more"):
        time_interleaved(sides[:1], quick=True)


def test_interleaved_train_steps_leave_the_modules_as_they_were() -> None:
    module = small_block().eval()
    running_mean = module[1].running_mean.clone()
    time_interleaved([TimedModule("a", module, (torch.randn(8, 16),)), TimedModule("b", nn.Linear(16, 4), (torch.randn(8, 16),))],
                     "train", quick=True, threads=1)
    assert not module.training and torch.equal(module[1].running_mean, running_mean)
    assert all(p.grad is None for p in module.parameters())


def test_a_plan_with_fewer_than_five_rounds_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 5 rounds"):
        TimingPlan(warmup_s=0, min_run_time_s=0.1, rounds=4, round_time_s=0.01, block_s=0.001, min_samples=1)


def test_latency_statistics_are_derived_from_the_samples() -> None:
    stats = Latency(samples_s=(1.0, 2.0, 3.0, 4.0, 100.0), calls_per_sample=10)
    assert stats.median_s == 3.0 and stats.iqr_s == 2.0 and stats.runs == 50
    low, high = stats.ci_s
    assert 1.0 <= low <= 3.0 <= high <= 100.0


class ScriptedStep:
    """A stand-in for a prepared step whose blocks take scripted times: the stopping rule without a clock."""

    def __init__(self, label: str, times: Iterator[float]) -> None:
        self.label, self.threads, self._times = label, 1, times

    def block(self, number: int) -> float:
        return next(self._times)

    def calibrate(self, block_s: float) -> int:
        return 1


def steady(seconds: float) -> Iterator[float]:
    return itertools.repeat(seconds)


def noisy(seconds: float, spread: float, seed: int) -> Iterator[float]:
    rng = np.random.default_rng(seed)
    while True:
        yield seconds * float(rng.lognormal(0.0, spread))


# One block per side per round (block_s and round_time_s equal), no warm-up.
SCRIPTED = TimingPlan(warmup_s=0.0, min_run_time_s=0.0, rounds=6, round_time_s=1.0, block_s=1.0, min_samples=1)


def test_without_a_precision_the_plan_s_rounds_are_all_that_is_timed() -> None:
    timing = interleaved_rounds([ScriptedStep("a", noisy(1.0, 0.3, 1)), ScriptedStep("b", noisy(1.0, 0.3, 2))], SCRIPTED)
    assert [len(side.round_s) for side in timing.sides] == [6, 6]


def test_a_ratio_already_precise_stops_at_the_minimum_rounds() -> None:
    plan = replace(SCRIPTED, precision=0.01)
    timing = interleaved_rounds([ScriptedStep("a", steady(1.0)), ScriptedStep("b", steady(0.5))], plan)
    assert len(timing.orders) == plan.rounds
    assert timing.ratio(1, 0).ratio == pytest.approx(0.5)


def test_a_noisy_ratio_gets_rounds_until_it_is_precise_or_the_cap_is_reached() -> None:
    loose = replace(SCRIPTED, precision=0.10, max_rounds=400)
    timing = interleaved_rounds([ScriptedStep("a", noisy(1.0, 0.15, 3)), ScriptedStep("b", noisy(0.5, 0.15, 4))], loose)
    assert SCRIPTED.rounds < len(timing.orders) < loose.max_rounds
    assert timing.ratio(1, 0).relative_half_width <= 0.10 + 0.02  # the stopping check resamples fewer times than the final one
    capped = replace(SCRIPTED, precision=0.001, max_rounds=30)
    timing = interleaved_rounds([ScriptedStep("a", noisy(1.0, 0.15, 3)), ScriptedStep("b", noisy(0.5, 0.15, 4))], capped)
    assert len(timing.orders) == 30
    assert [len(side.round_s) for side in timing.sides] == [30, 30]
    assert timing.orders[-2:] == ((0, 1), (1, 0))  # the alternation goes on in the added rounds


def test_no_rounds_are_added_once_the_time_for_rounds_is_spent() -> None:
    spent = replace(SCRIPTED, precision=0.001, max_time_s=0.0)
    timing = interleaved_rounds([ScriptedStep("a", noisy(1.0, 0.15, 5)), ScriptedStep("b", noisy(0.5, 0.15, 6))], spent)
    assert len(timing.orders) == SCRIPTED.rounds


def test_a_precise_ratio_still_gets_rounds_until_they_span_the_minimum_time() -> None:
    spanned = replace(SCRIPTED, precision=0.01, min_span_s=0.05, max_rounds=100_000)
    started = time.perf_counter()
    timing = interleaved_rounds([ScriptedStep("a", steady(1.0)), ScriptedStep("b", steady(0.5))], spanned)
    assert time.perf_counter() - started >= spanned.min_span_s
    assert len(timing.orders) > spanned.rounds  # precise after the first rounds, yet timed on
    assert len(timing.orders) % 2 == 0 and timing.ratio(1, 0).ratio == pytest.approx(0.5)


def test_a_precision_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError, match="relative half-width"):
        replace(SCRIPTED, precision=1.5)


def test_a_precise_plan_spans_the_rounds_the_block_bootstrap_needs() -> None:
    precise = plan_for(False, 0.03)
    assert precise.precision == 0.03 and precise.rounds == BLOCKS_FROM and precise.min_span_s == PRECISE_SPAN_S
    sides = 2
    assert precise.max_rounds * sides * precise.round_time_s > precise.min_span_s  # the cap on rounds never cuts the span short
    assert plan_for(False) == DEFAULT_PLAN and plan_for(True) == QUICK_PLAN

"""Latency of one step (see :mod:`modbench.metrics.steps`), alone or in interleaved rounds with others.

Alone, :func:`time_step` uses ``torch.utils.benchmark.Timer.blocked_autorange``, which does what a
hand-written loop gets wrong: it pins the thread count, calibrates how many calls to group per
timed block so the clock's own cost vanishes, and synchronises the GPU around every block (its
default timer calls ``torch.accelerator.synchronize``), so CUDA numbers are wall-clock numbers, not
launch times. modbench adds a warm-up (first calls pay for oneDNN primitive creation, cuDNN
autotuning, allocator growth) and keeps every block's per-call time, from which the median, IQR
and a bootstrap interval are derived.

Two things compared are timed together by :func:`interleaved_rounds`: in one process, in rounds
whose order alternates (A B, B A, A B, …), each side timed in calibrated blocks with the same
synchronised clock. A change of machine load then slows both sides of a round instead of one side
of the comparison, and the ratio is the median of the per-round ratios with its bootstrap
interval (:func:`modbench.stats.paired_ratio`).

An ``infer`` step is timed as the bare statement ``module(*inputs)`` inside
``torch.inference_mode``, exactly what a user would time by hand, so modbench adds nothing to the
number; a ``train`` step is timed through :func:`modbench.metrics.steps.train_step`.
"""

from __future__ import annotations

import math
import time
import timeit
from collections.abc import Sequence
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.benchmark import Timer
from torch.utils.benchmark.utils.timer import timer as synchronized_clock

from modbench.metrics.state import preserved_state
from modbench.metrics.steps import Inputs, pinned_threads, step_inputs, train_step
from modbench.records import Latency
from modbench.stats import BLOCKS_FROM, RatioEstimate, paired_ratio

MIN_ROUNDS = 5


@dataclass(frozen=True)
class TimingPlan:
    """How long to warm up and to measure. ``quick`` trades precision for a whole-catalog run in seconds."""

    warmup_s: float
    min_run_time_s: float  # one step alone: blocked_autorange's total
    rounds: int  # interleaved: how many rounds (at least MIN_ROUNDS)
    round_time_s: float  # interleaved: time per side per round
    block_s: float  # interleaved: the length one calibrated block aims at
    min_samples: int  # one step alone: timed blocks at least, so a slow step still shows its spread
    precision: float | None = None  # interleaved: go on past `rounds` until every ratio's 95 % interval is this tight (relative half-width)
    max_rounds: int = 100  # interleaved, with a precision: rounds at most
    max_time_s: float = 60.0  # interleaved, with a precision: no further rounds once the rounds have taken this long
    min_span_s: float = 0.0  # interleaved, with a precision: rounds go on until they have taken at least this long

    def __post_init__(self) -> None:
        if self.rounds < MIN_ROUNDS:
            raise ValueError(f"interleaved timing needs at least {MIN_ROUNDS} rounds, got {self.rounds}")
        if self.precision is not None and not 0.0 < self.precision < 1.0:
            raise ValueError(f"precision is a relative half-width between 0 and 1 (0.03 = ±3 %), got {self.precision!r}")


DEFAULT_PLAN = TimingPlan(warmup_s=0.25, min_run_time_s=1.0, rounds=10, round_time_s=0.1, block_s=0.02, min_samples=5)
# Quick: no separate warm-up; the block-size calibration runs the step first.
QUICK_PLAN = TimingPlan(warmup_s=0.0, min_run_time_s=0.05, rounds=5, round_time_s=0.01, block_s=0.002, min_samples=3)


PRECISE_SPAN_S = 30.0
"""How long the rounds of a precise ratio last at least: long enough to average the host's states (see :func:`plan_for`)."""
PRECISE_MAX_ROUNDS = 400
"""Rounds at most for a precise ratio: more than :data:`PRECISE_SPAN_S` takes for two sides, so the span and ``max_time_s`` decide."""


def plan_for(quick: bool, precision: float | None = None) -> TimingPlan:
    """The quick or the default plan; with a ``precision``, interleaved rounds go on until each ratio is that precise.

    A precise ratio also takes at least :data:`~modbench.stats.BLOCKS_FROM` rounds, and its
    rounds last at least :data:`PRECISE_SPAN_S`. The state of a shared host (what its other
    tenants run) holds for seconds, and two blocks do not feel it alike, so the ratio itself moves
    with it; rounds that all see one state give an interval precise about that window only. Here
    (a 2-vCPU KVM guest on AMD EPYC), Ghost / conv2d at one thread timed over 8-s windows (the
    forty rounds this plan used to stop at) read 0.64–0.74 one after the other in one process, and
    five processes read 0.61–0.72 (spread 15 %), each with an interval of about ±2 %. Timed over
    160 rounds (about 35 s), four processes read 0.676–0.688 (spread 1.8 %), every interval
    covering the others. From forty rounds on the interval is a block bootstrap, which keeps the
    dependence of neighbouring rounds.
    """
    plan = QUICK_PLAN if quick else DEFAULT_PLAN
    if precision is None:
        return plan
    return replace(plan, precision=precision, rounds=max(plan.rounds, BLOCKS_FROM),
                   max_rounds=max(plan.max_rounds, PRECISE_MAX_ROUNDS), min_span_s=PRECISE_SPAN_S)


@dataclass
class PreparedStep:
    """One step ready to time: a statement with its globals, built once, timed in blocks of calls.

    The module must already be in the step's mode (inside :func:`modbench.metrics.state.preserved_state`).
    """

    label: str
    statement: str
    namespace: dict[str, Any]
    inference: bool  # run under torch.inference_mode
    threads: int
    _timer: timeit.Timer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._timer = timeit.Timer(self.statement, globals=self.namespace, timer=synchronized_clock)

    def torch_timer(self) -> Timer:
        """The same statement as a ``torch.utils.benchmark.Timer``, for ``blocked_autorange``."""
        return Timer(self.statement, globals=self.namespace, num_threads=self.threads)

    def mode_context(self) -> Any:
        return torch.inference_mode() if self.inference else nullcontext()

    def block(self, number: int) -> float:
        """Run ``number`` calls back to back on the synchronised clock; seconds per call."""
        with self.mode_context():
            return max(self._timer.timeit(number), 1e-9) / number

    def calibrate(self, block_s: float) -> int:
        """Calls per block so that one block lasts about ``block_s`` (at least one call); also warms the step up."""
        number = 1
        while True:
            per_call = self.block(number)
            if per_call * number >= block_s or number >= 1_000_000:
                return number
            number = min(1_000_000, max(number * 2, math.ceil(1.2 * block_s / per_call)))


def prepare_step(label: str, module: nn.Module, inputs: Inputs, mode: str, threads: int, input_grad: bool = True) -> PreparedStep:
    """A :class:`PreparedStep` for one ``mode`` step of ``module`` (already in that mode) on ``inputs``."""
    step_args = step_inputs(inputs, mode, input_grad)
    if mode == "train":
        return PreparedStep(label, "step(module, inputs)", {"step": train_step, "module": module, "inputs": step_args}, False, threads)
    return PreparedStep(label, "module(*inputs)", {"module": module, "inputs": step_args}, mode == "infer", threads)


def time_step(
    module: nn.Module,
    inputs: Inputs,
    mode: str = "infer",
    device: str = "cpu",
    threads: int | None = None,
    quick: bool = False,
    input_grad: bool = True,
) -> Latency:
    """Time one ``mode`` step of ``module`` on ``inputs`` (already on ``device``) at ``threads`` threads.

    ``threads`` defaults to the current intra-op thread count; ``input_grad`` is as in
    :func:`modbench.metrics.steps.step_inputs`. The module's training flags, buffers and RNG
    state are restored after. (``device`` needs no handling: the clock synchronises any accelerator.)
    """
    plan = plan_for(quick)
    threads = threads or torch.get_num_threads()
    with preserved_state(module, mode), pinned_threads(threads):
        step = prepare_step(module.__class__.__name__, module, inputs, mode, threads, input_grad)
        _warm_up(step, plan.warmup_s)
        with step.mode_context():
            measurement = step.torch_timer().blocked_autorange(min_run_time=plan.min_run_time_s)
        samples = list(measurement.times)
        while len(samples) < plan.min_samples:  # a step slower than the run time gave one block: no spread
            samples.append(step.block(measurement.number_per_run))
        if mode == "train":
            module.zero_grad(set_to_none=True)
    return Latency(samples_s=tuple(samples), calls_per_sample=measurement.number_per_run)


@dataclass(frozen=True)
class SideTiming:
    """One side of an interleaved timing: every block's per-call time, and the per-round medians."""

    label: str
    samples_s: tuple[float, ...]
    round_s: tuple[float, ...]  # round i: the median of this side's blocks in round i
    calls_per_sample: int
    threads: int

    def latency(self) -> Latency:
        """This side's samples and rounds as a record keeps them."""
        return Latency(self.samples_s, self.calls_per_sample, round_s=self.round_s)


@dataclass(frozen=True)
class InterleavedTiming:
    """Steps timed in alternating rounds in one process: raw samples of each side, and the round orders."""

    sides: tuple[SideTiming, ...]
    orders: tuple[tuple[int, ...], ...]  # round i timed the sides in this order

    def side(self, label: str) -> SideTiming:
        for side in self.sides:
            if side.label == label:
                return side
        raise KeyError(f"no side {label!r}; sides are {[side.label for side in self.sides]}")

    def round_ratios(self, numerator: int = 1, denominator: int = 0) -> tuple[float, ...]:
        """Per-round ratios of side ``numerator`` to side ``denominator`` (indices into :attr:`sides`)."""
        top, bottom = self.sides[numerator].round_s, self.sides[denominator].round_s
        return tuple(a / b for a, b in zip(top, bottom))

    def ratio(self, numerator: int = 1, denominator: int = 0, *, seed: int = 0) -> RatioEstimate:
        """The median of the per-round ratios with its bootstrap 95 % interval."""
        return paired_ratio(self.sides[numerator].round_s, self.sides[denominator].round_s, seed=seed)


def round_order(sides: int, index: int) -> tuple[int, ...]:
    """The order of round ``index``: even rounds in order, odd rounds reversed, so neither side always goes first."""
    forward = tuple(range(sides))
    return forward if index % 2 == 0 else forward[::-1]


def precise_enough(round_s: Sequence[Sequence[float]], precision: float) -> bool:
    """Whether every side's paired ratio to side 0 has a 95 % interval within ``±precision`` of it."""
    return all(
        paired_ratio(side, round_s[0], resamples=1000).relative_half_width <= precision for side in round_s[1:]
    )


def interleaved_rounds(steps: Sequence[PreparedStep], plan: TimingPlan = DEFAULT_PLAN) -> InterleavedTiming:
    """Time ``steps`` in alternating rounds; each side gets ``plan.round_time_s`` per round.

    ``plan.rounds`` rounds, then, with a ``plan.precision``, two more at a time until the rounds
    have taken ``plan.min_span_s`` and every ratio to the first step is that precise
    (:func:`precise_enough`), or until ``plan.max_rounds`` are done or the rounds have taken
    ``plan.max_time_s``. On a shared machine the per-round ratio of
    two small blocks varies by 10–13 %, so a ratio known to ±2 % takes about a hundred rounds, where
    ten give ±8 %: only a precision asked for pays that.

    Every step is warmed up and its block size calibrated once, before the first round, so each
    round is made of the same kind of block. Threads must already be pinned by the caller.
    """
    if len(steps) < 2:
        raise ValueError(f"interleaved timing compares two or more steps, got {len(steps)}")
    numbers = []
    for step in steps:
        _warm_up(step, plan.warmup_s)
        numbers.append(step.calibrate(plan.block_s))
    blocks = [max(1, round(plan.round_time_s / (step.block(number) * number))) for step, number in zip(steps, numbers)]
    samples: list[list[float]] = [[] for _ in steps]
    round_s: list[list[float]] = [[] for _ in steps]
    orders: list[tuple[int, ...]] = []

    def one_round() -> None:
        order = round_order(len(steps), len(orders))
        for index in order:
            times = [steps[index].block(numbers[index]) for _ in range(blocks[index])]
            samples[index].extend(times)
            round_s[index].append(float(np.median(times)))
        orders.append(order)

    def more_wanted() -> bool:
        """The stopping rule past ``plan.rounds`` (see above), with one look at the clock."""
        if plan.precision is None or len(orders) >= plan.max_rounds:
            return False
        spent = time.perf_counter() - started
        if spent >= plan.max_time_s:
            return False
        return spent < plan.min_span_s or not precise_enough(round_s, plan.precision)

    started = time.perf_counter()
    while len(orders) < plan.rounds:
        one_round()
    while more_wanted():
        one_round()
        if len(orders) < plan.max_rounds:
            one_round()  # two at a time: as many rounds in each order
    sides = tuple(
        SideTiming(step.label, tuple(samples[i]), tuple(round_s[i]), numbers[i], step.threads) for i, step in enumerate(steps)
    )
    return InterleavedTiming(sides, tuple(orders))


@dataclass(frozen=True)
class TimedModule:
    """What :func:`time_interleaved` times: a module and its inputs, already placed on the device."""

    label: str
    module: nn.Module
    inputs: Inputs
    input_grad: bool = True


def time_interleaved(
    modules: Sequence[TimedModule],
    mode: str = "infer",
    threads: int | None = None,
    quick: bool = False,
    plan: TimingPlan | None = None,
    precision: float | None = None,
) -> InterleavedTiming:
    """:func:`interleaved_rounds` of one ``mode`` step of each module, each module's state restored after.

    ``plan`` defaults to :func:`plan_for` ``(quick, precision)``.
    """
    threads = threads or torch.get_num_threads()
    with ExitStack() as stack:
        stack.enter_context(pinned_threads(threads))
        steps = []
        for timed in modules:
            stack.enter_context(preserved_state(timed.module, mode))
            steps.append(prepare_step(timed.label, timed.module, timed.inputs, mode, threads, timed.input_grad))
        timing = interleaved_rounds(steps, plan or plan_for(quick, precision))
        if mode == "train":
            for timed in modules:
                timed.module.zero_grad(set_to_none=True)
    return timing


def _warm_up(step: PreparedStep, seconds: float) -> None:
    """Run ``step`` until ``seconds`` have passed (nothing for 0), so one-time costs are paid before timing."""
    if seconds <= 0:
        return
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        step.block(1)

"""Latency of one step (see :mod:`modbench.metrics.steps`) with ``torch.utils.benchmark.Timer``.

The Timer does what a hand-written loop gets wrong: it pins the thread count, calibrates how many
calls to group per timed block so the clock's own cost vanishes, and synchronises the GPU around
every block (its default timer calls ``torch.accelerator.synchronize``), so CUDA numbers are
wall-clock numbers, not launch times. modbench adds a warm-up (first calls pay for oneDNN
primitive creation, cuDNN autotuning, allocator growth) and reports the median and inter-quartile
range of the per-call times, which resist the outliers a shared machine produces.

An ``infer`` step is timed as the bare statement ``module(*inputs)`` inside
``torch.inference_mode``, exactly what a user would time by hand, so modbench adds nothing to the
number; a ``train`` step is timed through :func:`modbench.metrics.steps.train_step`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.utils.benchmark import Timer

from modbench.metrics.state import preserved_state
from modbench.metrics.steps import Inputs, make_step, pinned_threads, step_inputs, synchronize, train_step


@dataclass(frozen=True)
class TimingPlan:
    """How long to warm up and to measure. ``quick`` trades precision for a whole-catalog run in seconds."""

    warmup_s: float
    min_run_time_s: float


DEFAULT_PLAN = TimingPlan(warmup_s=0.25, min_run_time_s=1.0)
# Quick: no separate warm-up; the Timer's own block-size calibration runs the step first.
QUICK_PLAN = TimingPlan(warmup_s=0.0, min_run_time_s=0.05)


@dataclass(frozen=True)
class LatencyStats:
    """Per-call times of one step: each sample is one timed block divided by its ``calls_per_sample``."""

    samples_s: tuple[float, ...]
    calls_per_sample: int
    median_s: float
    iqr_s: float
    threads: int

    @property
    def runs(self) -> int:
        """How many calls were timed in all (warm-up and calibration excluded)."""
        return len(self.samples_s) * self.calls_per_sample

    @property
    def median_ms(self) -> float:
        return self.median_s * 1e3

    @property
    def iqr_ms(self) -> float:
        return self.iqr_s * 1e3

    def throughput(self, batch: int) -> float:
        """Samples per second at ``batch`` samples per call."""
        return batch / self.median_s


def time_step(
    module: nn.Module,
    inputs: Inputs,
    mode: str = "infer",
    device: str = "cpu",
    threads: int | None = None,
    quick: bool = False,
    input_grad: bool = True,
) -> LatencyStats:
    """Time one ``mode`` step of ``module`` on ``inputs`` (already on ``device``) at ``threads`` threads.

    ``threads`` defaults to the current intra-op thread count; ``input_grad`` is as in
    :func:`modbench.metrics.steps.step_inputs`. The module's training flags, buffers and RNG
    state are restored after.
    """
    plan = QUICK_PLAN if quick else DEFAULT_PLAN
    threads = threads or torch.get_num_threads()
    step_args = step_inputs(inputs, mode, input_grad)
    with preserved_state(module, mode), pinned_threads(threads):
        if plan.warmup_s > 0:
            _warm_up(make_step(module, step_args, mode), device, plan.warmup_s)
        if mode == "train":
            timer = Timer("step(module, inputs)", globals={"step": train_step, "module": module, "inputs": step_args}, num_threads=threads)
        else:
            timer = Timer("module(*inputs)", globals={"module": module, "inputs": step_args}, num_threads=threads)
        with torch.inference_mode() if mode == "infer" else nullcontext():
            measurement = timer.blocked_autorange(min_run_time=plan.min_run_time_s)
        if mode == "train":
            module.zero_grad(set_to_none=True)
    return LatencyStats(
        samples_s=tuple(measurement.times),
        calls_per_sample=measurement.number_per_run,
        median_s=measurement.median,
        iqr_s=measurement.iqr,
        threads=threads,
    )


def _warm_up(step: Callable[[], Any], device: str, seconds: float) -> None:
    """Call ``step`` until ``seconds`` have passed (at least once), so one-time costs are paid before timing."""
    deadline = time.perf_counter() + seconds
    while True:
        step()
        synchronize(device)
        if time.perf_counter() >= deadline:
            return


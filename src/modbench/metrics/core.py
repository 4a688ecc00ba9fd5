"""Measure one target at one key (batch, device, dtype, mode, threads) into one :class:`Record`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import torch

from modbench.environment import current_environment
from modbench.errors import UsageError, closest
from modbench.metrics.counting import count_ops
from modbench.metrics.latency import time_step
from modbench.metrics.memory import peak_memory
from modbench.metrics.params import count_parameters
from modbench.metrics.state import MODES
from modbench.metrics.steps import pinned_threads, placed
from modbench.metrics.target import Target
from modbench.records import Record, RecordKey, canonical_config

METRICS = ("params", "flops", "latency", "memory")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class Settings:
    """How to measure: which metrics, where, at which precision, in which mode, on how many threads."""

    metrics: tuple[str, ...] = METRICS
    device: str = "cpu"
    dtype: str = "fp32"
    mode: str = "infer"
    threads: int = field(default_factory=torch.get_num_threads)
    quick: bool = False

    def __post_init__(self) -> None:
        check_metrics(self.metrics)
        _check_choice("device", self.device, DEVICES)
        _check_choice("dtype", self.dtype, tuple(DTYPES))
        _check_choice("mode", self.mode, MODES)
        if self.threads < 1:
            raise UsageError(f"threads must be a positive integer, got {self.threads}")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise UsageError("--device cuda was asked for but no CUDA device is available; use --device cpu")


def check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    """``metrics`` as a tuple once each is known to be one of :data:`METRICS`; none at all is a usage error too."""
    chosen = tuple(metrics)
    if not chosen:
        raise UsageError(f"no metric given; choose from: {', '.join(METRICS)} (e.g. --metrics params,flops)")
    for metric in chosen:
        _check_choice("metric", metric, METRICS)
    return chosen


def _check_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        hints = closest(value, choices) or list(choices)
        raise UsageError(f"unknown {what} {value!r}; choose from: {', '.join(choices)} (closest: {', '.join(hints)})")


class Keyed(Protocol):
    """What a record key needs: an entry name and a config (a :class:`Target`, or a runner's ``EntrySpec``)."""

    @property
    def name(self) -> str: ...

    @property
    def config(self) -> dict[str, Any]: ...


def record_key(target: Keyed, batch: int, settings: Settings) -> RecordKey:
    """The key a measurement of ``target`` at ``batch`` under ``settings`` is stored under."""
    return RecordKey(
        entry=target.name,
        config=canonical_config(target.config),
        batch=batch,
        device=settings.device,
        dtype=settings.dtype,
        mode=settings.mode,
        threads=settings.threads,
    )


def measure_target(target: Target, batch: int, settings: Settings) -> Record:
    """Measure ``target`` at ``batch``: every metric in ``settings.metrics``, in one record.

    Operations are counted on the module as built (counts do not depend on device or dtype);
    then the module and its inputs move to the record's device and dtype, and parameters,
    latency and memory are measured there, all at ``settings.threads`` CPU threads.
    Raises :class:`UsageError` when the target cannot be built or cannot take its input.
    """
    module, inputs = target.checked_build(batch)
    record = Record(key=record_key(target, batch, settings), env=current_environment(settings.device))
    input_grad = target.input_grad
    with pinned_threads(settings.threads):
        if "flops" in settings.metrics:
            ops = count_ops(module, inputs, settings.mode)
            record.macs = ops.macs
            record.macs_fvcore = ops.macs_fvcore
            record.flops = ops.flops
            record.flops_matmul = ops.flops_matmul
            record.flops_elementwise = ops.flops_elementwise
            record.unsupported_ops = list(ops.unsupported_ops)
            record.zero_cost_ops = list(ops.zero_cost_ops)
            record.counter_note = ops.counter_note
        module, inputs = placed(module, inputs, settings.device, DTYPES[settings.dtype])
        if "params" in settings.metrics:
            counts = count_parameters(module)
            record.params = counts.params
            record.params_trainable = counts.params_trainable
            record.buffers = counts.buffers
            record.param_bytes = counts.param_bytes
        if "latency" in settings.metrics:
            latency = time_step(
                module, inputs, settings.mode, settings.device, settings.threads, settings.quick, input_grad
            )
            record.latency_ms = latency.median_ms
            record.latency_iqr_ms = latency.iqr_ms
            record.runs = latency.runs
            record.throughput = latency.throughput(batch)
            record.gflops_achieved = achieved_gflops(record.flops, latency.median_s, settings.mode)
        if "memory" in settings.metrics:
            memory = peak_memory(
                module, inputs, settings.mode, settings.device,
                input_grad=input_grad, warm_up="latency" not in settings.metrics,
            )
            record.peak_bytes = memory.peak_bytes
            record.activation_bytes = memory.activation_bytes
            record.param_bytes = memory.param_bytes
    return record


def achieved_gflops(flops: int | None, seconds: float, mode: str) -> float | None:
    """FLOPs per second of the timed step, in GFLOP/s; ``None`` unless FLOPs were counted for that step.

    The counters count one forward pass, which is the whole of an ``infer`` step; a ``train``
    step's backward is not counted, so dividing a forward count by its time would understate
    the rate by an unknown factor.
    """
    if flops is None or mode != "infer":
        return None
    return flops / seconds / 1e9

"""Measure one spec (a target at one batch size, device, dtype, mode and thread count) into one :class:`Record`."""

from __future__ import annotations

import torch

from modbench.environment import current_environment
from modbench.errors import UsageError
from modbench.metrics.counting import count_ops
from modbench.metrics.latency import time_step
from modbench.metrics.memory import peak_memory
from modbench.metrics.params import count_parameters
from modbench.metrics.sentinel import shared_sentinel
from modbench.metrics.steps import pinned_threads, placed
from modbench.metrics.variants import with_knobs
from modbench.records import Record
from modbench.spec import DTYPES, Spec


def measure_spec(spec: Spec) -> Record:
    """Measure ``spec``: every measurement in its settings, in one record under its key.

    Operations are counted on the module as built (counts do not depend on device or dtype);
    then the module and its inputs move to the record's device and dtype, and parameters,
    latency and memory are measured there, all at ``settings.threads`` CPU threads, with the
    execution knobs (channels-last, autocast, torch.compile: :mod:`modbench.metrics.variants`)
    applied after the parameters are counted; a compiled module's first step is ``compile_s``.
    Raises :class:`UsageError` when the target cannot be built or cannot take its input, and
    when a timed entry sets the thread count itself (its record would name a count it did not run at).
    """
    target, batch, settings = spec.target(), spec.batch, spec.settings
    record = Record(key=spec.key, env=current_environment(settings.device))
    input_grad = target.input_grad
    with pinned_threads(settings.threads):
        module, inputs = target.checked_build(batch)
        _check_threads_kept(spec)
        if "flops" in settings.metrics:
            ops = count_ops(module, inputs, settings.mode, input_grad=input_grad, cross_check=settings.cross_check)
            record.macs = ops.macs
            record.macs_fvcore = ops.macs_fvcore
            record.flops = ops.flops
            record.flops_matmul = ops.flops_matmul
            record.flops_elementwise = ops.flops_elementwise
            record.flops_backward = ops.flops_backward
            record.unsupported_ops = list(ops.unsupported_ops)
            record.zero_cost_ops = list(ops.zero_cost_ops)
            record.unpriced_ops = list(ops.unpriced_ops)
            record.counter_note = ops.counter_note
        module, inputs = placed(module, inputs, settings.device, DTYPES[settings.dtype])
        if "params" in settings.metrics:
            counts = count_parameters(module)
            record.params = counts.params
            record.params_trainable = counts.params_trainable
            record.buffers = counts.buffers
            record.param_bytes = counts.param_bytes
        if {"latency", "memory"} & set(settings.metrics):  # counts do not run under the knobs, and compiling costs
            module, inputs, record.compile_s = with_knobs(module, inputs, settings, input_grad)
        if "latency" in settings.metrics:
            record.latency, reading = shared_sentinel(settings.threads).guarded(lambda: time_step(
                module, inputs, settings.mode, settings.device, settings.threads, settings.quick, input_grad
            ))
            reading.fill(record)
            record.throughput = record.latency.throughput(batch)
            record.gflops_achieved = achieved_gflops(record.flops, record.flops_backward, record.latency.median_s, settings.mode)
        if "memory" in settings.metrics:
            memory = peak_memory(
                module, inputs, settings.mode, settings.device,
                input_grad=input_grad, warm_up="latency" not in settings.metrics,
            )
            record.peak_bytes = memory.peak_bytes
            record.activation_bytes = memory.activation_bytes
            record.param_bytes = memory.param_bytes
    return record


def _check_threads_kept(spec: Spec) -> None:
    """Refuse to time an entry whose build or forward changed the pinned thread count (``torch.set_num_threads``).

    ``torch.utils.benchmark`` pins the count once per timing and restores it after, so such an
    entry would be timed at its own count while its record says ``threads`` = the pinned one.
    Counts do not depend on threads and are kept.
    """
    in_force = torch.get_num_threads()
    if in_force != spec.settings.threads and {"latency", "memory"} & set(spec.settings.metrics):
        raise UsageError(
            f"{spec.key.entry} changed the CPU thread count to {in_force} (torch.set_num_threads in its build or "
            f"forward), so it cannot be timed at the {spec.settings.threads} threads pinned; remove that call from the entry"
        )
    torch.set_num_threads(spec.settings.threads)


def achieved_gflops(flops: int | None, flops_backward: int | None, seconds: float, mode: str) -> float | None:
    """FLOPs per second of the timed step, in GFLOP/s; ``None`` unless FLOPs were counted for that step.

    An ``infer`` step is one forward (``flops``); a ``train`` step is the forward, the loss and
    the backward (``flops + flops_backward``, both counted at the dispatch level).
    """
    if flops is None or (mode == "train" and flops_backward is None):
        return None
    return (flops + (flops_backward if mode == "train" else 0)) / seconds / 1e9

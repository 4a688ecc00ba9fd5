"""Peak memory of one step (an ``infer`` forward, or a ``train`` forward + backward).

Definitions, the same on every device:

* ``resident_bytes``: what is already allocated before the step: parameters, buffers and
  inputs (each storage counted once).
* ``peak_bytes``: ``resident_bytes`` plus the highest number of bytes the step itself holds at
  any moment (outputs, intermediates, workspaces, and in ``train`` the saved tensors and gradients).
* ``activation_bytes``: bytes allocated by the forward and still held when it returns: the
  outputs in ``infer``; the outputs plus every tensor saved for backward in ``train``.
* ``param_bytes``: bytes of the parameters at their dtype (:func:`modbench.metrics.params.count_parameters`).

How the step's bytes are seen:

* **CUDA**: the caching allocator's own counters. ``reset_peak_memory_stats``, then
  ``max_memory_allocated`` minus what was allocated before the step; ``memory_allocated`` after
  the forward gives the activations. Bytes the allocator has *reserved* but not handed out are
  not counted (they are cache, not use).
* **CPU**: every allocation and free of c10's CPU allocator, as the profiler records them with
  ``profile_memory=True`` (one ``[memory]`` event each, signed size, nanosecond time stamp),
  summed in time order. These are the raw events, not the per-op totals of ``prof.events()``,
  which net out an op's temporary buffers and so hide its peak. What this cannot see: memory
  that does not come through c10's allocator (any buffer oneDNN allocates for itself, such as its
  primitive cache; OpenMP thread stacks; Python objects), memory allocated before the step (which
  is why ``resident_bytes`` is computed from the tensors instead), and malloc's own overhead.

A warm-up step runs first, so one-time allocations (oneDNN weight reorders, cuBLAS workspaces)
are not charged to every step, and the module's state is restored afterwards.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import nn
from torch.autograd import DeviceType
from torch.profiler import ProfilerActivity, profile, record_function

from modbench.metrics.params import count_parameters
from modbench.metrics.state import preserved_state
from modbench.metrics.steps import Inputs, forward, make_step, step_inputs, synchronize, training_loss

_FORWARD_MARK = "modbench::forward"


@dataclass(frozen=True)
class MemoryStats:
    """Memory of one step, in bytes; see the module docstring for what each number includes."""

    peak_bytes: int
    activation_bytes: int
    param_bytes: int
    resident_bytes: int


def peak_memory(
    module: nn.Module, inputs: Inputs, mode: str, device: str, *, input_grad: bool = True, warm_up: bool = True
) -> MemoryStats:
    """Peak memory of one ``mode`` step of ``module`` (already on ``device``) on ``inputs``.

    ``input_grad`` (``train`` only): floating-point inputs require grad, as a block's inputs do
    inside a network. ``warm_up=False`` skips the warm-up step, for a caller that has just run
    the same steps (a latency measurement).
    """
    step_args = step_inputs(inputs, mode, input_grad)
    with preserved_state(module, mode):
        if warm_up:
            make_step(module, step_args, mode)()  # its outputs are freed on return
        module.zero_grad(set_to_none=True)
        resident = _resident_bytes(module, step_args)
        if torch.device(device).type == "cuda":
            held_peak, held_after_forward = _cuda_step_bytes(module, step_args, mode, device)
        else:
            held_peak, held_after_forward = _cpu_step_bytes(module, step_args, mode)
        module.zero_grad(set_to_none=True)
    return MemoryStats(
        peak_bytes=resident + held_peak,
        activation_bytes=held_after_forward,
        param_bytes=count_parameters(module).param_bytes,
        resident_bytes=resident,
    )


def _resident_bytes(module: nn.Module, inputs: Inputs) -> int:
    storages: dict[tuple[str, int], int] = {}
    for tensor in [*module.parameters(), *module.buffers(), *inputs]:
        storage = tensor.untyped_storage()
        storages[(str(tensor.device), storage.data_ptr())] = storage.nbytes()
    return sum(storages.values())


def _cuda_step_bytes(module: nn.Module, inputs: Inputs, mode: str, device: str) -> tuple[int, int]:
    """(peak bytes held during the step, bytes held after its forward), from the caching allocator."""
    synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    output = forward(module, inputs, mode)
    synchronize(device)
    after_forward = torch.cuda.memory_allocated(device) - before
    if mode == "train":
        training_loss(output).backward()
        synchronize(device)
    peak = torch.cuda.max_memory_allocated(device) - before
    del output
    return peak, after_forward


def _cpu_step_bytes(module: nn.Module, inputs: Inputs, mode: str) -> tuple[int, int]:
    """(peak bytes held during the step, bytes held after its forward), from the profiler's allocation events."""
    # Kineto prints "USDT:" start/stop lines on stderr at its default log level; 6 silences them.
    os.environ.setdefault("KINETO_LOG_LEVEL", "6")
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        with record_function(_FORWARD_MARK):
            output = forward(module, inputs, mode)
        if mode == "train":
            training_loss(output).backward()
    del output
    events = prof.profiler.kineto_results.events()
    forward_end = max(e.end_ns() for e in events if e.name() == _FORWARD_MARK)
    allocations = sorted(
        (e.start_ns(), e.nbytes()) for e in events if e.name() == "[memory]" and e.device_type() == DeviceType.CPU
    )
    held = peak = after_forward = 0
    for stamp, nbytes in allocations:
        held += nbytes
        peak = max(peak, held)
        if stamp <= forward_end:
            after_forward = held
    return peak, after_forward

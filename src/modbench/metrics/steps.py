"""The unit of work that latency and memory both measure: one inference forward or one training step.

Latency and peak memory must describe the same computation, so both build it here:

* ``infer``: the module in eval mode, a forward under ``torch.inference_mode`` (no autograd
  bookkeeping, no saved tensors).
* ``train``: gradients cleared (``set_to_none``, as ``optimizer.zero_grad`` does by default), a
  forward in train mode, the sum of every differentiable output as the loss, and its backward.
  There is no optimizer step: what is timed is the block, not an optimizer.

A block sits inside a network, so in ``train`` mode its floating-point inputs require gradients
and its backward also computes the input's gradient; a model's inputs are data and do not.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

Inputs = tuple[torch.Tensor, ...]


@contextmanager
def pinned_threads(threads: int) -> Iterator[None]:
    """Run with exactly ``threads`` intra-op CPU threads, and restore the previous count after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def placed(module: nn.Module, inputs: Inputs, device: str, dtype: torch.dtype) -> tuple[nn.Module, Inputs]:
    """``module`` and ``inputs`` on ``device``, floating-point tensors at ``dtype``.

    The caller's module is never converted in place: when it is not already where it must be,
    a copy is converted (``nn.Module.to`` mutates, and a module given to ``modbench.measure``
    belongs to its caller). Integer inputs (token indices) keep their dtype.
    """
    target = torch.device(device)
    tensors = list(module.parameters()) + list(module.buffers())
    if any(t.device.type != target.type or (t.is_floating_point() and t.dtype != dtype) for t in tensors):
        module = copy.deepcopy(module).to(device=target, dtype=dtype)
    moved = tuple(
        t.to(device=target, dtype=dtype if t.is_floating_point() else t.dtype) for t in inputs
    )
    return module, moved


def step_inputs(inputs: Inputs, mode: str, input_grad: bool) -> Inputs:
    """The inputs of one step: in ``train`` mode with ``input_grad``, floating ones become leaves that require grad."""
    if mode != "train" or not input_grad:
        return inputs
    return tuple(t.detach().clone().requires_grad_(t.is_floating_point()) for t in inputs)


def training_loss(output: Any) -> torch.Tensor:
    """The sum of every differentiable tensor in ``output`` (tensors, nested tuples, lists, dicts)."""
    tensors = [t for t in output_tensors(output) if t.requires_grad]
    if not tensors:
        raise ValueError("train mode needs a differentiable output, but no output tensor requires grad "
                         "(the module has no trainable parameters and no floating-point input)")
    return torch.stack([t.sum() for t in tensors]).sum()


def output_tensors(output: Any) -> Iterator[torch.Tensor]:
    """Every tensor in a module's output, however nested."""
    if isinstance(output, torch.Tensor):
        yield output
    elif isinstance(output, (tuple, list)):
        for item in output:
            yield from output_tensors(item)
    elif isinstance(output, Mapping):
        for item in output.values():
            yield from output_tensors(item)


def train_step(module: nn.Module, inputs: Inputs) -> None:
    """One training step without optimizer: clear gradients, forward, loss, backward."""
    module.zero_grad(set_to_none=True)
    training_loss(module(*inputs)).backward()


def forward(module: nn.Module, inputs: Inputs, mode: str) -> Any:
    """The forward of a ``mode`` step: under ``torch.inference_mode`` for ``infer``, recording autograd for ``train``."""
    if mode == "train":
        return module(*inputs)
    with torch.inference_mode():
        return module(*inputs)


def make_step(module: nn.Module, inputs: Inputs, mode: str) -> Callable[[], Any]:
    """A no-argument callable running one step of ``mode`` (the module must already be in that mode)."""
    if mode == "train":
        return lambda: train_step(module, inputs)
    return lambda: forward(module, inputs, mode)


def synchronize(device: str) -> None:
    """Wait for queued device work, so that a clock or a memory counter read next sees all of it."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)

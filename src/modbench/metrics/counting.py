"""MACs and FLOPs of one step, from one pass at the aten dispatch level (:mod:`modbench.metrics.op_counter`).

* **MACs**: the multiply-adds of the forward's matmul-family ops (conv, linear, matmul, einsum,
  attention, recurrent layers), whichever kernel ran them; ``flops_matmul`` is twice that.
* **Element-wise FLOPs**: modbench's handles (see :mod:`modbench.metrics.elementwise`).
* ``flops`` is the forward's matmul plus element-wise FLOPs, in the record's mode: eval for
  ``infer``, train for ``train`` (so a DropBlock pays for its mask).
* ``flops_backward`` (train mode only): the rest of the timed training step, the loss (a sum of
  the outputs) and the whole backward pass, priced the same way. A train step costs
  ``flops + flops_backward``.
* ``modules``: each submodule's own forward work, for the per-module table.

The module's flags, buffers, gradients and RNG state are restored afterwards. fvcore is an
opt-in cross-check (``cross_check="fvcore"``): its MACs land in ``macs_fvcore`` and a
disagreement in ``counter_note``; nothing is traced by default.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn

from modbench.metrics.op_counter import OpCounter, Tally
from modbench.metrics.registry import CROSS_CHECKS
from modbench.metrics.state import preserved_state
from modbench.metrics.steps import step_inputs, training_loss
from modbench.spec import check_choice

Inputs = tuple[torch.Tensor, ...]

# fvcore and the dispatch count agree to the op on everything both know; allow rounding only.
AGREEMENT_TOLERANCE = 0.001


@dataclass(frozen=True)
class ModuleCount:
    """One submodule's own forward work (its children's is theirs): path in the tree, type, FLOPs."""

    path: str
    type_name: str
    flops_matmul: int
    flops_elementwise: int


@dataclass(frozen=True)
class OpCounts:
    """Operation counts of one step; see the module docstring for the conventions."""

    macs: int
    flops: int
    flops_matmul: int
    flops_elementwise: int
    macs_fvcore: int | None
    unsupported_ops: tuple[str, ...]
    zero_cost_ops: tuple[str, ...]
    elementwise_by_op: dict[str, int] = field(default_factory=dict)
    counter_note: str | None = None
    flops_backward: int | None = None
    unpriced_ops: tuple[str, ...] = ()
    modules: tuple[ModuleCount, ...] = ()


def count_ops(module: nn.Module, inputs: Inputs, mode: str = "infer", *, input_grad: bool = True,
              cross_check: str | None = None) -> OpCounts:
    """Count one step of ``module`` on ``inputs`` in ``mode``, leaving its state unchanged.

    ``input_grad``: in train mode, whether the backward also computes the inputs' gradient (a
    block's does, a model's does not), as the timed step does.
    """
    if cross_check is not None:
        check_choice("cross-check", cross_check, CROSS_CHECKS)
    counter = OpCounter(module)
    note = None
    with warnings.catch_warnings(), preserved_state(module, mode), preserved_grads(module):
        warnings.simplefilter("ignore")
        if mode == "train":
            with counter, counter.tracking_modules():
                output = module(*step_inputs(inputs, mode, input_grad))
            counter.start_backward()
            with counter:
                try:
                    loss = training_loss(output)
                except ValueError:
                    note = "no output requires grad, so a train step has no backward to count"
                else:
                    loss.backward()
        else:
            with torch.no_grad(), counter, counter.tracking_modules():
                module(*inputs)
    forward = counter.forward_total()
    backward_counted = mode == "train" and note is None
    macs_fvcore = None
    if cross_check == "fvcore":
        macs_fvcore, disagreement = _fvcore_cross_check(module, inputs, mode, forward.flops_matmul // 2)
        note = "; ".join(part for part in (note, disagreement) if part) or None
    return OpCounts(
        macs=forward.flops_matmul // 2,
        flops=forward.flops_matmul + forward.flops_elementwise,
        flops_matmul=forward.flops_matmul,
        flops_elementwise=forward.flops_elementwise,
        macs_fvcore=macs_fvcore,
        unsupported_ops=tuple(sorted(counter.unsupported)),
        zero_cost_ops=tuple(sorted(counter.zero_cost)),
        elementwise_by_op=dict(sorted(forward.elementwise_by_op.items())),
        counter_note=note,
        flops_backward=_total(counter.backward) if backward_counted else None,
        unpriced_ops=tuple(sorted(counter.unpriced)),
        modules=_module_counts(module, counter.forward),
    )


def _total(tally: Tally) -> int:
    return tally.flops_matmul + tally.flops_elementwise


def _module_counts(module: nn.Module, tallies: dict[str, Tally]) -> tuple[ModuleCount, ...]:
    counts = []
    for path, sub in module.named_modules():
        tally = tallies.get(path, Tally())
        counts.append(ModuleCount(path, type(sub).__name__, tally.flops_matmul, tally.flops_elementwise))
    return tuple(counts)


@contextmanager
def preserved_grads(module: nn.Module) -> Iterator[None]:
    """Put every parameter's ``.grad`` back as it was (a counted train step writes gradients)."""
    saved = [(param, param.grad) for param in module.parameters()]
    try:
        yield
    finally:
        for param, grad in saved:
            param.grad = grad


def _fvcore_cross_check(module: nn.Module, inputs: Inputs, mode: str, macs: int) -> tuple[int | None, str | None]:
    from modbench.metrics.fvcore_handles import fvcore_macs  # fvcore and jit tracing only when asked for

    with preserved_state(module, mode):
        macs_fvcore, error = fvcore_macs(module, inputs)
    if macs_fvcore is None:
        return None, f"fvcore could not trace this module ({error}); nothing to cross-check"
    if abs(macs_fvcore - macs) > AGREEMENT_TOLERANCE * max(macs, 1):
        return macs_fvcore, f"fvcore counts {macs_fvcore:,} MACs but the dispatch count is {macs:,}"
    return macs_fvcore, None

"""MACs and FLOPs of one forward pass, from three counters that are cross-checked.

* **MACs** come from fvcore (one per multiply-add of conv / linear / matmul / einsum), with
  handles added for recurrent ops, which fvcore would count as zero.
* **Matmul FLOPs** come from ``torch.utils.flop_counter.FlopCounterMode`` (two per multiply-add).
  It runs with oneDNN off, because on CPU an LSTM otherwise runs as ``mkldnn_rnn_layer``, which
  FlopCounterMode does not know, and with the math attention backend, for the same reason.
* **Element-wise FLOPs** come from modbench's own handles (see :mod:`modbench.metrics.elementwise`).

``flops`` is matmul FLOPs plus element-wise FLOPs. When fvcore's MACs ×2 and FlopCounterMode
disagree, ``counter_note`` says by how much, so a blind spot of either tool shows up in the record.
The forward runs in the record's mode (eval for ``infer``, train for ``train``, so a DropBlock
pays for its mask) and the module's state is restored afterwards.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field

import torch
from fvcore.nn import FlopCountAnalysis
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from modbench.metrics.elementwise import ElementwiseCounter
from modbench.metrics.fvcore_handles import MAC_HANDLES, RECURRENT_HANDLES
from modbench.metrics.state import preserved_state
from modbench.metrics.steps import pinned_threads

Inputs = tuple[torch.Tensor, ...]

# fvcore and FlopCounterMode agree to the op on everything both know; allow rounding only.
AGREEMENT_TOLERANCE = 0.001


@dataclass(frozen=True)
class OpCounts:
    """Operation counts of one forward pass; see the module docstring for the conventions."""

    macs: int
    flops: int
    flops_matmul: int
    flops_elementwise: int
    macs_fvcore: int | None
    unsupported_ops: tuple[str, ...]
    zero_cost_ops: tuple[str, ...]
    elementwise_by_op: dict[str, int] = field(default_factory=dict)
    counter_note: str | None = None


def count_ops(module: nn.Module, inputs: Inputs, mode: str = "infer") -> OpCounts:
    """Count one forward pass of ``module`` on ``inputs`` in ``mode``, leaving its state unchanged.

    Counting runs on one thread: the counts do not depend on it, and without oneDNN the reference
    kernels (a depthwise convolution above all) slow down by an order of magnitude when OpenMP
    threads compete for a busy CPU.
    """
    with pinned_threads(1), preserved_state(module, mode):
        flops_matmul, elementwise = _count_dispatch(module, inputs)
    with pinned_threads(1), preserved_state(module, mode):
        macs_fvcore, fvcore_error = _count_fvcore(module, inputs)

    note = None
    if macs_fvcore is None:
        macs = flops_matmul // 2
        note = f"fvcore could not trace this module ({fvcore_error}); MACs are FlopCounterMode FLOPs / 2"
    else:
        macs = macs_fvcore
        if abs(2 * macs_fvcore - flops_matmul) > AGREEMENT_TOLERANCE * max(flops_matmul, 1):
            note = (
                f"fvcore counts {macs_fvcore:,} MACs (x2 = {2 * macs_fvcore:,} FLOPs) but "
                f"FlopCounterMode counts {flops_matmul:,} matmul FLOPs"
            )
    return OpCounts(
        macs=macs,
        flops=flops_matmul + elementwise.total,
        flops_matmul=flops_matmul,
        flops_elementwise=elementwise.total,
        macs_fvcore=macs_fvcore,
        unsupported_ops=tuple(sorted(elementwise.unsupported)),
        zero_cost_ops=tuple(sorted(elementwise.zero_cost)),
        elementwise_by_op=dict(sorted(elementwise.by_op.items())),
        counter_note=note,
    )


def _count_dispatch(module: nn.Module, inputs: Inputs) -> tuple[int, ElementwiseCounter]:
    flop_counter = FlopCounterMode(display=False)
    elementwise = ElementwiseCounter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad(), torch.backends.mkldnn.flags(enabled=False), sdpa_kernel(SDPBackend.MATH):
            with flop_counter, elementwise:
                module(*inputs)
    return flop_counter.get_total_flops(), elementwise


def _count_fvcore(module: nn.Module, inputs: Inputs) -> tuple[int | None, str | None]:
    analysis = FlopCountAnalysis(module, inputs)
    analysis.clear_op_handles().set_op_handle(**MAC_HANDLES, **RECURRENT_HANDLES)
    analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False).tracer_warnings("none")
    fvcore_logger = logging.getLogger("fvcore")
    previous_level = fvcore_logger.level
    fvcore_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with torch.no_grad():
                return int(analysis.total()), None
    except Exception as error:  # tracing fails on data-dependent control flow, dict outputs...
        return None, f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    finally:
        fvcore_logger.setLevel(previous_level)

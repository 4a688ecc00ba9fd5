"""fvcore as an opt-in cross-check of the MACs, with handles for recurrent ops it would count as zero.

Only ``cross_check="fvcore"`` (``--cross-check fvcore``) imports this module: fvcore traces with
``torch.jit.trace``, which is slow and deprecated, so it is never on the default path.

fvcore traces the module with ``torch.jit.trace`` and prices each ``aten::`` node with a handle
``(inputs, outputs) -> MACs``. ``aten::lstm``, ``aten::gru`` and ``aten::rnn_tanh`` have no handle
in fvcore, so an LSTM would cost nothing. Every recurrent op multiplies each time step of each
sample by each of its weight matrices once, so its MACs are ``steps × batch × Σ numel(W)`` over the
2-D weight matrices (input-hidden, hidden-hidden and, for LSTMs with ``proj_size``, the
projection) of every layer and direction. Biases are additions, not MACs, as for linear layers.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from typing import Any

import torch
from fvcore.nn import FlopCountAnalysis
from fvcore.nn.jit_handles import (
    addmm_flop_jit,
    bmm_flop_jit,
    conv_flop_jit,
    einsum_flop_jit,
    linear_flop_jit,
    matmul_flop_jit,
)

Handle = Callable[[list[Any], list[Any]], Any]

# fvcore's multiply-add handles, by the names torch.jit.trace gives the ops. Its element-wise and
# normalisation handles are left out: modbench prices that work with its own element-wise counter.
MAC_HANDLES: dict[str, Handle] = {
    "aten::addmm": addmm_flop_jit,
    "aten::bmm": bmm_flop_jit,
    "aten::_convolution": conv_flop_jit,
    "aten::einsum": einsum_flop_jit,
    "aten::matmul": matmul_flop_jit,
    "aten::mm": matmul_flop_jit,
    "aten::linear": linear_flop_jit,
}


def _shape(value: Any) -> list[int]:
    sizes = value.type().sizes()
    if sizes is None:
        raise ValueError("recurrent op input has no traced shape")
    return list(sizes)


def _matrix_numel(values: list[Any]) -> int:
    """Total elements of the 2-D tensors among ``values`` (weights; 1-D biases are skipped)."""
    total = 0
    for value in values:
        sizes = value.type().sizes() if hasattr(value.type(), "sizes") else None
        if sizes is not None and len(sizes) == 2:
            total += math.prod(sizes)
    return total


def recurrent_sequence_handle(inputs: list[Any], outputs: list[Any]) -> int:
    """``aten::lstm/gru/rnn_tanh/rnn_relu(input, hx, params, has_biases, layers, dropout, train, bidirectional, batch_first)``."""
    shape = _shape(inputs[0])
    batch_first = bool(inputs[8].toIValue()) if len(inputs) > 8 else False
    if len(shape) == 2:  # unbatched input: (steps, features)
        steps, batch = shape[0], 1
    else:
        steps, batch = (shape[1], shape[0]) if batch_first else (shape[0], shape[1])
    weights = list(inputs[2].node().inputs())
    return steps * batch * _matrix_numel(weights)


def recurrent_cell_handle(inputs: list[Any], outputs: list[Any]) -> int:
    """``aten::lstm_cell/gru_cell/rnn_tanh_cell/rnn_relu_cell(input, hx, w_ih, w_hh, b_ih, b_hh)``."""
    shape = _shape(inputs[0])
    batch = shape[0] if len(shape) == 2 else 1
    return batch * _matrix_numel(list(inputs[2:4]))


RECURRENT_HANDLES: dict[str, Handle] = {
    **{f"aten::{op}": recurrent_sequence_handle for op in ("lstm", "gru", "rnn_tanh", "rnn_relu")},
    **{f"aten::{op}": recurrent_cell_handle for op in ("lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell")},
}


def fvcore_macs(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...]) -> tuple[int | None, str | None]:
    """fvcore's MACs of one no-grad forward (``None`` and the reason when it cannot trace the module)."""
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
        message = str(error).strip()
        return None, f"{type(error).__name__}: {message.splitlines()[0] if message else ''}"
    finally:
        fvcore_logger.setLevel(previous_level)

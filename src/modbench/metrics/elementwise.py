"""Element-wise FLOP handles: the work that fvcore and FlopCounterMode both count as zero.

:class:`modbench.metrics.op_counter.OpCounter` sees every aten op a step runs, after autograd has
decomposed composite ops, and prices the ones that are not matmul-family with these small pure
handles. Conventions (one FLOP = one arithmetic operation on one element):

* unary maths and activations (relu, sigmoid, tanh, silu, gelu, hardswish, exp, sqrt...) and binary
  element-wise ops (add, mul, div, sub, where, comparisons): 1 per output element. So ``x*sigmoid(x)``
  costs 2 per element and the fused ``silu`` 1: the op count, not a guess at the kernel's cost;
* normalisation: 4 per element when statistics are computed (mean, variance, normalise, affine),
  2 per element for batch norm with running statistics (one scale, one shift);
* pooling: 1 per element of every window (max: a comparison, average: an addition); adaptive
  pooling windows are computed exactly as PyTorch does;
* reductions (sum, mean, max, var...): 1 per input element; softmax: 3 per element (exp, sum, divide);
* random masks (bernoulli, dropout): 1 per element to draw plus 1 per element to apply;
* data movement (cat, slice, view, permute, copy, pad, embedding lookup, tensor creation): 0,
  listed by name in ``zero_cost_ops`` so that their presence is visible;
* matmul-family ops (mm, addmm, bmm, convolution...) are priced by torch's own formulas
  (``torch.utils.flop_counter``), fused ones (attention, oneDNN's LSTM) by :mod:`modbench.metrics.fused`.

Backward ops (train mode), per element of the gradient they produce unless said otherwise:

* activation and element-wise backward (``threshold_backward``, ``sigmoid_backward``,
  ``gelu_backward``...): 2 (the derivative, and its product with the incoming gradient);
* normalisation backward: 8 with batch statistics (twice the forward), 4 with running ones;
* softmax and log-softmax backward: 4 (a product, a sum, a difference, a product);
* dropout backward: 2 (mask, scale); max-pool and embedding backward: 1 per element of the incoming
  gradient (one scatter-add); average-pool backward: 1 per window element, as its forward.

Any other op is *unsupported*: listed by name, never silently dropped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

Handle = Callable[[Sequence[Any], dict[str, Any], Any], int]


def largest_tensor(value: Any) -> int:
    """Elements of the largest tensor in ``value`` (a tensor, or nested tuples and lists); 0 without one."""
    if isinstance(value, torch.Tensor):
        return value.numel()
    if isinstance(value, (tuple, list)):
        return max((largest_tensor(item) for item in value), default=0)
    return 0


def _first_tensor(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    for item in value:
        if isinstance(item, torch.Tensor):
            return item
    raise TypeError("no tensor in op result")


def per_output(factor: int) -> Handle:
    """``factor`` FLOPs per element of the op's first output."""
    return lambda args, kwargs, out: factor * _first_tensor(out).numel()


def per_input(factor: int) -> Handle:
    """``factor`` FLOPs per element of the op's first input (reductions, norms)."""
    return lambda args, kwargs, out: factor * _first_tensor(args).numel()


def _pair(value: Any, dims: int) -> list[int]:
    if isinstance(value, int):
        return [value] * dims
    values = list(value)
    return values * dims if len(values) == 1 else values


def windowed_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    """Fixed-window pooling: every output element reads ``prod(kernel_size)`` inputs."""
    output = _first_tensor(out)
    kernel = args[1] if len(args) > 1 else kwargs["kernel_size"]
    spatial_dims = args[0].dim() - 2
    return output.numel() * math.prod(_pair(kernel, spatial_dims))


def _adaptive_window_total(in_size: int, out_size: int) -> int:
    """Sum of PyTorch's adaptive pooling window lengths along one dimension."""
    return sum(
        math.ceil((i + 1) * in_size / out_size) - (i * in_size) // out_size for i in range(out_size)
    )


def adaptive_pool(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    """Adaptive pooling: the exact total of PyTorch's (possibly overlapping) windows."""
    source: torch.Tensor = args[0]
    output = _first_tensor(out)
    spatial = source.dim() - 2 if source.dim() > 2 else source.dim() - 1
    leading = math.prod(output.shape[: output.dim() - spatial])
    total = leading
    for in_size, out_size in zip(source.shape[-spatial:], output.shape[-spatial:]):
        total *= _adaptive_window_total(in_size, out_size)
    return total


def per_grad_output(factor: int) -> Handle:
    """``factor`` FLOPs per element of the incoming gradient (a backward op's first argument)."""
    return lambda args, kwargs, out: factor * args[0].numel()


def windowed_pool_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    """Average-pool backward ``(grad_output, input, kernel_size, ...)``: 1 per window element, as its forward."""
    kernel = args[2] if len(args) > 2 else kwargs["kernel_size"]
    return args[0].numel() * math.prod(_pair(kernel, args[1].dim() - 2))


def adaptive_pool_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    """Adaptive average-pool backward ``(grad_output, input)``: the forward's window total."""
    return adaptive_pool((args[1],), {}, args[0])


def batch_norm_backward(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    """``native_batch_norm_backward(grad_out, input, weight, running_mean, running_var, save_mean, save_invstd, train, ...)``."""
    training = args[7] if len(args) > 7 else kwargs.get("train", True)
    return (8 if training else 4) * args[0].numel()


def batch_norm(args: Sequence[Any], kwargs: dict[str, Any], out: Any) -> int:
    """Batch norm: 4 per element when it computes batch statistics, 2 with running ones.

    The aten batch-norm ops take the ``training`` flag as their only bool argument.
    """
    training = next((a for a in args if isinstance(a, bool)), kwargs.get("training", True))
    return (4 if training else 2) * args[0].numel()


_UNARY_AND_BINARY = (
    "relu", "relu6", "sigmoid", "tanh", "silu", "gelu", "hardswish", "hardsigmoid", "hardtanh",
    "leaky_relu", "elu", "selu", "celu", "mish", "softplus", "exp", "log", "log1p", "sqrt", "rsqrt",
    "pow", "neg", "reciprocal", "abs", "sign", "clamp", "clamp_min", "clamp_max", "threshold",
    "add", "sub", "rsub", "mul", "div", "where", "maximum", "minimum", "eq", "ne", "lt", "le", "gt",
    "ge", "logical_not", "logical_and", "masked_fill", "square", "sin", "cos", "erf", "bitwise_not",
    "logical_or", "isnan", "nan_to_num", "lerp", "hypot", "atan2", "fmod", "remainder", "floor", "ceil",
    "round", "trunc", "frac", "sgn", "expm1", "log2", "log10", "tan", "asin", "acos", "atan", "sinh", "cosh",
    "asinh", "acosh", "atanh", "erfc", "erfinv", "log_sigmoid_forward", "glu",
)
_ACTIVATION_BACKWARD = (
    "threshold_backward", "sigmoid_backward", "tanh_backward", "silu_backward", "gelu_backward",
    "hardswish_backward", "hardsigmoid_backward", "hardtanh_backward", "leaky_relu_backward",
    "elu_backward", "softplus_backward", "mish_backward", "log_sigmoid_backward", "glu_backward",
    "rrelu_with_noise_backward", "prelu_backward", "_prelu_kernel_backward",
)
_REDUCTIONS = ("sum", "mean", "amax", "amin", "max", "min", "argmax", "argmin", "prod", "norm",
               "linalg_vector_norm", "logsumexp", "any", "all")

ZERO_COST_OPS = frozenset({
    "cat", "stack", "slice", "select", "view", "_unsafe_view", "reshape", "_reshape_alias",
    "permute", "transpose", "t", "expand", "unsqueeze", "squeeze", "clone", "contiguous", "copy",
    "copy_", "zeros", "zeros_like", "ones", "ones_like", "full", "full_like", "fill", "fill_",
    "empty", "empty_like", "new_zeros", "new_empty", "new_full", "new_ones", "randn", "rand",
    "randint", "linspace", "arange", "repeat", "split", "split_with_sizes", "unsafe_split",
    "unsafe_split_with_sizes", "unbind", "chunk", "narrow", "index_select", "gather", "embedding",
    "alias", "detach", "lift_fresh", "lift_fresh_copy", "constant_pad_nd", "flatten", "_to_copy",
    "as_strided", "roll", "flip", "_local_scalar_dense", "item", "scalar_tensor", "zero_",
    "transpose_", "t_", "squeeze_", "unsqueeze_", "resize_", "set_", "expand_as", "view_as",
    "unfold", "index", "index_put", "index_put_", "scatter", "slice_scatter", "select_scatter",
    "_pin_memory", "empty_strided", "bernoulli_like", "_assert_async", "sym_size", "sym_stride",
    "select_backward", "slice_backward", "new_empty_strided", "as_strided_scatter", "tril", "triu",
    "diagonal", "diagonal_backward", "masked_select", "nonzero", "unflatten", "movedim", "im2col", "col2im",
    "_unsafe_index", "_unsafe_index_put", "index_add", "masked_scatter", "pixel_shuffle", "pixel_unshuffle",
    "channel_shuffle", "native_channel_shuffle", "upsample_nearest2d", "reflection_pad2d", "replication_pad2d",
    "is_same_size", "result_type", "_has_compatible_shallow_copy_type", "squeeze_copy", "unsqueeze_copy",
    "view_copy", "permute_copy", "transpose_copy", "expand_copy", "t_copy", "split_copy", "detach_copy",
    "_nested_tensor_from_mask", "_nested_tensor_from_mask_left_aligned", "to_padded_tensor",
})

HANDLES: dict[str, Handle] = {
    **{name: per_output(1) for name in _UNARY_AND_BINARY},
    **{name + "_": per_output(1) for name in _UNARY_AND_BINARY},
    **{name: per_input(1) for name in _REDUCTIONS},
    "addcmul": per_output(2), "addcmul_": per_output(2),
    "addcdiv": per_output(2), "addcdiv_": per_output(2),
    "var": per_input(2), "std": per_input(2), "var_mean": per_input(2), "std_mean": per_input(2),
    "_softmax": per_input(3), "_log_softmax": per_input(3), "softmax": per_input(3), "_safe_softmax": per_input(3),
    "bernoulli": per_output(1), "bernoulli_": per_output(1),
    "native_dropout": per_input(2),
    "native_batch_norm": batch_norm,
    "_native_batch_norm_legit": batch_norm,
    "_native_batch_norm_legit_functional": batch_norm,
    "_native_batch_norm_legit_no_training": per_input(2),
    "native_layer_norm": per_input(4),
    "native_group_norm": per_input(4),
    "max_pool1d": windowed_pool, "max_pool2d": windowed_pool, "max_pool3d": windowed_pool,
    "max_pool2d_with_indices": windowed_pool, "max_pool3d_with_indices": windowed_pool,
    "avg_pool1d": windowed_pool, "avg_pool2d": windowed_pool, "avg_pool3d": windowed_pool,
    "_adaptive_avg_pool2d": adaptive_pool, "_adaptive_avg_pool3d": adaptive_pool,
    "adaptive_avg_pool1d": adaptive_pool, "adaptive_max_pool2d": adaptive_pool,
    "adaptive_max_pool1d": adaptive_pool, "adaptive_max_pool3d": adaptive_pool,
    **{name: per_output(2) for name in _ACTIVATION_BACKWARD},
    "native_batch_norm_backward": batch_norm_backward,
    "native_layer_norm_backward": per_grad_output(8),
    "native_group_norm_backward": per_grad_output(8),
    "_softmax_backward_data": per_grad_output(4),
    "_log_softmax_backward_data": per_grad_output(4),
    "native_dropout_backward": per_grad_output(2),
    "max_pool2d_with_indices_backward": per_grad_output(1),
    "max_pool3d_with_indices_backward": per_grad_output(1),
    "adaptive_max_pool2d_backward": per_grad_output(1),
    "adaptive_max_pool3d_backward": per_grad_output(1),
    "embedding_dense_backward": per_grad_output(1),
    "embedding_backward": per_grad_output(1),
    "avg_pool2d_backward": windowed_pool_backward,
    "avg_pool3d_backward": windowed_pool_backward,
    "_adaptive_avg_pool2d_backward": adaptive_pool_backward,
    "_adaptive_avg_pool3d_backward": adaptive_pool_backward,
}

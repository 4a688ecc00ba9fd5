"""Prices for fused kernels: each is counted as the unfused computation it stands for.

A fused op (SDPA's flash or memory-efficient kernels, ``nn.MultiheadAttention``'s and
``nn.TransformerEncoderLayer``'s inference fast paths, oneDNN's LSTM layer) does in one kernel
what the reference path does in many ops, and its price is that reference path's. So a count does
not depend on which kernel PyTorch picked: ``F.scaled_dot_product_attention`` costs the same on
the flash kernel as on the math backend (``B·H·L·S·Dh`` MACs for ``QKᵀ`` and as many for the
product with ``V``, causal or not, plus the scaling, the mask and the softmax), and an MHA in
eval costs what its unfused path costs.

SDPA kernels are priced in closed form (:func:`attention_elementwise`, checked against the math
backend by the tests). The other fused ops are run again on ``meta`` tensors of the same shapes
(no data, no arithmetic) through their reference Python path, and every op that issues is priced
with the usual handles.

Backward kernels of fused ops: attention recomputes the scores, so 5 products instead of the
forward's 2 (as ``torch.utils.flop_counter`` counts them); an LSTM layer's backward costs twice its
forward's matmul work. Element-wise work: twice the forward's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch.nn import functional as F

Bound = dict[str, Any]


class Pricing(Protocol):
    """What a fused price needs from the counter (see :class:`modbench.metrics.op_counter.OpCounter`)."""

    def priced(self, replay: Callable[[], object], matmul_factor: int = 1, elementwise_factor: int = 1) -> None: ...

    def add_matmul(self, flops: int) -> None: ...

    def add_elementwise(self, name: str, flops: int) -> None: ...


FusedPrice = Callable[[Pricing, Bound], None]


def bind(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Bound:
    """The op's arguments by schema name, defaults filled in."""
    bound: Bound = {}
    for index, argument in enumerate(func._schema.arguments):
        if index < len(args) and not argument.kwarg_only:
            bound[argument.name] = args[index]
        elif argument.name in kwargs:
            bound[argument.name] = kwargs[argument.name]
        elif argument.has_default_value():
            bound[argument.name] = argument.default_value
        else:
            bound[argument.name] = None
    return bound


class _Meta:
    """Meta copies of tensors, one per original, so that ``q is k`` stays true in the replay."""

    def __init__(self) -> None:
        self._copies: dict[int, torch.Tensor] = {}

    def __call__(self, value: Any) -> Any:
        if not isinstance(value, torch.Tensor):
            return value
        copy = self._copies.get(id(value))
        if copy is None:
            copy = self._copies[id(value)] = torch.empty_like(value, device="meta")
        return copy


def _attention_sizes(bound: Bound) -> tuple[int, int, int, int, int]:
    """``(batch·heads, L, S, Dq, Dv)`` of an SDPA call (query ``(..., L, Dq)``, value ``(..., S, Dv)``)."""
    query, value = bound["query"], bound["value"]
    return math.prod(query.shape[:-2]), query.shape[-2], value.shape[-2], query.shape[-1], value.shape[-1]


def attention_elementwise(bound: Bound) -> int:
    """The element-wise FLOPs of ``_scaled_dot_product_attention_math`` with the same arguments.

    The math backend scales the query and the key by √scale each (1 per element), adds the mask
    (1 per score; a causal mask is built first, 1 per L×S element), takes a safe softmax (3 per
    score) and, with dropout, draws and applies a mask (2 per score).
    """
    rows, length, source, _, _ = _attention_sizes(bound)
    scores = rows * length * source
    flops = bound["query"].numel() + bound["key"].numel() + 3 * scores
    if bound.get("is_causal"):
        flops += length * source + scores
    elif bound.get("attn_mask", bound.get("attn_bias")) is not None:
        flops += scores
    if bound.get("dropout_p"):
        flops += 2 * scores
    return flops


def attention_forward(counter: Pricing, bound: Bound) -> None:
    """A fused SDPA kernel, priced as the math backend: ``QKᵀ`` and ``·V`` (2·BH·L·S·D FLOPs each) and its element-wise work."""
    rows, length, source, d_query, d_value = _attention_sizes(bound)
    counter.add_matmul(2 * rows * length * source * (d_query + d_value))
    counter.add_elementwise("scaled_dot_product_attention", attention_elementwise(bound))


def attention_backward(counter: Pricing, bound: Bound) -> None:
    """A fused SDPA backward: the scores recomputed and four gradient products (as torch counts it), twice the forward's element-wise."""
    rows, length, source, d_query, d_value = _attention_sizes(bound)
    counter.add_matmul(2 * rows * length * source * (3 * d_query + 2 * d_value))
    counter.add_elementwise("scaled_dot_product_attention_backward", 2 * attention_elementwise(bound))


def _attention_masks(mask: torch.Tensor | None, mask_type: int | None, batch: int, heads: int) -> tuple[Any, Any]:
    """``(key_padding_mask, attn_mask)`` from the fast path's merged mask (see ``MultiheadAttention.merge_masks``)."""
    if mask is None:
        return None, None
    if mask_type == 1:
        return mask, None
    if mask_type == 2:
        return None, mask.reshape(batch * heads, *mask.shape[-2:])
    return None, mask


def _seq_first(tensor: torch.Tensor) -> torch.Tensor:
    return tensor.transpose(0, 1) if tensor.dim() == 3 else tensor


def _self_attention(bound: Bound, meta: _Meta, query: Any, key: Any, value: Any, need_weights: bool,
                    average: bool, heads_key: str) -> Any:
    """The slow path of a batch-first ``nn.MultiheadAttention``, transposing as it does (so ``q is k`` holds)."""
    embed_dim, heads = bound["embed_dim"], bound[heads_key]
    if key is value and query is key:
        q = k = v = _seq_first(query)
    elif key is value:
        q, k = _seq_first(query), _seq_first(key)
        v = k
    else:
        q, k, v = _seq_first(query), _seq_first(key), _seq_first(value)
    batch = query.shape[0] if query.dim() == 3 else 1
    key_padding_mask, attn_mask = _attention_masks(meta(bound.get("mask")), bound.get("mask_type"), batch, heads)
    output, _ = F.multi_head_attention_forward(
        q, k, v, embed_dim, heads, meta(bound["qkv_weight"]), meta(bound["qkv_bias"]), None, None, False, 0.0,
        meta(bound["proj_weight"]), meta(bound["proj_bias"]), training=False, key_padding_mask=key_padding_mask,
        need_weights=need_weights, attn_mask=attn_mask, average_attn_weights=average,
    )
    return _seq_first(output)


def multi_head_attention(counter: Pricing, bound: Bound) -> None:
    """``aten::_native_multi_head_attention``: priced as ``nn.MultiheadAttention``'s slow path."""
    meta = _Meta()
    query, key, value = meta(bound["query"]), meta(bound["key"]), meta(bound["value"])
    counter.priced(lambda: _self_attention(
        bound, meta, query, key, value, bool(bound["need_weights"]), bool(bound["average_attn_weights"]), "num_head",
    ))


def encoder_layer(counter: Pricing, bound: Bound) -> None:
    """``aten::_transformer_encoder_layer_fwd``: priced as ``nn.TransformerEncoderLayer``'s slow path in eval.

    On a nested tensor (``nn.TransformerEncoder`` with a padding mask in eval), each sequence is
    priced at its own length, as the kernel skips the padding.
    """
    meta = _Meta()
    embed_dim = bound["embed_dim"]
    activation = F.gelu if bound["use_gelu"] else F.relu

    def norm(x: torch.Tensor, which: int) -> torch.Tensor:
        weight, bias = meta(bound[f"norm_weight_{which}"]), meta(bound[f"norm_bias_{which}"])
        return F.layer_norm(x, (embed_dim,), weight, bias, bound["eps"])

    def attend(x: torch.Tensor) -> torch.Tensor:
        return _self_attention(bound, meta, x, x, x, False, True, "num_heads")

    def feed_forward(x: torch.Tensor) -> torch.Tensor:
        hidden = activation(F.linear(x, meta(bound["ffn_weight_1"]), meta(bound["ffn_bias_1"])))
        return F.linear(hidden, meta(bound["ffn_weight_2"]), meta(bound["ffn_bias_2"]))

    def layer(x: torch.Tensor) -> torch.Tensor:
        if bound["norm_first"]:
            x = x + attend(norm(x, 1))
            return x + feed_forward(norm(x, 2))
        x = norm(x + attend(x), 1)
        return norm(x + feed_forward(x), 2)

    src = bound["src"]
    if src.is_nested:  # nn.TransformerEncoder packed a padded batch: each sequence at its own length, no padding
        for length, features in src._nested_tensor_size().tolist():
            counter.priced(lambda: layer(torch.empty(1, length, features, device="meta")))
    else:
        counter.priced(lambda: layer(meta(src)))


def _lstm_layer(bound: Bound, meta: _Meta, weight_names: tuple[str, ...]) -> Callable[[], object]:
    weights = [meta(bound[name]) for name in (weight_names if bound["has_biases"] else weight_names[:2])]
    data = meta(bound["input"])
    hidden = (meta(bound["hx_"]).unsqueeze(0), meta(bound.get("cx_", bound.get("cx_tmp"))).unsqueeze(0))
    batch_sizes = list(bound["batch_sizes"] or [])
    if batch_sizes:
        sizes = torch.tensor(batch_sizes)
        return lambda: torch.lstm(data, sizes, hidden, weights, bool(bound["has_biases"]), 1, 0.0, bool(bound["train"]), False)
    # the layer's input is sequence-first whatever its batch_first flag says (the caller transposed it)
    return lambda: torch.lstm(data, hidden, weights, bool(bound["has_biases"]), 1, 0.0, bool(bound["train"]), False, False)


def lstm_layer(counter: Pricing, bound: Bound) -> None:
    """oneDNN's ``mkldnn_rnn_layer`` (one LSTM layer, one direction): priced as ``torch.lstm`` without oneDNN."""
    counter.priced(_lstm_layer(bound, _Meta(), ("weight0", "weight1", "weight2", "weight3")))


def lstm_layer_backward(counter: Pricing, bound: Bound) -> None:
    """``mkldnn_rnn_layer_backward``: twice the forward layer's matmul and element-wise work."""
    counter.priced(_lstm_layer(bound, _Meta(), ("weight1", "weight2", "weight3", "weight4")), 2, 2)


_ATTENTION_KERNELS = (
    "_scaled_dot_product_flash_attention_for_cpu", "_scaled_dot_product_flash_attention",
    "_scaled_dot_product_efficient_attention", "_scaled_dot_product_cudnn_attention",
)

FUSED_PRICES: dict[str, FusedPrice] = {
    **{name: attention_forward for name in _ATTENTION_KERNELS},
    **{name + "_backward": attention_backward for name in _ATTENTION_KERNELS},
    "_native_multi_head_attention": multi_head_attention,
    "_transformer_encoder_layer_fwd": encoder_layer,
    "mkldnn_rnn_layer": lstm_layer,
    "mkldnn_rnn_layer_backward": lstm_layer_backward,
}
"""Fused op name → its price, by the unfused computation it stands for."""

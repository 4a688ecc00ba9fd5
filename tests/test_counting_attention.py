"""Counting attention and transformers exactly: SDPA on every backend, MHA fast and slow paths, encoder/decoder layers.

Every MAC count is a closed form; fused kernels must cost what their unfused path costs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from modbench.metrics.counting import OpCounts, count_ops

MODES = ("infer", "train")


def sdpa_macs(rows: int, length: int, source: int, d_query: int, d_value: int) -> int:
    """``QKᵀ`` (rows·L·S·Dq) plus ``·V`` (rows·L·S·Dv), rows = batch × heads."""
    return rows * length * source * (d_query + d_value)


def mha_macs(batch: int, length: int, source: int, embed: int) -> int:
    """Query projection, key and value projections, attention (2·B·L·S·E over all heads), output projection."""
    return batch * length * embed * embed + 2 * batch * source * embed * embed + 2 * batch * length * source * embed \
        + batch * length * embed * embed


@contextmanager
def fast_path(enabled: bool) -> Iterator[None]:
    previous = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(enabled)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(previous)


class Attend(nn.Module):
    def __init__(self, mask: torch.Tensor | None = None, is_causal: bool = False) -> None:
        super().__init__()
        self.mask, self.is_causal = mask, is_causal

    def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return F.scaled_dot_product_attention(q, k, v, attn_mask=self.mask, is_causal=self.is_causal)


B, H, L, S, DQ, DV = 2, 3, 5, 7, 4, 6
MASKS = {
    "none": lambda: Attend(),
    "bool": lambda: Attend(mask=torch.rand(L, S) > 0.3),
    "float": lambda: Attend(mask=torch.randn(L, S)),
    "causal": lambda: Attend(is_causal=True),
}


def sdpa_elementwise(mask: str) -> int:
    """Scale q and k (1 per element each), softmax (3 per score), the mask added (1 per score; a bool
    mask is turned into an additive one and a causal one is built first, 1 per L×S element)."""
    scores = B * H * L * S
    flops = B * H * L * DQ + B * H * S * DQ + 3 * scores
    if mask != "none":
        flops += scores
    if mask in ("bool", "causal"):
        flops += L * S
    return flops


def qkv() -> tuple[torch.Tensor, ...]:
    return torch.randn(B, H, L, DQ), torch.randn(B, H, S, DQ), torch.randn(B, H, S, DV)


@pytest.mark.parametrize("mask", list(MASKS))
@pytest.mark.parametrize("backend", ["default", "math"])
@pytest.mark.parametrize("mode", MODES)
def test_sdpa_is_exact_on_every_cpu_backend(mask: str, backend: str, mode: str) -> None:
    causal_cross = mask == "causal"  # a causal mask is square in PyTorch's math backend
    q, k, v = (torch.randn(B, H, L, DQ), torch.randn(B, H, L, DQ), torch.randn(B, H, L, DV)) if causal_cross else qkv()
    source = L if causal_cross else S
    if backend == "math":
        with sdpa_kernel(SDPBackend.MATH):
            counts = count_ops(MASKS[mask](), (q, k, v), mode)
    else:
        counts = count_ops(MASKS[mask](), (q, k, v), mode)
    assert counts.macs == sdpa_macs(B * H, L, source, DQ, DV)
    assert counts.flops_matmul == 2 * counts.macs
    expected = sdpa_elementwise(mask) if not causal_cross else (
        B * H * L * DQ * 2 + 3 * B * H * L * L + B * H * L * L + L * L)
    assert counts.flops_elementwise == expected
    assert counts.unsupported_ops == ()


@pytest.mark.parametrize("mask", ["none", "float"])
def test_fused_sdpa_backward_recomputes_scores(mask: str) -> None:
    inputs = (torch.randn(B, H, L, DQ), torch.randn(B, H, S, DQ), torch.randn(B, H, S, DQ))  # flash wants Dv = Dq
    counts = count_ops(MASKS[mask](), inputs, "train")
    forward_elementwise = sdpa_elementwise(mask)
    # five products (scores again, grad scores, grad V, grad Q, grad K), twice the forward's
    # element-wise work, and the loss: a sum over the B·H·L·Dv outputs, then over one
    matmul = 2 * B * H * L * S * 5 * DQ
    assert counts.flops_backward == matmul + 2 * forward_elementwise + B * H * L * DQ + 1


@pytest.mark.parametrize("kernel", ["_scaled_dot_product_efficient_attention", "_scaled_dot_product_flash_attention"])
def test_gpu_sdpa_kernels_are_priced_as_the_math_backend(kernel: str) -> None:
    class Kernel(nn.Module):
        def forward(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
            op = getattr(torch.ops.aten, kernel)
            return op(q, k, v, None, False)[0] if "efficient" in kernel else op(q, k, v)[0]

    shapes = ((B, H, L, DQ), (B, H, S, DQ), (B, H, S, DQ))  # these kernels want Dv = Dq
    inputs = tuple(torch.empty(shape, device="meta") for shape in shapes)  # their shapes run without a GPU
    counts = count_ops(Kernel(), inputs)
    assert counts.macs == sdpa_macs(B * H, L, S, DQ, DQ)
    assert counts.flops_elementwise == B * H * L * DQ + B * H * S * DQ + 3 * B * H * L * S


def _mha_counts(batch_first: bool, need_weights: bool, cross: bool, mode: str) -> tuple[OpCounts, int]:
    embed, heads, batch, length, source = 12, 3, 2, 5, 7 if cross else 5
    mha = nn.MultiheadAttention(embed, heads, batch_first=batch_first)

    class Attention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attention = mha

        def forward(self, x: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
            key = memory if cross else x
            return self.attention(x, key, key, need_weights=need_weights)[0]

    def shape(length_: int) -> tuple[int, int, int]:
        return (batch, length_, embed) if batch_first else (length_, batch, embed)

    inputs = (torch.randn(shape(length)), torch.randn(shape(source)))
    return count_ops(Attention(), inputs, mode), mha_macs(batch, length, source, embed)


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("cross", [False, True])
@pytest.mark.parametrize("mode", MODES)
def test_multihead_attention_macs(batch_first: bool, need_weights: bool, cross: bool, mode: str) -> None:
    counts, expected = _mha_counts(batch_first, need_weights, cross, mode)
    assert counts.macs == expected
    assert counts.unsupported_ops == ()
    assert counts.flops_elementwise > 0  # softmax at least


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("cross", [False, True])
def test_mha_fast_path_costs_what_its_slow_path_costs(need_weights: bool, cross: bool) -> None:
    fast, _ = _mha_counts(True, need_weights, cross, "infer")
    with fast_path(False):
        slow, _ = _mha_counts(True, need_weights, cross, "infer")
    assert (fast.macs, fast.flops_elementwise) == (slow.macs, slow.flops_elementwise)


def test_mha_fast_path_is_taken_and_priced() -> None:
    from modbench.metrics.op_counter import OpCounter

    mha = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    x = torch.randn(2, 5, 8)
    counter = OpCounter(mha)
    with torch.no_grad(), counter:
        mha(x, x, x)
    assert counter.forward_total().flops_matmul == 2 * mha_macs(2, 5, 5, 8)
    assert "_native_multi_head_attention" not in counter.unsupported


def encoder_macs(batch: int, length: int, embed: int, feedforward: int) -> int:
    return mha_macs(batch, length, length, embed) + 2 * batch * length * embed * feedforward


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("mode", MODES)
def test_transformer_encoder_layer(norm_first: bool, activation: str, batch_first: bool, mode: str) -> None:
    layer = nn.TransformerEncoderLayer(16, 4, 24, dropout=0.1, activation=activation, batch_first=batch_first,
                                       norm_first=norm_first)
    x = torch.randn((2, 6, 16) if batch_first else (6, 2, 16))
    counts = count_ops(layer, (x,), mode)
    assert counts.macs == encoder_macs(2, 6, 16, 24)
    assert counts.unsupported_ops == ()
    if mode == "infer":
        with fast_path(False):
            slow = count_ops(layer, (x,), mode)
        assert (slow.macs, slow.flops_elementwise) == (counts.macs, counts.flops_elementwise)
    else:
        assert counts.flops_backward is not None and counts.flops_backward > 2 * counts.flops_matmul


@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("mode", MODES)
def test_transformer_decoder_layer(batch_first: bool, mode: str) -> None:
    layer = nn.TransformerDecoderLayer(16, 4, 24, batch_first=batch_first)
    target, memory = ((2, 6, 16), (2, 9, 16)) if batch_first else ((6, 2, 16), (9, 2, 16))
    counts = count_ops(layer, (torch.randn(target), torch.randn(memory)), mode)
    assert counts.macs == mha_macs(2, 6, 6, 16) + mha_macs(2, 6, 9, 16) + 2 * 2 * 6 * 16 * 24
    assert counts.unsupported_ops == ()


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_costs_one_per_element_and_two_in_backward(approximate: str) -> None:
    x = torch.randn(3, 5, 7)
    counts = count_ops(nn.GELU(approximate), (x,), "train")
    assert counts.flops_elementwise == x.numel()
    assert counts.flops_backward == 2 * x.numel() + x.numel() + 1  # gelu_backward, then the loss's sums


def test_layer_norm_costs_four_per_element() -> None:
    x = torch.randn(3, 5, 8)
    assert count_ops(nn.LayerNorm(8), (x,)).flops_elementwise == 4 * x.numel()


def test_linear_train_step_counts_both_gradient_products() -> None:
    linear, x = nn.Linear(6, 4), torch.randn(3, 6)
    block = count_ops(linear, (x,), "train")
    model = count_ops(linear, (x,), "train", input_grad=False)
    macs = 3 * 6 * 4
    loss = 3 * 4 + 1
    bias_grad = 3 * 4  # a sum over the batch
    assert block.macs == model.macs == macs
    assert block.flops_backward == 2 * 2 * macs + bias_grad + loss  # grad input and grad weight
    assert model.flops_backward == 2 * macs + bias_grad + loss  # grad weight only


def test_infer_counts_no_backward() -> None:
    assert count_ops(nn.Linear(3, 2), (torch.randn(1, 3),)).flops_backward is None


def test_nested_tensor_fast_path_prices_each_sequence_at_its_length() -> None:
    # with a padding mask, nn.TransformerEncoder in eval packs the batch into a nested tensor and
    # skips the padded tokens: sequences of 4 and 6 tokens cost what they cost alone
    encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 32, batch_first=True), 2, enable_nested_tensor=True)
    padding = torch.zeros(2, 6, dtype=torch.bool)
    padding[0, 4:] = True

    class Padded(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.encoder(x, src_key_padding_mask=padding)

    counts = count_ops(Padded(), (torch.randn(2, 6, 16),))
    assert counts.unsupported_ops == ()
    assert counts.macs == 2 * (encoder_macs(1, 4, 16, 32) + encoder_macs(1, 6, 16, 32))
    with fast_path(False):  # the slow path computes the padded tokens too
        assert count_ops(Padded(), (torch.randn(2, 6, 16),)).macs == 2 * encoder_macs(2, 6, 16, 32)


def test_a_fused_op_whose_replay_fails_is_unpriced_not_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    from modbench.metrics import fused

    def broken(counter: object, bound: object) -> None:
        raise RuntimeError("no meta kernel")

    monkeypatch.setitem(fused.FUSED_PRICES, "_native_multi_head_attention", broken)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)

    class SelfAttention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.mha = mha

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.mha(x, x, x)[0]

    counts = count_ops(SelfAttention(), (torch.randn(2, 5, 8),))
    assert counts.unsupported_ops == counts.unpriced_ops == ("_native_multi_head_attention",)

"""Sequence and MLP entries: gMLP, S2-MLPv2, recurrent layers, char RNNs and seed 000's signal CNNs.

Shapes are checked against the seeds' comments; parameter and MAC counts against closed forms
written out here from the papers (exact equality), so a change in a block's structure shows up as
a formula mismatch rather than a silently different benchmark.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from modbench.catalog import get_entry, list_entries
from modbench.catalog.s2mlp import SHIFT1, SHIFT2, spatial_shift
from modbench.errors import UsageError
from modbench.metrics.counting import count_ops
from modbench.metrics.params import count_parameters

RECURRENT_DEFAULTS = {
    "input_size": 4, "hidden_size": 4, "num_layers": 1, "bidirectional": False, "batch_first": True, "seq_len": 5,
}
SEQUENCE_ENTRIES = {
    "gmlp": ("block", {"d_model": 10, "d_ffn": 20, "seq_len": 40, "num_layers": 6}),
    "spatial_gating_unit": ("block", {"d_ffn": 20, "seq_len": 40}),
    "s2mlpv2_block": ("block", {"channels": 64, "hw": 28, "mlp_ratio": 3}),
    "rnn_cell": ("block", {"input_size": 4, "hidden_size": 4}),
    **{kind: ("block", RECURRENT_DEFAULTS) for kind in ("rnn", "lstm", "gru")},
    "embedding": ("block", {"num_embeddings": 4, "embedding_dim": 10, "seq_len": 5}),
    "char_rnn": ("model", {"vocab_size": 4, "hidden_size": 4, "num_layers": 1, "seq_len": 5}),
    "char_rnn_embedding": (
        "model",
        {"vocab_size": 4, "embedding_dim": 10, "hidden_size": 8, "num_layers": 2, "seq_len": 5},
    ),
    "signal_cnn": ("model", {"height": 10000, "width": 12, "num_classes": 6}),
    "signal_cnn_gmlp": (
        "model",
        {"height": 10000, "width": 12, "num_classes": 6, "d_ffn": 20, "num_layers": 6, "hidden": 64, "dropout": 0.4},
    ),
}

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def build(name: str, batch: int = 2, **overrides: object) -> tuple[torch.nn.Module, tuple[torch.Tensor, ...]]:
    entry = get_entry(name)
    module, config = entry.build(overrides)
    return module, entry.inputs(config, batch)


def tensors_in(value: Any) -> list[torch.Tensor]:
    """The tensors of a (nested) output: the recurrent layers return tuples like (out, (h, c))."""
    if isinstance(value, torch.Tensor):
        return [value]
    return [t for item in value for t in tensors_in(item)]


def params(module: torch.nn.Module) -> int:
    return count_parameters(module).params


def macs(name: str, batch: int = 2, **overrides: object) -> int:
    module, inputs = build(name, batch, **overrides)
    return count_ops(module, inputs, mode="infer").macs


# ---- closed forms ---------------------------------------------------------------------------


def recurrent_params(gates: int, i: int, h: int, layers: int, dirs: int) -> int:
    """Σ over layers and directions of gates·(h·(i_l + h) + 2h); i_0 = input, then h·dirs."""
    return sum(gates * (h * ((i if layer == 0 else h * dirs) + h) + 2 * h) * dirs for layer in range(layers))


def recurrent_macs(gates: int, i: int, h: int, layers: int, dirs: int, steps: int, batch: int) -> int:
    """steps·batch·(numel of every weight matrix): gates·h·(i_l + h) per layer and direction."""
    return steps * batch * sum(gates * h * ((i if layer == 0 else h * dirs) + h) * dirs for layer in range(layers))


def sgu_params(f: int, seq: int) -> int:
    """LayerNorm over f/2 (2·f/2) + token-mixing seq×seq weights + seq biases."""
    return 2 * (f // 2) + seq * seq + seq


def gmlp_block_params(d: int, f: int, seq: int) -> int:
    """LayerNorm 2d + proj1 d·f + f + SGU + proj2 (f/2)·d + d."""
    return 2 * d + d * f + f + sgu_params(f, seq) + (f // 2) * d + d


def gmlp_block_macs(d: int, f: int, seq: int, batch: int) -> int:
    """proj1 N·seq·d·f + token mixing N·(f/2)·seq² + proj2 N·seq·(f/2)·d."""
    return batch * (seq * d * f + (f // 2) * seq * seq + seq * (f // 2) * d)


def s2mlpv2_params(c: int, r: int) -> int:
    """LN 2C + mlp1 3C²+3C + split attention C²+3C² (no biases) + mlp2 C²+C + LN 2C + MLP 2rC²+rC+C."""
    return (8 + 2 * r) * c * c + (9 + r) * c


def s2mlpv2_macs(c: int, hw: int, r: int, batch: int) -> int:
    """Per position 3C² + C² + 2rC² (mlp1, mlp2, channel MLP); per sample 4C² (split attention)."""
    return batch * hw * hw * (4 + 2 * r) * c * c + batch * 4 * c * c


# Seed 000's conv outputs at 10000×12: conv1 (10000+2-200)//50+1 = 197, (12+2-3)+1 = 12;
# pool → (5, 99, 7); conv2 (99+2-20)//4+1 = 21, (7+2-2)+1 = 8; pool → (10, 10, 4).
SIGNAL_CONV_PARAMS = (5 * 1 * 200 * 3 + 5) + (10 * 5 * 20 * 2 + 10)
SIGNAL_CONV_MACS = 5 * 1 * 200 * 3 * 197 * 12 + 10 * 5 * 20 * 2 * 21 * 8


# ---- registration ---------------------------------------------------------------------------


def test_entries_registered_with_seed_defaults() -> None:
    for name, (family, defaults) in SEQUENCE_ENTRIES.items():
        entry = get_entry(name)
        assert entry.family == family, name
        assert entry.default_config == defaults, name
        assert entry.source.seed and entry.source.seed[:3] in {"000", "002", "003"}, name
        assert f"seed-{entry.source.seed[:3]}" in entry.tags, name
        assert entry.summary, name
    assert {"gmlp", "spatial_gating_unit", "s2mlpv2_block", "signal_cnn_gmlp"} <= set(list_entries(tags="mlp"))
    assert {"rnn_cell", "rnn", "lstm", "gru", "char_rnn", "char_rnn_embedding"} <= set(list_entries(tags="recurrent"))


@pytest.mark.parametrize("name", sorted(SEQUENCE_ENTRIES))
def test_every_entry_runs_forward_and_backward(name: str) -> None:
    module, inputs = build(name, batch=2)
    module.train()
    out = module(*inputs)
    sum(t.sum() for t in tensors_in(out)).backward()
    assert all(p.grad is not None for p in module.parameters() if p.requires_grad)


# ---- shapes ---------------------------------------------------------------------------------


def test_signal_cnn_stage_shapes_match_seed_comments() -> None:
    model, (x,) = build("signal_cnn", batch=3)
    assert x.shape == (3, 1, 10000, 12)
    stage1 = model.trunk.conv1(x)
    assert stage1.shape[1:] == (5, 99, 7)
    stage2 = model.trunk.conv2(stage1)
    assert stage2.shape[1:] == (10, 10, 4)
    assert model(x).shape == (3, 6)


def test_signal_cnn_gmlp_tokens_and_logits() -> None:
    model, (x,) = build("signal_cnn_gmlp", batch=3)
    model.eval()
    assert model.tokens(x).shape == (3, 40, 10)
    assert model(x).shape == (3, 6)


def test_signal_cnn_follows_input_size_and_rejects_too_small() -> None:
    model, (x,) = build("signal_cnn", batch=1, height=5000)
    assert model(x).shape == (1, 6)
    with pytest.raises(UsageError, match="too small"):
        build("signal_cnn", height=100)


@pytest.mark.parametrize("overrides", [{}, {"seq_len": "256", "d_model": "128", "d_ffn": "512", "num_layers": "1"}])
def test_gmlp_preserves_shape(overrides: dict[str, str]) -> None:
    model, (x,) = build("gmlp", batch=2, **overrides)
    assert model(x).shape == x.shape


def test_gmlp_rejects_odd_d_ffn() -> None:
    with pytest.raises(UsageError, match="even"):
        build("gmlp", d_ffn=21)


def test_fresh_spatial_gating_unit_passes_u_through() -> None:
    """Near-zero spatial weights and bias 1 make a new block start as a plain FFN: gate ≈ 1."""
    sgu, (x,) = build("spatial_gating_unit", batch=2)
    u = x[..., :10]
    torch.testing.assert_close(sgu(x), u, atol=0.1, rtol=0.05)


def test_char_rnn_shapes() -> None:
    model, (x,) = build("char_rnn", batch=3)
    assert x.shape == (3, 5, 4) and x.dtype == torch.float32
    assert torch.equal(x.sum(-1), torch.ones(3, 5))  # one-hot rows
    assert model(x).shape == (3, 5, 4)
    model, (tokens,) = build("char_rnn_embedding", batch=3)
    assert tokens.shape == (3, 5) and tokens.dtype == torch.int64
    assert model(tokens).shape == (3, 5, 4)


@pytest.mark.parametrize("batch_first", [True, False])
def test_recurrent_input_layout_follows_batch_first(batch_first: bool) -> None:
    module, (x,) = build("lstm", batch=3, batch_first=batch_first, seq_len=7)
    assert x.shape == ((3, 7, 4) if batch_first else (7, 3, 4))
    output, (h_n, c_n) = module(x)
    assert output.shape[:2] == x.shape[:2] and h_n.shape == (1, 3, 4)


def test_larger_recurrent_config_through_set_strings() -> None:
    entry = get_entry("gru")
    config = entry.config({"input_size": "128", "hidden_size": "256", "seq_len": "64", "bidirectional": "true"})
    module, _ = entry.build(config)
    output, _ = module(*entry.inputs(config, 1))
    assert output.shape == (1, 64, 512)


# ---- S2-MLPv2 shifts -------------------------------------------------------------------------


def paper_shift1(x: torch.Tensor) -> torch.Tensor:
    """The S2-MLPv2 paper's Algorithm 1 ``spatial_shift1``, applied to a copy (N×H×W×C)."""
    x = x.clone()
    _, h, w, c = x.shape
    x[:, 1:, :, : c // 4] = x[:, : h - 1, :, : c // 4].clone()
    x[:, : h - 1, :, c // 4 : c // 2] = x[:, 1:, :, c // 4 : c // 2].clone()
    x[:, :, 1:, c // 2 : c * 3 // 4] = x[:, :, : w - 1, c // 2 : c * 3 // 4].clone()
    x[:, :, : w - 1, 3 * c // 4 :] = x[:, :, 1:, 3 * c // 4 :].clone()
    return x


def paper_shift2(x: torch.Tensor) -> torch.Tensor:
    """The paper's ``spatial_shift2``: the same four directions, assigned to other channel groups."""
    x = x.clone()
    _, h, w, c = x.shape
    x[:, :, 1:, : c // 4] = x[:, :, : w - 1, : c // 4].clone()
    x[:, :, : w - 1, c // 4 : c // 2] = x[:, :, 1:, c // 4 : c // 2].clone()
    x[:, 1:, :, c // 2 : c * 3 // 4] = x[:, : h - 1, :, c // 2 : c * 3 // 4].clone()
    x[:, : h - 1, :, 3 * c // 4 :] = x[:, 1:, :, 3 * c // 4 :].clone()
    return x


@pytest.mark.parametrize("shape", [(2, 5, 6, 8), (1, 7, 7, 12), (1, 4, 3, 10), (1, 1, 5, 4)])
def test_spatial_shifts_match_paper_and_leave_input_alone(shape: tuple[int, int, int, int]) -> None:
    x = torch.randn(shape)
    original = x.clone()
    assert torch.equal(spatial_shift(x, SHIFT1), paper_shift1(x))
    assert torch.equal(spatial_shift(x, SHIFT2), paper_shift2(x))
    assert torch.equal(x, original)


def test_s2mlpv2_block_is_channels_last_and_shape_preserving() -> None:
    block, (x,) = build("s2mlpv2_block", batch=2, channels=16, hw=7)
    assert x.shape == (2, 7, 7, 16) and x.is_contiguous()
    assert block(x).shape == x.shape


# ---- parameter counts ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(GATES))
@pytest.mark.parametrize(
    ("i", "h", "layers", "bidirectional"),
    [(4, 4, 1, False), (10, 8, 2, False), (3, 7, 3, True), (128, 256, 2, True), (1, 1, 1, True), (64, 32, 4, False)],
)
def test_recurrent_params(kind: str, i: int, h: int, layers: int, bidirectional: bool) -> None:
    module, _ = build(kind, input_size=i, hidden_size=h, num_layers=layers, bidirectional=bidirectional)
    assert params(module) == recurrent_params(GATES[kind], i, h, layers, 2 if bidirectional else 1)


@pytest.mark.parametrize(("i", "h"), [(4, 4), (4, 2), (128, 256), (1, 9)])
def test_rnn_cell_params(i: int, h: int) -> None:
    module, _ = build("rnn_cell", input_size=i, hidden_size=h)
    assert params(module) == h * (i + h) + 2 * h


@pytest.mark.parametrize(("v", "d"), [(4, 10), (1000, 64), (1, 1)])
def test_embedding_params(v: int, d: int) -> None:
    module, _ = build("embedding", num_embeddings=v, embedding_dim=d)
    assert params(module) == v * d


def test_char_rnn_params() -> None:
    one_hot, _ = build("char_rnn")
    assert params(one_hot) == recurrent_params(1, 4, 4, 1, 1) + (4 * 4 + 4)
    embedded, _ = build("char_rnn_embedding")
    assert params(embedded) == 4 * 10 + recurrent_params(1, 10, 8, 2, 1) + (8 * 4 + 4)


@pytest.mark.parametrize(
    ("d", "f", "seq", "layers"), [(10, 20, 40, 6), (128, 512, 256, 1), (7, 2, 3, 2), (16, 64, 1, 3), (32, 30, 50, 1)]
)
def test_gmlp_params(d: int, f: int, seq: int, layers: int) -> None:
    module, _ = build("gmlp", d_model=d, d_ffn=f, seq_len=seq, num_layers=layers)
    assert params(module) == layers * gmlp_block_params(d, f, seq)


@pytest.mark.parametrize(("f", "seq"), [(20, 40), (512, 256), (2, 1)])
def test_spatial_gating_unit_params(f: int, seq: int) -> None:
    module, _ = build("spatial_gating_unit", d_ffn=f, seq_len=seq)
    assert params(module) == sgu_params(f, seq)


@pytest.mark.parametrize(("c", "r"), [(64, 3), (4, 1), (96, 4), (10, 2), (192, 3)])
def test_s2mlpv2_params(c: int, r: int) -> None:
    module, _ = build("s2mlpv2_block", channels=c, mlp_ratio=r)
    assert params(module) == s2mlpv2_params(c, r)


def test_signal_cnn_params() -> None:
    module, _ = build("signal_cnn")
    assert params(module) == SIGNAL_CONV_PARAMS + 400 * 6 + 6 == 7421


def test_signal_cnn_gmlp_params() -> None:
    module, _ = build("signal_cnn_gmlp")
    expected = SIGNAL_CONV_PARAMS + 6 * gmlp_block_params(10, 20, 40) + (400 * 64 + 64) + (64 * 6 + 6)
    assert params(module) == expected == 43129


# ---- MACs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(GATES))
@pytest.mark.parametrize(
    ("i", "h", "layers", "bidirectional", "batch_first", "steps"),
    [(4, 4, 1, False, True, 5), (10, 8, 2, False, False, 3), (3, 7, 3, True, True, 4), (16, 12, 2, True, False, 6)],
)
def test_recurrent_macs(
    kind: str, i: int, h: int, layers: int, bidirectional: bool, batch_first: bool, steps: int
) -> None:
    counted = macs(
        kind, batch=3, input_size=i, hidden_size=h, num_layers=layers,
        bidirectional=bidirectional, batch_first=batch_first, seq_len=steps,
    )
    expected = recurrent_macs(GATES[kind], i, h, layers, 2 if bidirectional else 1, steps, 3)
    assert counted == expected > 0


@pytest.mark.parametrize(("i", "h"), [(4, 4), (10, 3)])
def test_rnn_cell_macs(i: int, h: int) -> None:
    assert macs("rnn_cell", batch=3, input_size=i, hidden_size=h) == 3 * h * (i + h) > 0


def test_embedding_lookup_has_no_macs() -> None:
    """A lookup is a gather: the saving over a one-hot matmul that seed 003 argues for."""
    assert macs("embedding", batch=3) == 0


def test_char_rnn_macs() -> None:
    steps, batch = 5, 3
    assert macs("char_rnn", batch=batch) == recurrent_macs(1, 4, 4, 1, 1, steps, batch) + steps * batch * 4 * 4
    assert macs("char_rnn_embedding", batch=batch) == (
        recurrent_macs(1, 10, 8, 2, 1, steps, batch) + steps * batch * 8 * 4
    )


@pytest.mark.parametrize(("d", "f", "seq", "layers"), [(10, 20, 40, 6), (16, 64, 32, 2), (8, 6, 5, 1)])
def test_gmlp_macs(d: int, f: int, seq: int, layers: int) -> None:
    counted = macs("gmlp", batch=2, d_model=d, d_ffn=f, seq_len=seq, num_layers=layers)
    assert counted == layers * gmlp_block_macs(d, f, seq, batch=2)


@pytest.mark.parametrize(("f", "seq"), [(20, 40), (64, 100)])
def test_spatial_gating_unit_macs_are_token_mixing(f: int, seq: int) -> None:
    assert macs("spatial_gating_unit", batch=3, d_ffn=f, seq_len=seq) == 3 * (f // 2) * seq * seq


@pytest.mark.parametrize(("c", "hw", "r"), [(64, 28, 3), (16, 7, 4), (12, 5, 1)])
def test_s2mlpv2_macs(c: int, hw: int, r: int) -> None:
    assert macs("s2mlpv2_block", batch=2, channels=c, hw=hw, mlp_ratio=r) == s2mlpv2_macs(c, hw, r, batch=2)


def test_signal_cnn_macs() -> None:
    assert macs("signal_cnn", batch=2) == 2 * (SIGNAL_CONV_MACS + 400 * 6)


def test_signal_cnn_gmlp_macs() -> None:
    expected = 2 * (SIGNAL_CONV_MACS + 400 * 64 + 64 * 6) + 6 * gmlp_block_macs(10, 20, 40, batch=2)
    assert macs("signal_cnn_gmlp", batch=2) == expected

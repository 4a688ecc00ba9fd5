"""Operation counting: element-wise handles, recurrent layers, state restored, blind spots reported, fvcore cross-check."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from modbench.errors import UsageError
from modbench.metrics.counting import count_ops
from modbench.metrics.elementwise import _adaptive_window_total


class Swish(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


class CumulativeSum(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cumsum(x, dim=-1)


class Attention(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.scaled_dot_product_attention(x, x, x)


@pytest.mark.parametrize(("module", "per_element"), [(nn.ReLU(), 1), (nn.SiLU(), 1), (Swish(), 2), (nn.Sigmoid(), 1)])
def test_activation_costs_per_element(module: nn.Module, per_element: int) -> None:
    x = torch.randn(2, 3, 5, 7)
    counts = count_ops(module, (x,))
    assert counts.macs == 0
    assert counts.flops_elementwise == per_element * x.numel()
    assert counts.flops == counts.flops_elementwise


@pytest.mark.parametrize("in_size", [1, 5, 7, 10, 13])
@pytest.mark.parametrize("out_size", [1, 2, 3, 4])
def test_adaptive_pool_window_total_matches_brute_force(in_size: int, out_size: int) -> None:
    # each input element's contribution, counted by running the pool on a ones tensor with sum
    x = torch.ones(1, 1, in_size)
    windows = nn.functional.adaptive_avg_pool1d(x, out_size) * torch.tensor(
        [math.ceil((i + 1) * in_size / out_size) - (i * in_size) // out_size for i in range(out_size)]
    )
    assert _adaptive_window_total(in_size, out_size) == int(windows.sum())


def test_conv_bn_relu_pool_counts() -> None:
    block = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2))
    x = torch.randn(1, 3, 8, 8)
    infer = count_ops(block, (x,), "infer")
    train = count_ops(block, (x,), "train")
    conv_macs = 8 * 3 * 9 * 8 * 8
    out = 8 * 8 * 8
    assert infer.macs == train.macs == conv_macs
    assert infer.flops_matmul == 2 * conv_macs
    # eval BN 2/element, relu 1/element, max pool 2x2 windows on 8x4x4 outputs
    assert infer.flops_elementwise == 2 * out + out + 8 * 4 * 4 * 4
    # train BN computes statistics: 4/element (+1 for num_batches_tracked)
    assert train.flops_elementwise == 4 * out + 1 + out + 8 * 4 * 4 * 4
    assert infer.counter_note is None


def _recurrent_macs(cell_gates: int, input_size: int, hidden: int, layers: int, directions: int, steps: int, batch: int) -> int:
    total = 0
    for layer in range(layers):
        layer_input = input_size if layer == 0 else hidden * directions
        total += directions * cell_gates * hidden * (layer_input + hidden)
    return steps * batch * total


@pytest.mark.parametrize(("cls", "gates"), [(nn.RNN, 1), (nn.GRU, 3), (nn.LSTM, 4)])
@pytest.mark.parametrize(("input_size", "hidden", "layers", "bidirectional"), [(4, 4, 1, False), (7, 3, 2, True), (16, 32, 3, False)])
@pytest.mark.parametrize("batch_first", [True, False])
def test_recurrent_macs_match_formula_on_onednn_and_reference_paths(cls: type[nn.Module], gates: int, input_size: int, hidden: int, layers: int, bidirectional: bool, batch_first: bool) -> None:
    module = cls(input_size, hidden, num_layers=layers, bidirectional=bidirectional, batch_first=batch_first)
    steps, batch = 5, 3
    x = torch.randn(batch, steps, input_size) if batch_first else torch.randn(steps, batch, input_size)
    counts = count_ops(module, (x,))
    expected = _recurrent_macs(gates, input_size, hidden, layers, 2 if bidirectional else 1, steps, batch)
    assert counts.macs == expected
    assert counts.flops_matmul == 2 * expected
    assert counts.unsupported_ops == () and counts.counter_note is None
    assert counts.flops_elementwise > 0  # gates: sigmoid, tanh, products
    if not batch_first:  # batch-first, the reference path adds the input bias in an op of its own
        with torch.backends.mkldnn.flags(enabled=False):  # the LSTM runs op by op, not as oneDNN's fused layer
            reference = count_ops(module, (x,))
        assert (reference.macs, reference.flops) == (counts.macs, counts.flops)


@pytest.mark.parametrize(("cls", "gates"), [(nn.RNNCell, 1), (nn.GRUCell, 3), (nn.LSTMCell, 4)])
def test_recurrent_cell_macs(cls: type[nn.Module], gates: int) -> None:
    module = cls(6, 5)
    counts = count_ops(module, (torch.randn(4, 6),))
    assert counts.macs == 4 * gates * 5 * (6 + 5)
    assert counts.flops_matmul == 2 * counts.macs


def test_counting_leaves_state_unchanged() -> None:
    torch.manual_seed(1)
    block = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Dropout(0.5))
    block.train()
    x = torch.randn(2, 3, 6, 6)
    before = {k: v.clone() for k, v in block.state_dict().items()}
    rng_before = torch.random.get_rng_state()
    count_ops(block, (x,), "train")
    count_ops(block, (x,), "infer")
    assert block.training and all(m.training for m in block.modules())
    assert all(torch.equal(before[k], v) for k, v in block.state_dict().items())
    assert torch.equal(rng_before, torch.random.get_rng_state())
    block.eval()
    count_ops(block, (x,), "train")
    assert not any(m.training for m in block.modules())


def test_dropout_costs_only_in_train_mode() -> None:
    x = torch.randn(2, 8)
    assert count_ops(nn.Dropout(0.3), (x,), "infer").flops == 0
    assert count_ops(nn.Dropout(0.3), (x,), "train").flops > 0


def test_unknown_op_is_listed_not_dropped() -> None:
    counts = count_ops(CumulativeSum(), (torch.randn(3, 4),))
    assert "cumsum" in counts.unsupported_ops
    assert "cumsum" in counts.unpriced_ops  # it works on 12 elements: real work left unpriced


def test_unknown_op_on_a_scalar_is_not_unpriced_work() -> None:
    counts = count_ops(CumulativeSum(), (torch.randn(1),))
    assert counts.unsupported_ops == ("cumsum",) and counts.unpriced_ops == ()


def test_data_movement_is_free_but_listed() -> None:
    class Shuffle(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat([x, x], dim=1)[:, 1:].permute(0, 2, 1).contiguous()

    counts = count_ops(Shuffle(), (torch.randn(2, 3, 4),))
    assert counts.flops == 0 and counts.unsupported_ops == ()
    assert {"cat", "slice", "permute"} <= set(counts.zero_cost_ops)


def test_fvcore_runs_only_when_asked_and_its_disagreement_is_reported() -> None:
    # fvcore has no handle for aten::scaled_dot_product_attention; the dispatch count prices it
    x = torch.randn(1, 2, 8, 4)
    default = count_ops(Attention(), (x,))
    assert default.macs == 2 * (2 * 8 * 8 * 4) and default.macs_fvcore is None and default.counter_note is None
    checked = count_ops(Attention(), (x,), cross_check="fvcore")
    assert checked.macs == default.macs and checked.macs_fvcore == 0
    assert checked.counter_note is not None and "fvcore counts 0 MACs" in checked.counter_note


def test_fvcore_agrees_on_a_conv_net() -> None:
    block = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 5))
    counts = count_ops(block, (torch.randn(2, 3, 8, 8),), cross_check="fvcore")
    assert counts.macs_fvcore == counts.macs == 2 * (8 * 3 * 9 * 36 + 8 * 36 * 5)
    assert counts.counter_note is None


def test_untraceable_module_is_counted_and_the_cross_check_says_why_it_failed() -> None:
    class IntOut(nn.Module):  # torch.jit.trace refuses a non-tensor output
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, int]:
            return self.fc(x), 3

    counts = count_ops(IntOut(), (torch.randn(2, 4),), cross_check="fvcore")
    assert counts.macs == 2 * 4 * 3
    assert counts.macs_fvcore is None and counts.counter_note is not None and "could not trace" in counts.counter_note


def test_unknown_cross_check_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="fvcore"):
        count_ops(nn.ReLU(), (torch.randn(2),), cross_check="fvcor")


def test_a_train_record_counts_its_backward_and_fills_gflops_achieved() -> None:
    from modbench.metrics.core import measure_spec
    from modbench.metrics.target import module_target
    from modbench.spec import Settings, Spec

    target = module_target(nn.Linear(32, 64), torch.randn(4, 32), name="lin")
    record = measure_spec(Spec(target, 4, Settings(metrics=("flops", "latency"), mode="train", quick=True, threads=1)))
    macs = 4 * 32 * 64
    assert record.flops == 2 * macs and record.macs == macs
    # grad input and grad weight products, the bias gradient (a sum over the batch), the loss's two sums
    assert record.flops_backward == 2 * 2 * macs + 4 * 64 + 4 * 64 + 1
    assert record.gflops_achieved is not None and record.gflops_achieved > 0
    assert record.gflops_achieved * record.latency_ms / 1e3 * 1e9 == pytest.approx(record.flops + record.flops_backward)


def test_settings_refuse_an_unknown_cross_check() -> None:
    from modbench.spec import Settings

    with pytest.raises(UsageError, match="cross-check"):
        Settings(cross_check="thop")

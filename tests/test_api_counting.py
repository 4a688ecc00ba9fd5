"""``modbench.measure`` counts the inputs as given (no silent slicing), per module on request, cross-checked on request."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

import modbench
from modbench.errors import UsageError


def lstm_macs(steps: int, batch: int, features: int, hidden: int) -> int:
    return steps * batch * 4 * hidden * (features + hidden)


def test_the_batch_is_the_inputs_own_and_the_record_keeps_their_shape() -> None:
    frame = modbench.measure(nn.Linear(8, 4), torch.randn(6, 8), metrics="flops")
    assert list(frame["batch"]) == [6]
    assert list(frame["macs"]) == [6 * 8 * 4]
    assert json.loads(frame["config"][0]) == {"input_shape": "Bx8"}


def test_a_sequence_first_input_is_measured_whole() -> None:
    steps, batch, features, hidden = 50, 4, 16, 32
    x = torch.randn(steps, batch, features)
    frame = modbench.measure(nn.LSTM(features, hidden), x, metrics="flops", batch_dim=1)
    assert list(frame["batch"]) == [batch]
    assert list(frame["macs"]) == [lstm_macs(steps, batch, features, hidden)]  # all 50 steps, not 1
    assert json.loads(frame["config"][0]) == {"input_shape": "50xBx16", "batch_dim": 1}


def test_a_batch_sweep_resizes_only_the_batch_dimension() -> None:
    x = torch.randn(50, 4, 16)
    frame = modbench.measure(nn.LSTM(16, 32), x, metrics="flops", batch_dim=1, batch=[2, 8])
    assert list(frame["batch"]) == [2, 8]
    assert list(frame["macs"]) == [lstm_macs(50, 2, 16, 32), lstm_macs(50, 8, 16, 32)]


def test_a_batch_dimension_the_input_lacks_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="batch_dim=3"):
        modbench.measure(nn.Linear(8, 4), torch.randn(6, 8), metrics="flops", batch_dim=3)


def test_by_module_returns_the_tree() -> None:
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 2))
    frame = modbench.measure(model, torch.randn(3, 8), by_module=True, mode=["infer", "train"])
    assert list(frame.columns[:3]) == ["entry", "batch", "mode"]
    infer = frame[frame["mode"] == "infer"].set_index("module")
    assert infer.loc["", "macs"] == 3 * (8 * 16 + 16 * 2) == infer.loc["0", "macs"] + infer.loc["2", "macs"]
    assert infer.loc["1", "flops_elementwise"] == 3 * 16
    assert infer.loc["", "params"] == 8 * 16 + 16 + 16 * 2 + 2
    assert set(frame["mode"]) == {"infer", "train"}


def test_by_module_on_a_catalog_entry_with_depth() -> None:
    frame = modbench.measure("vit_block", config={"d_model": 16, "heads": 2, "seq_len": 5}, by_module=True, depth=0)
    assert list(frame["module"]) == [""] and frame["macs"][0] == 5 * 12 * 16 * 16 + 2 * 25 * 16


def test_cross_check_fills_macs_fvcore() -> None:
    plain = modbench.measure(nn.Linear(8, 4), torch.randn(2, 8), metrics="flops")
    checked = modbench.measure(nn.Linear(8, 4), torch.randn(2, 8), metrics="flops", cross_check="fvcore")
    assert plain["macs_fvcore"].isna().all()
    assert list(checked["macs_fvcore"]) == list(checked["macs"]) == [2 * 8 * 4]
    with pytest.raises(UsageError, match="cross-check"):
        modbench.measure(nn.Linear(8, 4), torch.randn(2, 8), metrics="flops", cross_check="thop")

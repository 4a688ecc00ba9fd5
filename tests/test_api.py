"""The Python API: ``modbench.measure`` on any module or on catalog entries, as a DataFrame."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import torch
from torch import nn

import modbench
from modbench.errors import UsageError
from modbench.results import load_runs

FIELDS = ["latency_ms", "latency_iqr_ms", "runs", "throughput", "gflops_achieved", "peak_bytes", "param_bytes", "activation_bytes"]


class TwoLayer(nn.Module):
    """A module defined in a script, unknown to the catalog."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x)))


def test_measure_any_module_over_a_batch_and_mode_sweep() -> None:
    module = TwoLayer()
    frame = modbench.measure(module, torch.randn(2, 16), batch=[1, 4], mode=["infer", "train"], quick=True, threads=1)
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == 4
    assert set(zip(frame["batch"], frame["mode"])) == {(1, "infer"), (4, "infer"), (1, "train"), (4, "train")}
    assert (frame["status"] == "ok").all()
    assert (frame["entry"] == "TwoLayer").all() and (frame["threads"] == 1).all()
    assert frame[[f for f in FIELDS if f != "gflops_achieved"]].notna().all().all()
    assert frame.loc[frame["mode"] == "infer", "gflops_achieved"].notna().all()
    assert (frame["param_bytes"] == 4 * sum(p.numel() for p in module.parameters())).all()
    assert module.training and all(p.grad is None for p in module.parameters())


def test_measure_a_subset_of_metrics() -> None:
    frame = modbench.measure(nn.Linear(8, 8), torch.randn(1, 8), metrics=["params", "flops"])
    row = frame.iloc[0]
    assert row["params"] == 72 and row["macs"] == 64
    assert pd.isna(row["latency_ms"]) and pd.isna(row["peak_bytes"])


def test_measure_catalog_entries_by_name_with_a_config_and_save_the_run(tmp_path: Path) -> None:
    frame = modbench.measure("linear", config={"in_features": 32, "out_features": 16}, quick=True, results_dir=tmp_path)
    assert len(frame) == 1 and frame.iloc[0]["status"] == "ok"
    assert frame.iloc[0]["params"] == 32 * 16 + 16
    saved = load_runs(tmp_path)
    assert list(saved["run"]) == list(frame["run"])
    assert list(saved["latency_ms"]) == list(frame["latency_ms"])


class FailsWhenTraining(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            raise RuntimeError("no training step for this block")
        return x * 2


def test_a_module_that_fails_while_measured_is_a_row_with_its_reason() -> None:
    frame = modbench.measure(FailsWhenTraining(), torch.randn(2, 3), metrics=["flops"], mode=["infer", "train"])
    assert list(frame["status"]) == ["ok", "failed"]
    assert "no training step for this block" in frame.iloc[1]["error"]


def test_inputs_the_module_cannot_take_are_a_usage_error_naming_the_shape() -> None:
    with pytest.raises(UsageError, match=r"cannot take input of shape \(1, 5\)"):
        modbench.measure(nn.Linear(8, 8), torch.randn(1, 5), metrics=["params"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"device": "tpu"}, "unknown device"),
        ({"metrics": ["latncy"]}, "latency"),
        ({"batch": 0}, "positive"),
    ],
)
def test_bad_arguments_are_usage_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        modbench.measure(nn.Linear(8, 8), torch.randn(1, 8), **kwargs)


def test_a_module_needs_example_inputs() -> None:
    with pytest.raises(UsageError, match="example inputs"):
        modbench.measure(nn.Linear(8, 8))

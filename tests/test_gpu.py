"""CUDA code paths: synchronised latency, the caching allocator's peak, dtypes, a real out-of-memory.

Without a CUDA device these tests skip (and ``--device cuda`` must fail with one line, which is
tested instead).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

import modbench
from modbench.metrics.memory import peak_memory

HAS_CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not HAS_CUDA, reason="no CUDA device: torch.cuda.is_available() is False")
pytestmark = pytest.mark.gpu


@pytest.mark.skipif(HAS_CUDA, reason="a CUDA device is present; this checks the CPU-only error")
def test_device_cuda_without_a_gpu_is_a_one_line_usage_error(cli: Callable, tmp_path: Path) -> None:
    result = cli("measure", "linear", "--device", "cuda", "--results-dir", str(tmp_path))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "no CUDA device" in result.err
    assert not list(tmp_path.glob("*.jsonl"))


@needs_cuda
def test_cuda_latency_and_memory_of_a_linear() -> None:
    frame = modbench.measure(nn.Linear(1024, 1024), torch.randn(256, 1024), device="cuda", mode=["infer", "train"], quick=True)
    assert (frame["status"] == "ok").all(), frame["error"].tolist()
    assert (frame["device_name"] == torch.cuda.get_device_name()).all()
    infer, train = frame.iloc[0], frame.iloc[1]
    output = 256 * 1024 * 4
    assert infer["activation_bytes"] >= output
    assert infer["peak_bytes"] >= infer["param_bytes"] + 256 * 1024 * 4 + output
    assert train["peak_bytes"] > infer["peak_bytes"]
    assert infer["latency_ms"] > 0 and infer["runs"] >= 1


@needs_cuda
def test_cuda_memory_lower_bounds_and_train_above_infer() -> None:
    module = nn.Sequential(nn.Linear(512, 2048), nn.ReLU(), nn.Linear(2048, 512)).cuda()
    x = torch.randn(128, 512, device="cuda")
    infer = peak_memory(module, (x,), "infer", "cuda")
    train = peak_memory(module, (x,), "train", "cuda")
    assert infer.activation_bytes >= 128 * 512 * 4
    assert train.activation_bytes >= 128 * 2048 * 4 + 128 * 512 * 4
    assert train.peak_bytes > infer.peak_bytes
    assert train.peak_bytes >= train.resident_bytes + train.param_bytes


@needs_cuda
@pytest.mark.parametrize("dtype", ["fp16", "bf16"])
def test_half_precision_halves_parameter_bytes(dtype: str) -> None:
    module = nn.Linear(256, 256)
    frame = modbench.measure(module, torch.randn(8, 256), device="cuda", dtype=dtype, quick=True)
    row = frame.iloc[0]
    assert row["status"] == "ok", row["error"]
    assert row["param_bytes"] == 2 * (256 * 256 + 256)
    assert next(module.parameters()).device.type == "cpu"  # the caller's module was not moved


class Greedy(nn.Module):
    """On the GPU, asks for far more memory than it has (the CPU checks and counts pass)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.is_cuda:
            x = x + torch.empty(1 << 47, dtype=torch.uint8, device=x.device).sum()
        return x


@needs_cuda
def test_a_real_cuda_out_of_memory_is_recorded_and_the_next_measurement_works() -> None:
    failed = modbench.measure(Greedy(), torch.randn(4, 4), device="cuda", metrics=["latency"])
    assert failed.iloc[0]["status"] == "oom"
    assert "OutOfMemoryError" in failed.iloc[0]["error"]
    fine = modbench.measure(nn.Linear(64, 64), torch.randn(4, 64), device="cuda", quick=True)
    assert fine.iloc[0]["status"] == "ok"


@needs_cuda
def test_cli_measures_on_cuda_in_a_child_process(cli: Callable, tmp_path: Path) -> None:
    result = cli("measure", "linear", "conv2d", "--device", "cuda", "--dtype", "fp16", "--quick",
                 "--results-dir", str(tmp_path), "--format", "json")
    assert result.code == 0, result.err
    for record in json.loads(result.out):
        assert record["device"] == "cuda" and record["dtype"] == "fp16"
        assert record["latency_ms"] > 0 and record["peak_bytes"] > record["param_bytes"] > 0

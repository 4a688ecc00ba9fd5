"""Peak memory against lower bounds computed by hand from the tensors a step must hold."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from modbench.metrics.memory import peak_memory

FLOAT = 4  # bytes per fp32 element


def nbytes(*shape: int) -> int:
    return FLOAT * torch.Size(shape).numel()


def test_a_linear_forward_holds_at_least_its_output() -> None:
    module, x = nn.Linear(256, 1024), torch.randn(64, 256)
    stats = peak_memory(module, (x,), "infer", "cpu")
    params = nbytes(1024, 256) + nbytes(1024)
    assert stats.param_bytes == params
    assert stats.resident_bytes == params + nbytes(64, 256)
    assert stats.activation_bytes >= nbytes(64, 1024)
    assert stats.peak_bytes >= params + nbytes(64, 256) + nbytes(64, 1024)


def test_train_holds_saved_activations_and_gradients_so_it_peaks_above_infer() -> None:
    module = nn.Sequential(nn.Linear(256, 1024), nn.ReLU(), nn.Linear(1024, 256))
    x = torch.randn(64, 256)
    infer = peak_memory(module, (x,), "infer", "cpu")
    train = peak_memory(module, (x,), "train", "cpu")
    hidden = nbytes(64, 1024)
    assert train.peak_bytes > infer.peak_bytes
    # ReLU's output is saved for the second Linear's backward; the output is held too.
    assert train.activation_bytes >= hidden + nbytes(64, 256)
    assert infer.activation_bytes < train.activation_bytes
    # During backward the parameter gradients exist alongside the parameters.
    assert train.peak_bytes >= train.resident_bytes + train.param_bytes
    assert all(p.grad is None for p in module.parameters())


def test_an_identity_step_allocates_nothing() -> None:
    x = torch.randn(32, 32)
    stats = peak_memory(nn.Identity(), (x,), "infer", "cpu")
    assert stats.activation_bytes == 0
    assert stats.peak_bytes == stats.resident_bytes == nbytes(32, 32)


def test_memory_leaves_module_state_unchanged() -> None:
    module = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8))
    module.eval()
    running = module[1].running_var.clone()
    peak_memory(module, (torch.randn(16, 8),), "train", "cpu")
    assert not module.training
    assert torch.equal(module[1].running_var, running)


@pytest.mark.parametrize("mode", ["infer", "train"])
def test_a_catalog_block_measures_on_cpu(mode: str) -> None:
    from modbench.catalog import get_entry

    entry = get_entry("conv2d")
    module, config = entry.build({"in_channels": 8, "out_channels": 16, "hw": 16})
    (x,) = entry.inputs(config, 2)
    stats = peak_memory(module, (x,), mode, "cpu")
    output = nbytes(2, 16, 16, 16)
    assert stats.activation_bytes >= output
    assert stats.peak_bytes >= stats.resident_bytes + output

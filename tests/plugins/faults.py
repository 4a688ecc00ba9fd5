"""Catalog entries that fail on purpose, one way each, for the runner's fault tests.

Loaded with ``modbench --plugin tests/plugins/faults.py``. Each fault happens in ``forward``, so
the entry builds (and plans) normally and fails only when measured, as a real broken block would.
"""

from __future__ import annotations

import ctypes
import os
import time

import torch
from torch import nn

from modbench.catalog import Source, register

SOURCE = Source(paper="modbench fault-injection plugin (tests)")


def _vector(config: dict, batch: int) -> tuple[torch.Tensor, ...]:
    return (torch.randn(batch, config["features"]),)


class Fault(nn.Module):
    """A linear layer whose forward first runs ``action``."""

    def __init__(self, features: int, action) -> None:
        super().__init__()
        self.linear = nn.Linear(features, features)
        self.action = action

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.action()
        return self.linear(x)


def _nothing() -> None:
    pass


def _raise() -> None:
    raise RuntimeError("deliberate failure in forward")


def _sleep() -> None:
    time.sleep(float(os.environ.get("MODBENCH_FAULT_SLEEP", "60")))


def _cuda_oom() -> None:
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 64.00 GiB (raised by the fault plugin)")


def _cpu_oom() -> None:
    torch.empty(1 << 46, dtype=torch.uint8)  # 64 TiB: the CPU allocator refuses at once


def _segfault() -> None:
    ctypes.string_at(0)  # reads address 0: SIGSEGV, the process dies without a Python exception


@register(family="block", example_input=_vector, source=SOURCE, tags=("fault",))
def fault_ok(features: int = 8) -> nn.Module:
    """A linear layer that measures normally."""
    return Fault(features, _nothing)


@register(family="block", example_input=_vector, source=SOURCE, tags=("fault",))
def fault_ok_too(features: int = 8) -> nn.Module:
    """Another linear layer that measures normally (to follow a fault in a run)."""
    return Fault(features, _nothing)


@register(family="block", example_input=_vector, source=SOURCE, tags=("fault",))
def fault_raise(features: int = 8) -> nn.Module:
    """Raises RuntimeError in forward."""
    return Fault(features, _raise)


@register(family="block", example_input=_vector, source=SOURCE, tags=("fault",))
def fault_sleep(features: int = 8) -> nn.Module:
    """Sleeps MODBENCH_FAULT_SLEEP seconds (default 60) in forward."""
    return Fault(features, _sleep)


@register(family="block", example_input=_vector, source=SOURCE, tags=("fault",))
def fault_cuda_oom(features: int = 8) -> nn.Module:
    """Raises torch.OutOfMemoryError as a CUDA allocation failure does."""
    return Fault(features, _cuda_oom)


@register(family="block", example_input=_vector, source=SOURCE, tags=("fault",))
def fault_cpu_oom(features: int = 8) -> nn.Module:
    """Asks the CPU allocator for 64 TiB."""
    return Fault(features, _cpu_oom)


@register(family="block", example_input=_vector, source=SOURCE, tags=("fault",))
def fault_segfault(features: int = 8) -> nn.Module:
    """Crashes its process with SIGSEGV in forward."""
    return Fault(features, _segfault)

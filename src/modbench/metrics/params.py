"""Parameter and buffer counts of a module."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn


@dataclass(frozen=True)
class ParamCounts:
    """Parameters (total and trainable), buffers, and their bytes at the module's own dtypes.

    Shared parameters (tied weights) are counted once, as ``nn.Module.parameters`` yields them.
    """

    params: int
    params_trainable: int
    buffers: int
    param_bytes: int
    buffer_bytes: int


def count_parameters(module: nn.Module) -> ParamCounts:
    """Count ``module``'s parameters and buffers without touching its state."""
    params = list(module.parameters())
    buffers = list(module.buffers())
    return ParamCounts(
        params=sum(p.numel() for p in params),
        params_trainable=sum(p.numel() for p in params if p.requires_grad),
        buffers=sum(b.numel() for b in buffers),
        param_bytes=sum(p.numel() * p.element_size() for p in params),
        buffer_bytes=sum(b.numel() * b.element_size() for b in buffers),
    )

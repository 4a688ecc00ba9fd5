"""Run a module in a given mode and put its state back afterwards.

Measuring must not change what is measured: a train-mode forward updates batch-norm running
statistics and draws random numbers, and switching to eval flips every ``training`` flag.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

MODES = ("infer", "train")


@contextmanager
def preserved_state(module: nn.Module, mode: str) -> Iterator[nn.Module]:
    """Put ``module`` in ``mode`` ("infer" → eval, "train" → train); restore flags, buffers and RNG on exit."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    flags = [(sub, sub.training) for sub in module.modules()]
    buffers = [(buffer, buffer.detach().clone()) for buffer in module.buffers()]
    devices = sorted({p.device.index for p in module.parameters() if p.is_cuda} - {None})
    with torch.random.fork_rng(devices=devices):
        module.train(mode == "train")
        try:
            yield module
        finally:
            for sub, flag in flags:
                sub.training = flag
            with torch.no_grad():
                for buffer, saved in buffers:
                    buffer.copy_(saved)

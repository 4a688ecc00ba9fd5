"""``--batch auto``: the largest batch whose step fits on the GPU, found by backing off from out-of-memory errors.

As timm's ``benchmark.py`` does: start large, run one step, and on an out-of-memory error free
the cache and retry at the next smaller size of :func:`decay_batch_step` (two steps per power of
two: 256, 192, 128, 96, 64, ...). CUDA only: on CPU no out-of-memory error marks the limit (the
machine swaps first), so ``--batch auto`` there is a usage error.
"""

from __future__ import annotations

import math

import torch

from modbench.errors import UsageError
from modbench.metrics.steps import placed
from modbench.metrics.target import Target
from modbench.metrics.variants import first_step_seconds, with_knobs
from modbench.spec import DTYPES, Settings

AUTO_START = 256


def decay_batch_step(batch: int, steps_per_halving: int = 2) -> int:
    """The next smaller batch to try after ``batch`` ran out of memory (0 when there is none)."""
    if batch <= 1:
        return 0
    base = 2 ** int(math.log2(batch - 1))
    step = max(base // steps_per_halving, 1)
    return base + ((batch - base - 1) // step) * step


def largest_fitting_batch(target: Target, settings: Settings, start: int = AUTO_START) -> int:
    """The largest batch from ``start`` down whose ``settings.mode`` step runs on ``settings.device``."""
    if settings.device != "cuda":
        raise UsageError("--batch auto needs --device cuda (on CPU memory swaps before it runs out); give sizes, e.g. --batch 1,8,32")
    batch = start
    while batch > 0:
        try:
            module, inputs = placed(target.build(), target.make_inputs(batch), "cuda", DTYPES[settings.dtype])
            module, inputs, _ = with_knobs(module, inputs, settings, target.input_grad, compile=False)
            first_step_seconds(module, inputs, "cuda", settings.mode, target.input_grad)
            return batch
        except torch.OutOfMemoryError:
            batch = decay_batch_step(batch)
        finally:
            module = inputs = None
            torch.cuda.empty_cache()
    raise UsageError(f"{target.name} does not fit on the GPU even at batch 1")

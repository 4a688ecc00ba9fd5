"""The execution knobs timm's benchmark users expect: channels-last, autocast, torch.compile.

Each knob changes how a module runs, not what it computes, so each is part of the record key
(:class:`modbench.spec.Settings` → :class:`modbench.records.RecordKey`) and operations are
counted on the module as built, before any knob applies:

* ``channels_last``: 4-D weights and inputs in NHWC memory order (other tensors unchanged);
* ``amp``: the forward under ``torch.autocast`` at bf16 or fp16 with the weights kept in fp32,
  unlike ``--dtype``, which casts the weights themselves;
* ``compile``: ``torch.compile`` with an inductor mode (``default``, ``reduce-overhead``,
  ``max-autotune``; inductor needs a C++ compiler on CPU), or ``aot_eager``: graph capture and
  AOT autograd without code generation, which works anywhere. The first step compiles; its time
  is the record's ``compile_s``, and the latency is timed after it, in the steady state.

On CUDA, ``torch.backends.cudnn.benchmark`` is on for every measurement, so cuDNN picks its
fastest algorithms (found in the warm-up, as timm's benchmark does).
"""

from __future__ import annotations

import shutil
import time
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from modbench.errors import UsageError
from modbench.metrics.state import preserved_state
from modbench.metrics.steps import Inputs, make_step, step_inputs, synchronize

if TYPE_CHECKING:  # the settings module imports this one's choices
    from modbench.spec import Settings

COMPILE_MODES = ("default", "reduce-overhead", "max-autotune", "aot_eager")
AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


def check_knobs(device: str, dtype: str, compile_mode: str | None, amp: str | None) -> None:
    """Usage errors for known knobs that cannot apply here, before anything runs (unknown ones: :class:`modbench.spec.Settings`)."""
    if amp is not None and dtype != "fp32":
        raise UsageError(f"--amp {amp} autocasts a model with fp32 weights; drop --dtype {dtype} (or drop --amp to cast the weights)")
    if compile_mode not in (None, "aot_eager") and device == "cpu" and not any(shutil.which(cc) for cc in ("g++", "c++", "cc")):
        raise UsageError(
            f"--compile {compile_mode} on CPU needs a C++ compiler (inductor generates C++), and none is on PATH; "
            "install g++ or use --compile aot_eager"
        )


class Autocast(nn.Module):
    """Runs ``module`` under ``torch.autocast``: weights stay fp32, autocast-eligible ops run at ``dtype``."""

    def __init__(self, module: nn.Module, device: str, dtype: torch.dtype) -> None:
        super().__init__()
        self.module = module
        self.device_type = torch.device(device).type
        self.amp_dtype = dtype

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        with torch.autocast(self.device_type, dtype=self.amp_dtype):
            return self.module(*args, **kwargs)


def with_knobs(
    module: nn.Module, inputs: Inputs, settings: Settings, input_grad: bool, compile: bool = True,
) -> tuple[nn.Module, Inputs, float | None]:
    """``module`` and ``inputs`` (already placed) under ``settings``' knobs, and the seconds the first, compiling step took.

    ``compile=False`` leaves torch.compile out (the batch search only needs to know what fits).
    """
    device, mode = settings.device, settings.mode
    if torch.device(device).type == "cuda":
        torch.backends.cudnn.benchmark = True
    if settings.channels_last:
        module = module.to(memory_format=torch.channels_last)
        inputs = tuple(t.contiguous(memory_format=torch.channels_last) if t.dim() == 4 else t for t in inputs)
    if settings.amp is not None:
        module = Autocast(module, device, AMP_DTYPES[settings.amp])
    if settings.compile is None or not compile:
        return module, inputs, None
    if settings.compile == "aot_eager":
        compiled = torch.compile(module, backend="aot_eager")
    else:
        compiled = torch.compile(module, mode=settings.compile)
    return compiled, inputs, first_step_seconds(compiled, inputs, device, mode, input_grad)


def first_step_seconds(module: nn.Module, inputs: Inputs, device: str, mode: str, input_grad: bool) -> float:
    """Run one ``mode`` step (for a compiled module: the one that compiles) and return its wall-clock time."""
    with preserved_state(module, mode):
        step = make_step(module, step_inputs(inputs, mode, input_grad), mode)
        started = time.perf_counter()
        step()
        synchronize(device)
        seconds = time.perf_counter() - started
        if mode == "train":
            module.zero_grad(set_to_none=True)
    return seconds

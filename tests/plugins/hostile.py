"""Catalog entries that misbehave without failing, for the worker-isolation tests.

Loaded with ``modbench --plugin tests/plugins/hostile.py``: one prints on stdout, one changes the
CPU thread count in its forward, two write their process id to ``$MODBENCH_PID_FILE``.
"""

from __future__ import annotations

import os

import torch
from torch import nn

from modbench.catalog import Source, register

SOURCE = Source(paper="modbench isolation plugin (tests)")
print("hostile plugin imported")  # a plugin's own output, at import, on stdout


def _vector(config: dict, batch: int) -> tuple[torch.Tensor, ...]:
    return (torch.randn(batch, config["features"]),)


class Hostile(nn.Linear):
    """A linear layer whose forward does ``what`` first."""

    def __init__(self, features: int, what: str) -> None:
        super().__init__(features, features)
        self.what = what

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.what == "print":
            print("hostile forward output")
        elif self.what == "threads":
            torch.set_num_threads(1)
        elif self.what == "pid":
            with open(os.environ["MODBENCH_PID_FILE"], "a") as file:
                file.write(f"{os.getpid()}\n")
        return super().forward(x)


@register(family="block", example_input=_vector, source=SOURCE)
def hostile_print(features: int = 4) -> nn.Module:
    """Prints on stdout in every forward."""
    return Hostile(features, "print")


@register(family="block", example_input=_vector, source=SOURCE)
def hostile_threads(features: int = 4) -> nn.Module:
    """Calls torch.set_num_threads(1) in every forward."""
    return Hostile(features, "threads")


@register(family="block", example_input=_vector, source=SOURCE)
def pid_a(features: int = 4) -> nn.Module:
    """Writes its process id to $MODBENCH_PID_FILE in every forward."""
    return Hostile(features, "pid")


@register(family="block", example_input=_vector, source=SOURCE)
def pid_b(features: int = 4) -> nn.Module:
    """The same as pid_a, under another name."""
    return Hostile(features, "pid")

"""What gets measured: a module factory, its config, and inputs for any batch size.

A :class:`Target` is built either from a catalog entry (name + ``--set`` overrides) or from any
``nn.Module`` with example inputs, so the CLI and the Python API measure both the same way.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from modbench.catalog import Entry, get_entry
from modbench.errors import UsageError
from modbench.text import first_line, format_config

Inputs = tuple[torch.Tensor, ...]


@dataclass(frozen=True)
class Target:
    """A module ready to measure: its name, config, a builder, and inputs per batch size.

    ``input_grad``: whether a training step also computes the inputs' gradient. A block sits
    inside a network, so it does; a model's inputs are data, so they do not. ``batch``: the batch
    size its example inputs come at, measured when no other is asked for.
    """

    name: str
    config: dict[str, Any]
    build: Callable[[], nn.Module]
    make_inputs: Callable[[int], Inputs]
    input_grad: bool = True
    batch: int = 1

    def checked_build(self, batch: int = 1) -> tuple[nn.Module, Inputs]:
        """Build the module and its inputs and run one eval forward, so a bad shape fails early.

        A forward that raises becomes a one-line :class:`UsageError` naming the input shape given
        and the one the entry's config expects.
        """
        module = self.build()
        inputs = self.make_inputs(batch)
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                module(*inputs)
        except (RuntimeError, ValueError, IndexError, TypeError, AssertionError) as error:
            config = format_config(self.config) or "no config"
            if _SHAPE_ERROR.search(str(error)):
                raise UsageError(
                    f"{self.name} cannot take input of shape {describe_shapes(inputs)}: "
                    f"{first_line(error)}; check the input shape against the config ({config})"
                ) from error
            raise UsageError(
                f"{self.name} fails at this config ({config}), input {describe_shapes(inputs)}: "
                f"{type(error).__name__}: {first_line(error)}; check the --set values"
            ) from error
        finally:
            module.train(was_training)
        return module, inputs


# What torch says when a tensor's shape is wrong (mat1 and mat2, size mismatch, expected input...).
_SHAPE_ERROR = re.compile(
    r"shape|size|dimension|\bdims?\b|mat1|mat2|channels|expected (?:input|\d)|must match|out of range|unflatten|view",
    re.IGNORECASE,
)


def _describe(value: Any) -> str:
    return f"a tensor of shape {tuple(value.shape)}" if isinstance(value, torch.Tensor) else f"a {type(value).__name__}"


def describe_shapes(inputs: Inputs) -> str:
    """``(1, 3, 32, 32)`` for one input, ``(1, 5, 4) + (1, 4)`` for several."""
    return " + ".join(str(tuple(t.shape)) for t in inputs)


def parse_shape(text: str) -> tuple[int, ...]:
    """``"1x3x224x224"`` or ``"1,3,224,224"`` → ``(1, 3, 224, 224)``."""
    parts = text.replace(",", "x").lower().split("x")
    try:
        shape = tuple(int(part) for part in parts if part.strip())
    except ValueError:
        shape = ()
    if not shape or any(size < 1 for size in shape):
        raise UsageError(f"input shape {text!r} is not a list of positive sizes; write it like 1x3x224x224")
    return shape


def with_input_shape(config: dict[str, Any], input_shape: Sequence[int] | None) -> dict[str, Any]:
    """``config`` plus the per-sample input shape when one replaces the example input.

    The shape is part of what was measured, so it belongs in the record's key: without it a
    measurement on 16×16 inputs would carry the same key as one on the entry's own example.
    The batch dimension is left out (``B``); the record's ``batch`` says it.
    """
    if input_shape is None:
        return config
    return {**config, "input_shape": "x".join(["B", *(str(size) for size in input_shape[1:])])}


def entry_target(name: str, overrides: dict[str, Any] | None = None, input_shape: Sequence[int] | None = None) -> Target:
    """A catalog entry at its default config with ``overrides``; ``input_shape`` replaces its example input.

    With ``input_shape``, the first dimension is the batch and is replaced by the batch size asked
    for; the rest is recorded in the config (see :func:`with_input_shape`).
    """
    entry = get_entry(name)
    config = entry.config(overrides)
    check_constructor(entry, config)

    if input_shape is None:
        def make_inputs(batch: int) -> Inputs:
            return entry.inputs(config, batch)
    else:
        # A callable from outside the catalog may have no example input: the shape given is all there is.
        example = entry.inputs(config, 1) if entry.example_input is not None else (torch.zeros(input_shape),)
        if len(example) != 1:
            raise UsageError(f"{name} takes {len(example)} inputs; --input-shape applies to single-input entries only")
        if len(input_shape) != example[0].dim():
            raise UsageError(
                f"{name} expects a {example[0].dim()}-D input like {tuple(example[0].shape)}, "
                f"got the {len(input_shape)}-D shape {tuple(input_shape)}"
            )
        dtype = example[0].dtype

        def make_inputs(batch: int) -> Inputs:
            shape = (batch, *input_shape[1:])
            generator = torch.Generator().manual_seed(0)
            if dtype.is_floating_point:
                return (torch.randn(*shape, generator=generator, dtype=dtype),)
            high = int(example[0].max()) + 1
            return (torch.randint(0, high, shape, generator=generator, dtype=dtype),)

    return Target(
        name=name,
        config=with_input_shape(config, input_shape),
        build=lambda: entry.build(config)[0],
        make_inputs=make_inputs,
        input_grad=entry.family == "block",
    )


_constructor_checks = True  # off in a measuring child: see skip_constructor_checks


def skip_constructor_checks() -> None:
    """Stop :func:`check_constructor` building anything in this process: a measuring child.

    A measuring child builds each target for real right after making it, and that build runs the
    constructor's checks too, so the check would only run every constructor twice there (once on
    ``meta``, where some initialisations still go through torch's Python reference ops).
    """
    global _constructor_checks
    _constructor_checks = False


def check_constructor(entry: Entry, config: dict[str, Any]) -> None:
    """Fail here, once, with the constructor's own usage error, on a config it refuses.

    The check builds the module on the ``meta`` device: the constructor's checks run, but no weight
    is allocated or initialised. A real build here would be thrown away, and initialising weights
    is most of a big entry's build: ``gmlp_b`` takes about 1.1 s to build for real on this
    project's 2-core machine and 0.02 s on meta, and the real build would be paid again by the
    build that is measured. A constructor that cannot run on meta
    tensors (one that reads a tensor's values) is built for real, and its error, if any, is the one raised.
    Nothing is built after :func:`skip_constructor_checks`.
    """
    if not _constructor_checks:
        return
    try:
        with torch.device("meta"):
            entry.build(config)
    except Exception:
        entry.build(config)


def example_batch(inputs: Inputs, batch_dim: int = 0) -> int:
    """The batch size of example inputs: the first input's size along ``batch_dim``."""
    first = inputs[0]
    if not -first.dim() <= batch_dim < max(first.dim(), 1):
        raise UsageError(
            f"batch_dim={batch_dim} is not a dimension of the first input (shape {tuple(first.shape)}); "
            "name the dimension that holds the samples, e.g. batch_dim=1 for a sequence-first input"
        )
    return first.shape[batch_dim] if first.dim() else 1


def _has_batch(tensor: torch.Tensor, batch_dim: int, batch: int) -> bool:
    """Whether ``tensor`` holds ``batch`` samples along ``batch_dim`` (a shared mask or a scalar does not)."""
    return tensor.dim() > 0 and -tensor.dim() <= batch_dim < tensor.dim() and tensor.shape[batch_dim] == batch


def described_inputs(inputs: Inputs, batch_dim: int) -> dict[str, Any]:
    """The config entries that say what a module was measured on: each input's shape with its batch
    dimension as ``B`` (the record's ``batch`` gives it), and the batch dimension when it is not 0."""
    batch = example_batch(inputs, batch_dim)
    shapes = []
    for tensor in inputs:
        sizes = [str(size) for size in tensor.shape]
        if _has_batch(tensor, batch_dim, batch):
            sizes[batch_dim] = "B"
        shapes.append("x".join(sizes) or "scalar")
    described: dict[str, Any] = {"input_shape": " + ".join(shapes)}
    if batch_dim != 0:
        described["batch_dim"] = batch_dim
    return described


def module_target(module: nn.Module, example_inputs: torch.Tensor | Inputs, name: str | None = None,
                  batch_dim: int = 0) -> Target:
    """Any module with example inputs, measured as given at their own batch size.

    The batch is the first input's size along ``batch_dim``. Another batch size (a sweep) resizes
    only along that dimension, in every input that has the batch there: the samples are repeated
    in turn (or the first ones kept, for a smaller batch). The input shapes are part of the
    target's config, so the record keeps them.

    It is treated as a block: in a training step its inputs' gradient is computed too. Every
    build is a deep copy, so measuring never touches the caller's module: a training step's
    gradients, a forward that edits its weights or buffers, flags that measuring flips.
    """
    inputs: Inputs = (example_inputs,) if isinstance(example_inputs, torch.Tensor) else tuple(example_inputs)
    if not inputs:
        raise UsageError("measuring a module needs example inputs; pass example_inputs=torch.randn(...)")
    if not all(isinstance(t, torch.Tensor) for t in inputs):
        raise UsageError(f"example inputs must be tensors, got {', '.join(_describe(t) for t in inputs)}; e.g. torch.randn(1, 4)")
    given = example_batch(inputs, batch_dim)

    def make_inputs(batch: int) -> Inputs:
        if batch == given:
            return inputs
        samples = torch.arange(batch) % given
        return tuple(t.index_select(batch_dim, samples) if _has_batch(t, batch_dim, given) else t for t in inputs)

    def build() -> nn.Module:
        try:
            return copy.deepcopy(module)
        except Exception as error:
            raise UsageError(
                f"{name or type(module).__name__} cannot be copied ({first_line(error)}); modbench measures a copy "
                "so that your module is not changed: make it deep-copyable (copy.deepcopy)"
            ) from error

    return Target(name=name or type(module).__name__, config=described_inputs(inputs, batch_dim), build=build,
                  make_inputs=make_inputs, batch=given)

"""asv benchmarks over the catalog: latency (inference, one training step), peak memory, counts.

Every entry is measured at batch 1 on one CPU thread, on seeded weights and inputs, so two
commits differ only by the code between them. The heavy models have their own classes with fewer
samples; the rest share the light classes.

Why the entry names are a snapshot here and not ``list_entries()`` at import: asv discovers a
benchmark's params once, at the newest commit of a range, then runs "benchmark-<index>" at every
commit, and the process at that commit computes params again from *its* code. Were params read
from the registry, an entry added between two commits would shift every index after it and file
older results under the wrong names. With a snapshot the index → name mapping never moves; an
entry that an older commit lacks is skipped (``setup`` raises ``NotImplementedError``), and
``tests/test_asv_suite.py`` fails, printing the tuples to paste, as soon as the snapshot and the
registry disagree.

The suite calls the catalog and ``modbench.metrics`` only, never the report code; measuring code
missing at an older commit skips the benchmarks that need it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from modbench.catalog import get_entry
from modbench.errors import UsageError
from modbench.metrics.counting import count_ops
from modbench.metrics.params import count_parameters

# The catalog as of this suite: list_entries() minus HEAVY_MODELS, and the heavy models.
LIGHT_ENTRIES = (
    "cbam", "channel_attention", "char_rnn", "char_rnn_embedding", "conv2d", "coordconv",
    "depthwise_conv2d", "dropblock", "dropout", "embedding", "ghost", "gmlp", "gru", "inception",
    "inception_naive", "lenet_mnist", "linear", "lstm", "nin_block", "relu", "residual_basic",
    "residual_bottleneck", "rnn", "rnn_cell", "s2mlpv2_block", "signal_cnn", "signal_cnn_gmlp",
    "silu", "spatial_attention", "spatial_gating_unit", "swish",
)
# Models whose forward takes more than ~50 ms at batch 1 here.
HEAVY_MODELS = ("ghostnet", "googlenet", "mobilenetv3_large", "nin", "nin_fc_head", "resnet50", "resnet50_cbam")
ALL_ENTRIES = tuple(sorted(LIGHT_ENTRIES + HEAVY_MODELS))

# One thread: the least noisy setting on a shared 2-core machine, and the same at every commit.
THREADS = 1
BATCH = 1
SEED = 0

Inputs = tuple[torch.Tensor, ...]


@dataclass
class Prepared:
    """A built entry with its inputs, in the mode it is timed in."""

    module: nn.Module
    inputs: Inputs
    optimizer: torch.optim.Optimizer | None = None

    def infer(self) -> Any:
        with torch.no_grad():
            return self.module(*self.inputs)

    def train_step(self) -> None:
        """Forward, backward through a scalar of the outputs, and an SGD step."""
        self.module.zero_grad(set_to_none=True)
        training_loss(self.module(*self.inputs)).backward()
        if self.optimizer is not None:
            self.optimizer.step()


def training_loss(output: Any) -> torch.Tensor:
    """The sum of every differentiable tensor in ``output`` (tensors, nested tuples or lists)."""
    tensors = [t for t in _tensors(output) if t.requires_grad]
    if not tensors:
        raise NotImplementedError("the output has no differentiable tensor: nothing to train")
    return torch.stack([t.sum() for t in tensors]).sum()


def _tensors(output: Any) -> Iterator[torch.Tensor]:
    if isinstance(output, torch.Tensor):
        yield output
    elif isinstance(output, (tuple, list)):
        for item in output:
            yield from _tensors(item)


@functools.cache
def prepared(name: str, mode: str) -> Prepared:
    """``name`` built at its default config, seeded, in ``mode`` ("infer" or "train").

    Cached because asv re-runs ``setup`` before every sample; an entry that this commit's catalog
    does not have raises ``NotImplementedError``, which asv records as skipped.
    """
    torch.set_num_threads(THREADS)
    try:
        entry = get_entry(name)
    except UsageError as error:
        raise NotImplementedError(str(error)) from error
    torch.manual_seed(SEED)
    module, config = entry.build()
    inputs = entry.inputs(config, BATCH)
    if mode == "infer":
        module.eval()
        return Prepared(module, inputs)
    module.train()
    if entry.family == "block":
        # A block sits inside a network: its backward also computes the gradient of its input.
        inputs = tuple(t.clone().requires_grad_(t.is_floating_point()) for t in inputs)
    parameters = [p for p in module.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(parameters, lr=1e-3) if parameters else None
    return Prepared(module, inputs, optimizer)


class Infer:
    """Inference latency and peak resident memory of one forward pass at batch 1."""

    params = [LIGHT_ENTRIES]
    param_names = ["entry"]
    repeat = (10, 50, 2.0)
    timeout = 120

    def setup(self, name: str) -> None:
        self.target = prepared(name, "infer")

    def time_infer(self, name: str) -> None:
        self.target.infer()

    def peakmem_infer(self, name: str) -> None:
        self.target.infer()


class TrainStep:
    """Latency of one training step (forward, backward, SGD step) at batch 1."""

    params = [LIGHT_ENTRIES]
    param_names = ["entry"]
    repeat = (10, 50, 2.0)
    timeout = 120

    def setup(self, name: str) -> None:
        self.target = prepared(name, "train")
        self.target.train_step()  # fails here, not in the timed loop, if the entry cannot train

    def time_train_step(self, name: str) -> None:
        self.target.train_step()


class InferHeavy(Infer):
    """``Infer`` for the heavy models: fewer samples, a longer timeout."""

    params = [HEAVY_MODELS]
    repeat = (3, 8, 4.0)
    timeout = 300


class TrainStepHeavy(TrainStep):
    """``TrainStep`` for the heavy models: fewer samples, a longer timeout."""

    params = [HEAVY_MODELS]
    repeat = (3, 5, 6.0)
    timeout = 300


class Counts:
    """Parameters, MACs and FLOPs of one inference forward at batch 1: exact, so any change is real."""

    params = [ALL_ENTRIES]
    param_names = ["entry"]
    timeout = 300

    def setup(self, name: str) -> None:
        self.target = prepared(name, "infer")

    def track_params(self, name: str) -> int:
        return count_parameters(self.target.module).params

    track_params.unit = "parameters"

    def track_macs(self, name: str) -> int:
        return count_ops(self.target.module, self.target.inputs, "infer").macs

    track_macs.unit = "MACs"

    def track_flops(self, name: str) -> int:
        return count_ops(self.target.module, self.target.inputs, "infer").flops

    track_flops.unit = "FLOPs"

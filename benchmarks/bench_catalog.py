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

The suite calls the catalog and ``modbench.metrics`` only (the step that is timed is the one
``modbench measure`` times), never the report code.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

# Unused here, but FlopCounterMode and the profiler import it lazily (~3 s), and asv forks every
# benchmark from a process that imported this module: imported once here, not in every setup.
import torch._dynamo  # noqa: F401
from torch import nn

from modbench.catalog import get_entry
from modbench.errors import UsageError
from modbench.metrics.counting import count_ops
from modbench.metrics.memory import peak_memory
from modbench.metrics.params import count_parameters
from modbench.metrics.registry import ASV_TRACKS, Metric
from modbench.metrics.steps import make_step, step_inputs

# The catalog as of this suite: list_entries() minus HEAVY_MODELS, and the heavy models.
LIGHT_ENTRIES = (
    "cbam", "channel_attention", "char_rnn", "char_rnn_embedding", "conv2d", "coordconv",
    "depthwise_conv2d", "dropblock", "dropout", "embedding", "ghost", "gmlp", "gru", "inception",
    "inception_naive", "lenet_mnist", "linear", "lstm", "nin_block", "relu", "residual_basic",
    "residual_bottleneck", "rnn", "rnn_cell", "s2mlpv2_block", "signal_cnn", "signal_cnn_gmlp",
    "silu", "spatial_attention", "spatial_gating_unit", "swish", "vit_block",
)
# Models whose forward takes more than ~50 ms at batch 1 here, and the papers' full-size models.
HEAVY_MODELS = (
    "ghost_resnet50", "ghost_resnet56_cifar", "ghost_vgg16_cifar", "ghostnet", "gmlp_b", "gmlp_s",
    "gmlp_ti", "googlenet", "mobilenetv3_large", "mobilenetv3_small", "nin", "nin_fc_head",
    "resnet50", "resnet50_cbam", "resnet56_cifar", "s2mlpv2_medium", "s2mlpv2_small", "vgg16_cifar",
    "vit_tiny",
)
ALL_ENTRIES = tuple(sorted(LIGHT_ENTRIES + HEAVY_MODELS))
# A user's own models (``MODBENCH_ASV_MODELS=mypkg.net:build,timm:resnet18``), named as
# ``modbench measure`` takes them, are benchmarked with the heavy models. They come after the
# snapshot, so the catalog's indices never move; a commit that cannot resolve them skips them.
USER_MODELS = tuple(name.strip() for name in os.environ.get("MODBENCH_ASV_MODELS", "").split(",") if name.strip())

# One thread: the least noisy setting on a shared 2-core machine, and the same at every commit.
THREADS = 1
BATCH = 1
SEED = 0

Inputs = tuple[torch.Tensor, ...]


@dataclass(frozen=True)
class Prepared:
    """A built entry, its inputs, and one step of the mode it was prepared for."""

    module: nn.Module
    inputs: Inputs
    step: Callable[[], Any]


@functools.cache
def prepared(name: str, mode: str) -> Prepared:
    """``name`` at its default config, seeded, in ``mode``, with the step modbench measures in it.

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
    module.train(mode == "train")
    # As in `modbench measure`: a block's inputs require grad in train mode, a model's do not.
    inputs = step_inputs(entry.inputs(config, BATCH), mode, input_grad=entry.family == "block")
    return Prepared(module, inputs, make_step(module, inputs, mode))


class Infer:
    """Inference latency and peak resident memory of one forward pass at batch 1."""

    params = [LIGHT_ENTRIES]
    param_names = ["entry"]
    repeat = (10, 50, 2.0)
    timeout = 120

    def setup(self, name: str) -> None:
        self.target = prepared(name, "infer")

    def time_infer(self, name: str) -> None:
        self.target.step()

    def peakmem_infer(self, name: str) -> None:
        self.target.step()


class TrainStep:
    """Latency of one training step at batch 1 (``modbench.metrics.steps``: forward, loss, backward)."""

    params = [LIGHT_ENTRIES]
    param_names = ["entry"]
    repeat = (10, 50, 2.0)
    timeout = 120

    def setup(self, name: str) -> None:
        self.target = prepared(name, "train")
        try:
            self.target.step()  # fails here, not in the timed loop, if the entry cannot train
        except ValueError as error:
            # Batch norm over a single value per channel (an FC head's BatchNorm1d at batch 1) has no
            # training statistics: that entry has no train step at batch 1, which asv records as skipped.
            if "more than 1 value per channel" not in str(error):
                raise
            raise NotImplementedError(f"{name} cannot train at batch {BATCH}: {error}") from error

    def time_train_step(self, name: str) -> None:
        self.target.step()


class InferHeavy(Infer):
    """``Infer`` for the heavy models: fewer samples, a longer timeout."""

    params = [HEAVY_MODELS + USER_MODELS]
    repeat = (3, 8, 4.0)
    timeout = 300


class TrainStepHeavy(TrainStep):
    """``TrainStep`` for the heavy models: fewer samples, a longer timeout."""

    params = [HEAVY_MODELS + USER_MODELS]
    repeat = (3, 5, 6.0)
    timeout = 300


class Counts:
    """Parameters, MACs, FLOPs and peak bytes of one inference forward at batch 1.

    Counted, not timed: the same at every run of a commit, so any change between commits is real.
    The ``track_`` methods are made from the metric registry's ``ASV_TRACKS`` below, so a metric
    tracked by asv is declared in one place; their names (asv's benchmark ids) are the registry's.
    """

    params = [ALL_ENTRIES + USER_MODELS]
    param_names = ["entry"]
    timeout = 300

    def setup(self, name: str) -> None:
        self.target = prepared(name, "infer")


# What each measurement returns for a prepared target: an object with one attribute per metric it produces.
MEASURE: dict[str, Callable[[Prepared], Any]] = {
    "params": lambda target: count_parameters(target.module),
    "flops": lambda target: count_ops(target.module, target.inputs, "infer"),
    "memory": lambda target: peak_memory(target.module, target.inputs, "infer", "cpu"),
}


def _track(metric: Metric) -> Callable[[Counts, str], int]:
    """The asv ``track_`` method for ``metric``: the value its measurement gives the setup's target."""
    (producer,) = metric.producers
    measure = MEASURE[producer]

    def track(self: Counts, name: str) -> int:
        return getattr(measure(self.target), metric.column)

    track.__name__, track.__qualname__ = metric.asv, f"Counts.{metric.asv}"
    track.unit = metric.unit
    return track


for _name, _metric in ASV_TRACKS.items():
    setattr(Counts, _name, _track(_metric))

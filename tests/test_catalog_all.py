"""Every catalog entry builds, runs forward on its example input and is counted.

Parametrised over the registry, so a new entry is tested without writing a test.
"""

from __future__ import annotations

import pytest
import torch

from benchmarks.bench_catalog import HEAVY_MODELS  # the one list of heavy entries, shared with the asv suite
from modbench.catalog import get_entry, list_entries
from modbench.metrics.counting import count_ops
from modbench.metrics.params import count_parameters

# The papers' ImageNet-sized models run here on a smaller image (the same layers; a few seconds
# less each); tests/test_catalog_papers.py counts them at the papers' sizes.
SMALL_INPUT = {
    "ghost_resnet50": 64, "mobilenetv3_small": 64, "gmlp_ti": 64, "gmlp_s": 64, "gmlp_b": 64,
    "s2mlpv2_small": 56, "s2mlpv2_medium": 56,
}  # fmt: skip


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in HEAVY_MODELS else n for n in list_entries()])
def test_entry_builds_runs_and_is_counted(name: str) -> None:
    entry = get_entry(name)
    module, config = entry.build({"hw": SMALL_INPUT[name]} if name in SMALL_INPUT else None)
    inputs = entry.inputs(config, batch=2)
    module.eval()
    with torch.no_grad():
        output = module(*inputs)
    assert output is not None
    params = count_parameters(module)
    assert params.params >= params.params_trainable >= 0
    counts = count_ops(module, inputs, "train" if "train-cost" in entry.tags else "infer")
    assert counts.flops == counts.flops_matmul + counts.flops_elementwise
    # zero FLOPs is honest only for pure data movement (an embedding lookup), which is then listed
    assert counts.flops > 0 or counts.zero_cost_ops, f"{name} costs zero FLOPs and lists no op"
    assert counts.unsupported_ops == (), f"{name}: no handle for {counts.unsupported_ops}"
    assert counts.counter_note is None, counts.counter_note
    assert counts.macs >= 0


@pytest.mark.parametrize("name", list_entries())
def test_example_input_scales_with_batch(name: str) -> None:
    entry = get_entry(name)
    config = entry.config()
    one, three = entry.inputs(config, 1), entry.inputs(config, 3)
    assert [t.shape[1:] for t in one] == [t.shape[1:] for t in three]
    assert entry.inputs(config, 1)[0].equal(one[0]), "example inputs must be seeded"

"""Measure what the claims need, through the runner, then judge them.

Each claim says which results columns its checks read; this module turns that into runner tasks
(one per side, with only the metrics some check needs), runs them as one run of the results
store, runs the probes (facts that are not costs), and hands the table to
:mod:`modbench.claims.verdict`. Latency for verdicts uses the full timing plan; ``quick`` is for
the catalog-wide sweep of the report, where a rough number is enough.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from modbench.catalog import get_entry
from modbench.claims.schema import Claim, Side
from modbench.claims.sweeps import GHOST_PARTS, GHOST_SWEEP, GhostPoint
from modbench.claims.verdict import ClaimVerdict, judge, side_config, side_key
from modbench.metrics.core import METRICS, Settings, check_metrics, record_key
from modbench.metrics.counting import count_ops
from modbench.metrics.params import count_parameters
from modbench.metrics.target import Inputs, Target
from modbench.results import records_frame
from modbench.runner import EntrySpec, Progress, RunOutcome, Task, start_run

# Which measurement (``Settings.metrics``) produces each results column a check can read.
COLUMN_SOURCES: dict[str, tuple[str, ...]] = {
    "params": ("params",),
    "macs": ("flops",),
    "flops": ("flops",),
    "flops_elementwise": ("flops",),
    "latency_ms": ("latency",),
    "latency_iqr_ms": ("latency",),
    "throughput": ("latency",),
    "gflops_achieved": ("latency", "flops"),
    "peak_bytes": ("memory",),
    "activation_bytes": ("memory",),
}


@dataclass(frozen=True)
class Request:
    """A side to measure with some metrics; ``quick`` allows the short timing plan."""

    side: Side
    metrics: frozenset[str]
    quick: bool = False


def merge(requests: Iterable[Request]) -> list[Request]:
    """One request per measured key, in first-seen order: metrics united, quick only if every request allows it.

    Two sides that resolve to the same config (``mobilenetv3_large`` and ``mobilenetv3_large``
    with ``width_mult=1.0``) are one key: measuring it twice would only add noise.
    """
    merged: dict[tuple[str, str, int, str], Request] = {}
    for request in requests:
        side = request.side
        key = (side.entry, side_key(side), side.batch, side.mode)
        seen = merged.get(key)
        if seen is None:
            merged[key] = request
        else:
            merged[key] = Request(seen.side, seen.metrics | request.metrics, seen.quick and request.quick)
    return list(merged.values())


def _sources(columns: Iterable[str]) -> frozenset[str]:
    return frozenset(source for column in columns for source in COLUMN_SOURCES[column])


def claim_requests(claims: Iterable[Claim]) -> list[Request]:
    """Every side the claims compare, with the metrics their checks read."""
    requests = []
    for claim in claims:
        for comparison in claim.comparisons:
            metrics = _sources(check.metric for check in comparison.checks)
            sides = [comparison.candidate] + ([comparison.baseline] if comparison.baseline is not None else [])
            requests += [Request(side, metrics) for side in sides]
        for growth in claim.growth:
            requests += [Request(side, _sources([growth.metric])) for side in growth.sides()]
    return merge(requests)


def ghost_part(point: GhostPoint, part: str) -> Target:
    """The primary convolution or the cheap depthwise operation of the Ghost module at ``point``, alone.

    Stored as entry ``ghost.primary`` / ``ghost.cheap`` with the Ghost module's full config, so
    each part's rows sit next to its module's. The cheap operation's input is the primary's
    output shape: ceil(n/s) maps at the module's resolution.
    """
    if part not in GHOST_PARTS:
        raise ValueError(f"a Ghost module's parts are {GHOST_PARTS}, got {part!r}")
    entry = get_entry("ghost")
    config = side_config(point.ghost)

    def build() -> nn.Module:
        module, _ = entry.build(config)
        return getattr(module, part)

    def make_inputs(batch: int) -> Inputs:
        if part == "primary":
            return entry.inputs(config, batch)
        generator = torch.Generator().manual_seed(0)
        return (torch.randn(batch, point.intrinsic, point.hw, point.hw, generator=generator),)

    return Target(name=f"ghost.{part}", config=config, build=build, make_inputs=make_inputs)


def ghost_part_targets(points: Sequence[GhostPoint] = GHOST_SWEEP) -> list[Target]:
    return [ghost_part(point, part) for point in points for part in GHOST_PARTS]


@dataclass(frozen=True)
class Plan:
    """What one run measures: catalog sides (with their metrics), whole targets, and how."""

    requests: tuple[Request, ...]
    targets: tuple[Target, ...] = ()
    target_metrics: tuple[str, ...] = ("params", "flops", "latency")


def build_tasks(plan: Plan, device: str, allowed: Sequence[str] = METRICS, threads: int | None = None) -> list[Task]:
    """Runner tasks for ``plan`` on ``device``, each with only the metrics it needs that are ``allowed``."""
    allowed = check_metrics(allowed)
    extra = {"threads": threads} if threads is not None else {}
    tasks = []
    for request in plan.requests:
        metrics = tuple(m for m in METRICS if m in request.metrics and m in allowed)
        if not metrics:
            continue
        settings = Settings(metrics=metrics, device=device, mode=request.side.mode, quick=request.quick, **extra)
        spec = EntrySpec.of(request.side.entry, request.side.overrides)
        target = spec.target()
        tasks.append(Task(record_key(target, request.side.batch, settings), spec, request.side.batch, settings))
    target_metrics = tuple(m for m in plan.target_metrics if m in allowed)
    if target_metrics:
        settings = Settings(metrics=target_metrics, device=device, **extra)
        tasks += [Task(record_key(target, 1, settings), target, 1, settings) for target in plan.targets]
    return tasks


def run_plan(
    plan: Plan,
    *,
    device: str = "cpu",
    metrics: Sequence[str] = METRICS,
    threads: int | None = None,
    results_dir: str | Path | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
    isolate: bool = True,
) -> RunOutcome:
    """Measure ``plan`` as one run (saved under ``results_dir`` when given).

    ``isolate`` measures catalog entries in a child process, so a crash or an overrun (with
    ``time_limit``) is recorded and the run goes on; without it everything runs in this process.
    """
    tasks = build_tasks(plan, device, metrics, threads)
    return start_run(tasks, results_dir, isolate=isolate, time_limit=time_limit if isolate else None, progress=progress)


def conv1x1_linear_probe() -> dict[str, float]:
    """Seed 001's "a 1×1 conv is a fully connected layer", tested on the catalog's ``nin_block``.

    The first 1×1 convolution of the block (its input captured from a forward on the example
    input) and an ``nn.Linear`` holding the same weight and bias, applied to every pixel's channel
    vector. Returns the relative max difference of the outputs and the differences of their
    parameter and MAC counts (counted by modbench's own counters).
    """
    entry = get_entry("nin_block")
    config = entry.config()
    module, _ = entry.build(config)
    module.eval()
    (x,) = entry.inputs(config, 2)
    conv = next(m for m in module.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1))
    captured: list[torch.Tensor] = []
    hook = conv.register_forward_pre_hook(lambda _m, args: captured.append(args[0].detach()))
    with torch.no_grad():
        module(x)
    hook.remove()
    features = captured[0]
    linear = nn.Linear(conv.in_channels, conv.out_channels, bias=conv.bias is not None).eval()
    with torch.no_grad():
        linear.weight.copy_(conv.weight.flatten(1))
        if conv.bias is not None:
            linear.bias.copy_(conv.bias)
        by_conv = conv(features)
        pixels = features.permute(0, 2, 3, 1).reshape(-1, conv.in_channels)
        by_linear = linear(pixels).reshape(features.shape[0], features.shape[2], features.shape[3], -1).permute(0, 3, 1, 2)
    scale = by_conv.abs().max().item() or 1.0
    return {
        "conv1x1_linear_max_abs_diff": (by_conv - by_linear).abs().max().item() / scale,
        "conv1x1_linear_param_diff": float(count_parameters(conv).params - count_parameters(linear).params),
        "conv1x1_linear_macs_diff": float(count_ops(conv, (features,)).macs - count_ops(linear, (pixels,)).macs),
    }


PROBES = {
    "conv1x1_linear_max_abs_diff": conv1x1_linear_probe,
    "conv1x1_linear_param_diff": conv1x1_linear_probe,
    "conv1x1_linear_macs_diff": conv1x1_linear_probe,
}
"""Probe name → the function computing it (one function may compute several probes)."""


def run_probes(claims: Iterable[Claim]) -> dict[str, float]:
    """Every probe the claims use, each function run once."""
    wanted = {probe.probe for claim in claims for probe in claim.probes}
    values: dict[str, float] = {}
    for function in dict.fromkeys(PROBES[name] for name in wanted):
        values.update(function())
    return {name: value for name, value in values.items() if name in wanted}


@dataclass
class ClaimsRun:
    """The verdicts of one check of the claims, with the run and probe values they rest on."""

    verdicts: list[ClaimVerdict]
    results: pd.DataFrame
    probes: dict[str, float]
    outcome: RunOutcome


def check_claims(
    claims: Sequence[Claim],
    *,
    device: str = "cpu",
    metrics: Sequence[str] = METRICS,
    threads: int | None = None,
    results_dir: str | Path | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
    isolate: bool = True,
) -> ClaimsRun:
    """Measure what ``claims`` need on ``device`` (only ``metrics``), run their probes, and judge them."""
    plan = Plan(requests=tuple(claim_requests(claims)))
    outcome = run_plan(
        plan,
        device=device,
        metrics=metrics,
        threads=threads,
        results_dir=results_dir,
        time_limit=time_limit,
        progress=progress,
        isolate=isolate,
    )
    results = records_frame(outcome.records, run=outcome.run_id)
    probes = run_probes(claims)
    return ClaimsRun(judge(claims, results, device, probes), results, probes, outcome)


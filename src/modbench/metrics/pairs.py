"""A pair task: two or more specs measured together, their latencies in interleaved rounds.

Whenever two things are compared (``modbench compare``, a claim's comparison), timing them in two
separate measurements lets a change of machine load land on one side only: on a shared machine
the ratio of two blocks measured apart moved from 0.17 to 0.44. A :class:`PairSpec` is measured in
one process instead: every metric but latency as each spec alone would be
(:func:`modbench.metrics.core.measure_spec`), then the latencies in alternating rounds
(:func:`modbench.metrics.latency.time_interleaved`) under the noise sentinel, each side under
the settings' execution knobs (:mod:`modbench.metrics.variants`). Each record keeps
its own raw samples and its per-round medians (``latency.round_s``), and the records of one pair
share a ``pair`` id, so any reader pairs them round by round (:func:`paired_estimate`).

The session runs a ``PairSpec`` like a spec (in a worker process, under the time limit) and saves
one record per member.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from modbench.environment import current_environment
from modbench.errors import UsageError
from modbench.metrics.core import achieved_gflops, measure_spec
from modbench.metrics.latency import TimedModule, time_interleaved
from modbench.metrics.sentinel import shared_sentinel
from modbench.metrics.steps import pinned_threads, placed
from modbench.metrics.variants import with_knobs
from modbench.records import Record
from modbench.spec import DTYPES, Settings, Spec, Subject
from modbench.stats import RatioEstimate, paired_ratio


@dataclass(frozen=True)
class PairSpec:
    """Specs at one batch size and settings, measured together; the first is the reference (ratios are to it)."""

    specs: tuple[Spec, ...]

    def __post_init__(self) -> None:
        if len(self.specs) < 2:
            raise UsageError(f"a pair needs two or more specs, got {len(self.specs)}")
        first = self.specs[0]
        if any(spec.batch != first.batch or spec.settings != first.settings for spec in self.specs):
            raise UsageError("the specs of a pair must share batch size and settings, so each round times both alike")
        if "latency" not in first.settings.metrics:
            raise UsageError("a pair interleaves latencies; measure them one by one when latency is not asked for")

    @property
    def settings(self) -> Any:
        return self.specs[0].settings

    @property
    def subject(self) -> tuple[Any, ...]:
        return tuple(spec.subject for spec in self.specs)

    @property
    def portable(self) -> bool:
        return all(spec.portable for spec in self.specs)

    @property
    def label(self) -> str:
        return " vs ".join(spec.label for spec in self.specs)

    def target(self) -> Any:
        """Build every member's target (the worker does this before its time limit starts); the first one."""
        return [spec.target() for spec in self.specs][0]

    def to_plan(self) -> dict[str, Any]:
        return {"pair": [spec.to_plan() for spec in self.specs]}


def plan_item(item: dict[str, Any]) -> Spec | PairSpec:
    """A run header's plan item back as what was planned: a spec, or a pair (:meth:`PairSpec.to_plan`)."""
    if "pair" in item:
        return PairSpec(tuple(Spec.from_plan(member) for member in item["pair"]))
    return Spec.from_plan(item)


def plan_pairs(subjects: Sequence[Subject], batches: Sequence[int], settings: Sequence[Settings]) -> list[PairSpec]:
    """One pair task per settings × batch, holding every subject (checked as :func:`~modbench.run.plan.plan_specs` checks).

    The first subject is the reference of each pair.
    """
    from modbench.run.plan import plan_specs  # the planner imports the session's task kinds, so not at module level

    specs = plan_specs(subjects, batches, settings)
    per_subject = len(specs) // len(subjects)
    return [PairSpec(tuple(specs[s * per_subject + i] for s in range(len(subjects)))) for i in range(per_subject)]


def members(task: Spec | PairSpec) -> tuple[Spec, ...]:
    """The specs a task measures, one record each."""
    return task.specs if isinstance(task, PairSpec) else (task,)


def unfinished(tasks: Sequence[Spec | PairSpec], records: Sequence[Record]) -> list[Spec | PairSpec]:
    """The tasks whose records are not in ``records`` yet (what a resume measures).

    A spec is done when its key has an ``ok`` record. A pair is done only when every member has
    an ``ok`` record *of one pair id*: a side compared with several others is in several pairs,
    and the records another pair made do not time it against this one's partner.
    """
    ok = [record for record in records if record.ok]
    keys = {record.key for record in ok}
    timed_together: dict[str, set[Any]] = {}
    for record in ok:
        if record.pair is not None:
            timed_together.setdefault(record.pair, set()).add(record.key)

    def done(task: Spec | PairSpec) -> bool:
        if isinstance(task, PairSpec):
            wanted = {spec.key for spec in task.specs}
            return any(wanted <= together for together in timed_together.values())
        return task.key in keys

    return [task for task in tasks if not done(task)]


def measure_pair(pair: PairSpec) -> list[Record]:
    """One record per member: every other metric as alone, latencies in interleaved rounds under the sentinel."""
    settings = pair.settings
    others = tuple(m for m in settings.metrics if m != "latency")
    if others:
        alone = replace(settings, metrics=others)
        records = [measure_spec(replace(spec, settings=alone)) for spec in pair.specs]
    else:
        records = [Record(key=spec.key, env=current_environment(settings.device)) for spec in pair.specs]
    with pinned_threads(settings.threads):
        sides, compile_times = [], []
        for spec in pair.specs:
            target = spec.target()
            module, inputs = placed(*target.checked_build(spec.batch), settings.device, DTYPES[settings.dtype])
            module, inputs, compile_s = with_knobs(module, inputs, settings, target.input_grad)
            sides.append(TimedModule(spec.key.entry, module, inputs, target.input_grad))
            compile_times.append(compile_s)
        timing, reading = shared_sentinel(settings.threads).guarded(
            lambda: time_interleaved(sides, settings.mode, settings.threads, settings.quick, precision=settings.precision)
        )
    pair_id = secrets.token_hex(6)
    for record, side, compile_s in zip(records, timing.sides, compile_times):
        if record.compile_s is None:  # the first compile, when measuring memory alone did not already time it
            record.compile_s = compile_s
        record.latency = side.latency()
        record.throughput = record.latency.throughput(pair.specs[0].batch)
        record.gflops_achieved = achieved_gflops(record.flops, record.flops_backward, record.latency.median_s, settings.mode)
        record.pair = pair_id
        reading.fill(record)
    return records


def paired_estimate(numerator: Record, denominator: Record, seed: int = 0) -> RatioEstimate | None:
    """The latency ratio ``numerator / denominator`` from their interleaved rounds; ``None`` unless they are one pair."""
    a, b = numerator.latency, denominator.latency
    if numerator.pair is None or numerator.pair != denominator.pair or a is None or b is None or not a.round_s:
        return None
    return paired_ratio(a.round_s, b.round_s, seed=seed)

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
from typing import Any

from modbench.claims.lookup import side_config, side_key
from modbench.claims.schema import Claim, Side
from modbench.claims.verdict import ClaimVerdict, judge
from modbench.metrics.registry import COLUMN_SOURCES, MEASUREMENTS
from modbench.metrics.target import Target
from modbench.resultset import ResultSet
from modbench.run import Progress, RunOptions, RunOutcome, start_run
from modbench.spec import EntrySpec, Settings, Spec, check_metrics

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
        requests += [Request(side, TARGET_METRICS) for side in claim.targets]
    return merge(requests)


def side_target(side: Side) -> Target:
    """An extra side (no catalog entry) as a runner target, built from its own config."""
    assert side.extra is not None
    extra, config = side.extra, side_config(side)
    return Target(name=side.entry, config=config, build=lambda: extra.build(config), make_inputs=lambda batch: extra.inputs(config, batch))


TARGET_METRICS = frozenset({"params", "flops", "latency"})
"""What a claim's extra targets (its exhibits' modules) are measured for."""


@dataclass(frozen=True)
class Plan:
    """What one run measures: sides (catalog entries or a claim's extra modules) with their metrics."""

    requests: tuple[Request, ...]

    def entries(self) -> Plan:
        """The catalog entries alone: a run of them can be resumed."""
        return Plan(tuple(r for r in self.requests if r.side.extra is None))

    def extras(self) -> Plan:
        """The claims' extra modules alone (built here, so a run of them cannot be resumed)."""
        return Plan(tuple(r for r in self.requests if r.side.extra is not None))


def build_specs(plan: Plan, device: str, allowed: Sequence[str] = MEASUREMENTS, threads: int | None = None) -> list[Spec]:
    """Specs for ``plan`` on ``device``, each with only the metrics it needs that are ``allowed``."""
    allowed = check_metrics(allowed)
    extra = {"threads": threads} if threads is not None else {}
    tasks = []
    for request in plan.requests:
        metrics = tuple(m for m in MEASUREMENTS if m in request.metrics and m in allowed)
        if not metrics:
            continue
        settings = Settings(metrics=metrics, device=device, mode=request.side.mode, quick=request.quick, **extra)
        side = request.side
        subject: EntrySpec | Target = side_target(side) if side.extra is not None else EntrySpec.of(side.entry, side.overrides)
        if isinstance(subject, EntrySpec):
            subject.target()  # a side that cannot be built is the claim's mistake: a usage error before anything runs
        tasks.append(Spec(subject, side.batch, settings))
    return tasks


def run_plan(
    plan: Plan,
    *,
    device: str = "cpu",
    metrics: Sequence[str] = MEASUREMENTS,
    threads: int | None = None,
    results_dir: str | Path | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
    isolate: bool = True,
    cluster: str | None = None,
) -> RunOutcome:
    """Measure ``plan`` as one run (saved under ``results_dir`` when given).

    ``isolate`` measures catalog entries in a child process, so a crash or an overrun (with
    ``time_limit``) is recorded and the run goes on; without it everything runs in this process.
    ``cluster`` (a Dask scheduler address or ``local[:N]``) measures the entries there.
    """
    options = RunOptions(isolate=isolate, time_limit=time_limit if isolate else None, cluster=cluster)
    return start_run(build_specs(plan, device, metrics, threads), results_dir, options, progress)


def run_plans(plan: Plan, **options: Any) -> RunOutcome:
    """The catalog entries as one resumable run, then the claims' extra modules as a second; one outcome.

    Options are :func:`run_plan`'s. The second run is skipped when the first was interrupted.
    """
    outcomes: list[RunOutcome] = []
    for part in (plan.entries(), plan.extras()):
        if part.requests and not (outcomes and (outcomes[-1].interrupted or outcomes[-1].write_error)):
            outcomes.append(run_plan(part, **options))
    if len(outcomes) == 1:
        return outcomes[0]
    return RunOutcome(
        records=[record for outcome in outcomes for record in outcome.records],
        interrupted=any(outcome.interrupted for outcome in outcomes),
        run_id=", ".join(str(outcome.run_id) for outcome in outcomes if outcome.run_id) or None,
        path=outcomes[0].path if outcomes else None,
        write_error=next((outcome.write_error for outcome in outcomes if outcome.write_error), None),
    )


def run_probes(claims: Iterable[Claim]) -> dict[str, float]:
    """Every probe the claims use, each probe function run once; values by key."""
    checks = [probe for claim in claims for probe in claim.probes]
    values: dict[str, float] = {}
    for function in dict.fromkeys(probe.probe for probe in checks):
        values.update(function())
    wanted = {probe.key for probe in checks}
    return {key: value for key, value in values.items() if key in wanted}


@dataclass
class ClaimsRun:
    """The verdicts of one check of the claims, with the run and probe values they rest on."""

    verdicts: list[ClaimVerdict]
    results: ResultSet
    probes: dict[str, float]
    outcome: RunOutcome


def check_claims(
    claims: Sequence[Claim],
    *,
    device: str = "cpu",
    metrics: Sequence[str] = MEASUREMENTS,
    threads: int | None = None,
    results_dir: str | Path | None = None,
    time_limit: float | None = None,
    progress: Progress | None = None,
    isolate: bool = True,
    cluster: str | None = None,
) -> ClaimsRun:
    """Measure what ``claims`` need on ``device`` (only ``metrics``), run their probes, and judge them."""
    plan = Plan(requests=tuple(claim_requests(claims)))
    outcome = run_plans(
        plan,
        device=device,
        metrics=metrics,
        threads=threads,
        results_dir=results_dir,
        time_limit=time_limit,
        progress=progress,
        isolate=isolate,
        cluster=cluster,
    )
    results = outcome.results
    probes = run_probes(claims)
    return ClaimsRun(judge(claims, results, device, probes), results, probes, outcome)


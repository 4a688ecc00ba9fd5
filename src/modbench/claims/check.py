"""Measure what the claims need, through the runner, then judge them.

Each claim says which results columns its checks read; this module turns that into runner tasks
with only the metrics some check needs: a comparison whose checks read a latency ratio is one
pair task (both sides timed in interleaved rounds in one worker, :mod:`modbench.metrics.pairs`),
every other side one task alone. It runs them as one run of the results store, runs the probes
(facts that are not costs), and hands the table to :mod:`modbench.claims.verdict`. Latency for verdicts uses the full timing plan; ``quick`` is for
the catalog-wide sweep of the report, where a rough number is enough.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modbench.claims.schema import Claim, Comparison, Side
from modbench.claims.sides import side_record_key, side_spec
from modbench.claims.verdict import ClaimVerdict, judge
from modbench.metrics.pairs import PairSpec
from modbench.metrics.registry import COLUMN_SOURCES, MEASUREMENTS
from modbench.records import RecordKey
from modbench.resultset import ResultSet
from modbench.run.plan import RunOptions
from modbench.run.session import Progress, RunOutcome, start_run
from modbench.spec import Settings, Spec, check_metrics

@dataclass(frozen=True)
class Request:
    """A side to measure with some metrics; ``quick`` allows the short timing plan."""

    side: Side
    metrics: frozenset[str]
    quick: bool = False


@dataclass(frozen=True)
class PairRequest:
    """Sides timed together in interleaved rounds in one worker (a pair task), each measured for ``metrics``.

    A claim's comparison lists its baseline first and its candidate second: the baseline is the
    pair's reference, as A is in ``modbench compare A B``. The verdicts read the ratio
    candidate / baseline whatever the order (:func:`modbench.claims.estimates.latency_ratio`).
    """

    sides: tuple[Side, ...]
    metrics: frozenset[str]
    quick: bool = False

    @property
    def keys(self) -> frozenset[RecordKey]:
        """The sides' record keys (:func:`~modbench.claims.sides.side_record_key`): what makes two pairs one."""
        return frozenset(side_record_key(side) for side in self.sides)

    def widened(self, metrics: frozenset[str], quick: bool) -> PairRequest:
        """This pair also measuring ``metrics``; quick only if both allow it."""
        return PairRequest(self.sides, self.metrics | metrics, self.quick and quick)


def merge(requests: Iterable[Request]) -> list[Request]:
    """One request per measured key, in first-seen order: metrics united, quick only if every request allows it.

    Two sides that resolve to the same config (``mobilenetv3_large`` and ``mobilenetv3_large``
    with ``width_mult=1.0``) are one key (:func:`~modbench.claims.sides.side_record_key`):
    measuring it twice would only add noise.
    """
    merged: dict[RecordKey, Request] = {}
    for request in requests:
        key = side_record_key(request.side)
        seen = merged.get(key)
        if seen is None:
            merged[key] = request
        else:
            merged[key] = Request(seen.side, seen.metrics | request.metrics, seen.quick and request.quick)
    return list(merged.values())


def merge_pairs(pairs: Iterable[PairRequest]) -> list[PairRequest]:
    """One pair per set of sides, and none whose sides another pair already times together.

    Two comparisons of the same sides are one pair (metrics united); a pair whose sides are all
    in a larger pair (a claim's two activations inside a batch curve's three) is folded into it:
    records that share a pair id were timed in the same rounds, whichever task made them.
    """
    by_keys: dict[frozenset[RecordKey], PairRequest] = {}
    for pair in pairs:
        seen = by_keys.get(pair.keys)
        by_keys[pair.keys] = pair if seen is None else seen.widened(pair.metrics, pair.quick)
    kept: dict[frozenset[RecordKey], PairRequest] = {}
    for keys, pair in sorted(by_keys.items(), key=lambda item: -len(item[0])):  # stable: first-seen order within a size
        container = next((bigger for bigger in kept if keys < bigger), None)
        if container is None:
            kept[keys] = pair
        else:
            kept[container] = kept[container].widened(pair.metrics, pair.quick)
    order = list(by_keys)
    return [kept[keys] for keys in sorted(kept, key=order.index)]


def _sources(columns: Iterable[str]) -> frozenset[str]:
    return frozenset(source for column in columns for source in COLUMN_SOURCES[column])


def _pairable(comparison: Comparison) -> bool:
    """Whether a comparison's sides are timed as a pair: a latency ratio between two sides at one batch and mode."""
    baseline, candidate = comparison.baseline, comparison.candidate
    timed_ratio = any(check.on == "ratio" and "latency" in _sources([check.metric]) for check in comparison.checks)
    return baseline is not None and timed_ratio and (baseline.batch, baseline.mode) == (candidate.batch, candidate.mode)


def claim_plan(claims: Iterable[Claim]) -> Plan:
    """Every side the claims compare, with the metrics their checks read; latency comparisons as pairs."""
    requests: list[Request] = []
    pairs: list[PairRequest] = []
    for claim in claims:
        for comparison in claim.comparisons:
            metrics = _sources(check.metric for check in comparison.checks)
            if _pairable(comparison):
                assert comparison.baseline is not None
                pairs.append(PairRequest((comparison.baseline, comparison.candidate), metrics))
                continue
            sides = [comparison.candidate] + ([comparison.baseline] if comparison.baseline is not None else [])
            requests += [Request(side, metrics) for side in sides]
        for growth in claim.growth:
            requests += [Request(side, _sources([growth.metric])) for side in growth.sides()]
        requests += [Request(side, TARGET_METRICS) for side in claim.targets]
    return Plan.of(requests, pairs)


TARGET_METRICS = frozenset({"params", "flops", "latency"})
"""What a claim's extra targets (its exhibits' modules) are measured for."""


@dataclass(frozen=True)
class Plan:
    """What one run measures: sides alone (catalog entries or a claim's extra modules) and pairs, with their metrics.

    Build it with :meth:`of`, which merges so that nothing is measured twice without need.
    """

    requests: tuple[Request, ...] = ()
    pairs: tuple[PairRequest, ...] = ()

    @classmethod
    def of(cls, requests: Iterable[Request], pairs: Iterable[PairRequest] = ()) -> Plan:
        """Requests merged per key, pairs merged (:func:`merge_pairs`), and a side that is in a pair measured there.

        A request for a side some pair times is folded into every pair holding it, so each of that
        side's records carries every metric asked for (the counts are then taken once per pair,
        cheap beside the timing); a side in no pair stays one request.
        """
        merged_pairs = merge_pairs(pairs)
        alone = []
        for request in merge(requests):
            key = side_record_key(request.side)
            holding = [index for index, pair in enumerate(merged_pairs) if key in pair.keys]
            for index in holding:
                merged_pairs[index] = merged_pairs[index].widened(request.metrics, request.quick)
            if not holding:
                alone.append(request)
        return cls(tuple(alone), tuple(merged_pairs))

    def entries(self) -> Plan:
        """The catalog entries alone: a run of them can be resumed."""
        return Plan(tuple(r for r in self.requests if r.side.extra is None), tuple(p for p in self.pairs if not _has_extra(p)))

    def extras(self) -> Plan:
        """The claims' extra modules alone (built here, so a run of them cannot be resumed)."""
        return Plan(tuple(r for r in self.requests if r.side.extra is not None), tuple(p for p in self.pairs if _has_extra(p)))

    def sides(self) -> list[Side]:
        """Every side measured, in first-seen order, each once."""
        seen: dict[RecordKey, Side] = {}
        for side in [r.side for r in self.requests] + [side for p in self.pairs for side in p.sides]:
            seen.setdefault(side_record_key(side), side)
        return list(seen.values())

    @property
    def empty(self) -> bool:
        return not (self.requests or self.pairs)


def _has_extra(pair: PairRequest) -> bool:
    return any(side.extra is not None for side in pair.sides)


def _checked(spec: Spec) -> Spec:
    spec.target()  # a side that cannot be built is the claim's mistake: a usage error before anything runs
    return spec


def build_specs(plan: Plan, device: str, allowed: Sequence[str] = MEASUREMENTS, threads: int | None = None) -> list[Spec | PairSpec]:
    """Tasks for ``plan`` on ``device``, each with only the metrics it needs that are ``allowed``.

    A pair becomes a :class:`~modbench.metrics.pairs.PairSpec` (one worker, latencies in
    interleaved rounds); when latency is not allowed there is nothing to interleave, and its
    sides are measured alone (merged with the other requests). Each side becomes its spec through
    :func:`~modbench.claims.sides.side_spec`, the derivation the claims' lookups find its records by.
    """
    allowed = check_metrics(allowed)
    if plan.pairs and "latency" not in allowed:
        demoted = [Request(side, pair.metrics, pair.quick) for pair in plan.pairs for side in pair.sides]
        plan = Plan(tuple(merge([*plan.requests, *demoted])))
    extra = {"threads": threads} if threads is not None else {}

    def settings(metrics: frozenset[str], quick: bool) -> Settings | None:
        chosen = tuple(m for m in MEASUREMENTS if m in metrics and m in allowed)
        return Settings(metrics=chosen, device=device, quick=quick, **extra) if chosen else None

    tasks: list[Spec | PairSpec] = []
    for request in plan.requests:
        alone = settings(request.metrics, request.quick)
        if alone is not None:
            tasks.append(_checked(side_spec(request.side, alone)))
    for pair in plan.pairs:
        together = settings(pair.metrics, pair.quick)
        assert together is not None  # latency is allowed, and every pair asks for it
        tasks.append(PairSpec(tuple(_checked(side_spec(side, together)) for side in pair.sides)))
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
        if not part.empty and not (outcomes and (outcomes[-1].interrupted or outcomes[-1].write_error)):
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
    plan = claim_plan(claims)
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


"""Where a latency ratio's confidence interval comes from: the one place claims compute it.

Two sides timed together as a pair task (:mod:`modbench.metrics.pairs`) give a **paired**
estimate: the median of their per-round ratios with its bootstrap interval
(:func:`modbench.metrics.pairs.paired_estimate`), so drift of the machine cancels inside each
round. Records that are no pair (runs saved before claims measured pairs, or sides measured
apart) fall back to an **unpaired** estimate: each side's raw per-call samples give a bootstrap
interval of the ratio of medians (:func:`modbench.stats.unpaired_ratio`), and a record with only
its median and inter-quartile range gives the range the ratio spans when each side lies anywhere
between its quartiles, which is wider. :attr:`~modbench.stats.RatioEstimate.paired` says which
one a verdict used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from modbench.claims.lookup import Measured, Results, ratio
from modbench.claims.schema import Side
from modbench.metrics.pairs import paired_estimate
from modbench.metrics.sentinel import noise_mark
from modbench.stats import RatioEstimate, unpaired_ratio

MIN_RUNS = 3
"""Fewest timed calls a side must rest on for its latency to have a spread at all."""


@dataclass(frozen=True)
class LatencyRatio:
    """A candidate's latency against a baseline's: both values and the estimate of their ratio."""

    candidate: Measured
    baseline: Measured
    estimate: RatioEstimate | None  # None: a side rests on too few timed calls to know the spread

    @property
    def ratio(self) -> float:
        """The estimate's ratio (the median per-round ratio when paired), else the ratio of the two medians."""
        return self.estimate.ratio if self.estimate is not None else ratio(self.candidate.value, self.baseline.value)

    @property
    def noisy(self) -> bool:
        """Whether the noise sentinel saw load while either side was timed."""
        return self.candidate.noisy or self.baseline.noisy

    @property
    def slowdown(self) -> float | None:
        """The sentinel's larger slowdown of the two sides (``None`` when neither side's was read)."""
        values = [m.record.sentinel_slowdown for m in (self.candidate, self.baseline) if m.record is not None]
        known = [value for value in values if value is not None]
        return max(known) if known else None


def latency_ratio(results: Results, candidate: Side, baseline: Side, device: str) -> tuple[LatencyRatio | None, str | None]:
    """(the candidate / baseline latency ratio on ``device``, None), or (None, why it is missing).

    The records of the latest pair that timed both sides together are preferred; without one,
    each side's latest record.
    """
    paired = results.paired(candidate, baseline, "latency_ms", device)
    if paired is not None:
        found_candidate, found_baseline = paired
    else:
        found_candidate, why = results.value(candidate, "latency_ms", device)
        if found_candidate is None:
            return None, why
        found_baseline, why = results.value(baseline, "latency_ms", device)
        if found_baseline is None:
            return None, why
    return LatencyRatio(found_candidate, found_baseline, latency_estimate(found_candidate, found_baseline)), None


def latency_noise(results: Results, side: Side, device: str) -> str:
    """The noise mark of a side's latency on ``device`` (its latest record), for an exhibit's row; empty when clean."""
    found, _ = results.value(side, "latency_ms", device)
    if found is None or found.record is None:
        return ""
    return noise_mark(found.record.noisy, found.record.sentinel_slowdown)


def latency_estimate(candidate: Measured, baseline: Measured) -> RatioEstimate | None:
    """The candidate / baseline latency ratio with its interval; None when a side has too few runs to know it."""
    if candidate.record is not None and baseline.record is not None:
        paired = paired_estimate(candidate.record, baseline.record)
        if paired is not None:
            return paired
    if len(candidate.samples) >= MIN_RUNS and len(baseline.samples) >= MIN_RUNS:
        return unpaired_ratio(candidate.samples, baseline.samples)
    runs = [m.runs for m in (candidate, baseline) if m.runs is not None]
    if runs and min(runs) < MIN_RUNS:
        return None
    if baseline.low <= 0:
        high = math.inf
    else:
        high = ratio(candidate.high, baseline.low)
    return RatioEstimate(
        ratio=ratio(candidate.value, baseline.value),
        low=ratio(candidate.low, baseline.high),
        high=high,
        rounds=min(runs) if runs else 0,
        paired=False,
    )

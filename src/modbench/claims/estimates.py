"""Where a latency ratio's confidence interval comes from: the one place to swap its source.

Today each side's raw per-call samples, when the record kept them, give an unpaired bootstrap
interval (:func:`modbench.stats.unpaired_ratio`); a record with only its median and
inter-quartile range gives the range the ratio spans when each side lies anywhere between its
quartiles, which is wider. Paired, interleaved rounds will give a tighter interval here.
"""

from __future__ import annotations

import math

from modbench.claims.lookup import Measured, ratio
from modbench.stats import RatioEstimate, unpaired_ratio

MIN_RUNS = 3
"""Fewest timed calls a side must rest on for its latency to have a spread at all."""


def latency_estimate(candidate: Measured, baseline: Measured) -> RatioEstimate | None:
    """The candidate / baseline latency ratio with its interval; None when a side has too few runs to know it."""
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

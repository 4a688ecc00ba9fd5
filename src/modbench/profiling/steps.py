"""How steady the profiled steps were, and whether the machine was busy while they ran.

A profile's per-step numbers are averages over its active steps; from a handful of steps on a busy
machine they can be many times the quiet value (a Ghost convolution read 27 ms per step under load
against 0.47 ms quiet), and nothing in the averages says so. So each active step is timed on the
same clock the profiler runs under, and the summary states how many were kept, their spread, and
what the noise sentinel saw (:mod:`modbench.metrics.sentinel`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from modbench.metrics.sentinel import SentinelReading

WIDE_SPREAD = 0.20  # interquartile range of the active steps' times, relative to their median
MIN_STEADY_STEPS = 5  # fewer active steps than this cannot show whether the time was steady


@dataclass(frozen=True)
class ActiveSteps:
    """Wall time of each active (kept) step of one profile, under the profiler."""

    times_s: tuple[float, ...]

    @property
    def count(self) -> int:
        return len(self.times_s)

    @property
    def median_s(self) -> float:
        return float(np.median(self.times_s))

    @property
    def relative_iqr(self) -> float:
        """IQR of the step times over their median (0 for a single step)."""
        q25, q75 = np.percentile(self.times_s, [25, 75])
        return float((q75 - q25) / self.median_s) if self.median_s > 0 else 0.0

    def describe(self) -> str:
        """One line: how many steps were kept and how their times spread."""
        return (f"{self.count} active step(s) kept, {self.median_s * 1e3:.3g} ms per step under the profiler "
                f"(median; IQR {self.relative_iqr:.0%} of it, range {min(self.times_s) * 1e3:.3g}"
                f"–{max(self.times_s) * 1e3:.3g} ms)")

    def warnings(self, sentinel: SentinelReading | None) -> list[str]:
        """What makes this profile's per-step values doubtful, one sentence each (empty when nothing does)."""
        found = []
        if self.count < MIN_STEADY_STEPS:
            found.append(f"only {self.count} active step(s): too few to tell a steady time from noise; "
                         f"use --active {2 * MIN_STEADY_STEPS} or more")
        if self.relative_iqr > WIDE_SPREAD:
            found.append(f"active steps spread widely (IQR {self.relative_iqr:.0%} of the median, over "
                         f"{WIDE_SPREAD:.0%}): the per-step values are unreliable; rerun on a quieter machine "
                         "or with more --active steps")
        if sentinel is not None and sentinel.noisy:
            found.append("the machine was busy while profiling, so times are inflated: " + "; ".join(sentinel.reasons()))
            advice = sentinel.advice()
            if advice:
                found.append(advice)
        return found

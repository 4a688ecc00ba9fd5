"""Find the commits where a series changed level, and say whether the change is real.

Two parts, because neither alone is enough:

* **Where** (candidate change points), from two searches: every pair of consecutive commits
  that differ, and a binary segmentation of the per-commit values, which also catches a level
  that drifts over several commits. The segmentation tries every split of a stretch of commits,
  best first by how much it lowers the L1 cost (the sum of absolute deviations from each side's
  median, robust to a stray commit); the first split that passes the test below is kept, and both
  sides are searched again.
* **Whether** (the test), for timings and memory. A timing is first cleaned of what the machine
  did (:mod:`modbench.history.noise`: noisy measurements left out, values divided by the
  sentinel's slowdown and by the machine drift of their commit). Then the step must exceed the
  noise measured for that series, in every form recorded:

  - the relative change of the two segments' medians reaches ``min_effect``;
  - it exceeds the typical interquartile half-ranges of both sides (the per-commit spread: their
    IQR bands do not overlap);
  - it exceeds ``noise_factor`` times the series' spread *between* commits
    (:func:`between_commit_noise`, where the series has at least ``min_noise_commits`` commits):
    a series that wanders by 20 % from commit to commit on its own does not regress by 25 %;
  - where samples were recorded on both sides (repeated runs, or ``asv run --record-samples``),
    a two-sided Mann-Whitney U test on the pooled samples gives ``p < alpha``. The test alone is
    never enough: samples of one run share that run's load, so it calls a change of load between
    two runs significant.

  A count (parameters, MACs, FLOPs) is exact, so any change is real.

  A timing step that passes all of these is still only **unconfirmed** when nothing measured how
  far the series moves between runs: fewer than ``min_noise_commits`` commits and no repeated
  runs (samples) on both sides. On this project's 2-core machine two ``measure --all --quick``
  runs at commits that differ in a README line moved ten entries by 10–34 % against each other,
  after the sentinel and machine-drift corrections, with tight IQRs in each run: one run per
  commit cannot tell a regression from that. An unconfirmed step is reported (and says how to
  confirm it: measure again at both commits) but does not fail the gate.

Every candidate is then judged again against its final neighbouring segments, and the weakest
one that fails is dropped (its two segments merge) until all pass. Lower is better for
everything modbench measures, so a step up is a regression and a step down an improvement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from modbench.history.noise import judged_series
from modbench.history.table import SeriesKey


@dataclass(frozen=True)
class Thresholds:
    """How sure and how large a change must be to be reported."""

    alpha: float = 0.01
    min_effect: float = 0.10
    min_samples: int = 5  # per side, for the Mann-Whitney test; with fewer, the IQR condition alone decides
    noise_factor: float = 3.0  # how many times the series' spread between commits a step must exceed
    min_noise_commits: int = 4  # commits in the series needed to measure that spread


@dataclass(frozen=True)
class Change:
    """A change of level in one series: where it started, from what to what, and the evidence."""

    series: SeriesKey
    kind: str
    unit: str
    commit: str  # the first commit at the new level: where the change started
    previous_commit: str  # the last commit at the old level
    position: int  # index of ``commit`` in the series' commit order
    before: float  # median of the per-commit values of the old level (as measured)
    after: float  # median of the per-commit values of the new level (as measured)
    test: str  # "mann-whitney" (and IQR bands), "iqr-bands" (no samples), or "exact" (a count)
    p_value: float | None
    judged_ratio: float  # after / before of the values judged (with the machine taken out; see ``basis``)
    noise: float | None  # the series' relative spread between commits, where it could be measured
    basis: str = ""  # what was taken out of the values before judging, in words
    confirmed: bool = True  # False: a timing step with no measure of the series' noise between runs (see the module docstring)

    @property
    def ratio(self) -> float:
        """after / before (``inf`` when before was 0)."""
        return self.after / self.before if self.before else float("inf")

    @property
    def regression(self) -> bool:
        return self.after > self.before


def detect_changes(table: pd.DataFrame, series: SeriesKey, thresholds: Thresholds = Thresholds()) -> list[Change]:
    """The changes of level in one series' table (rows in commit order, :data:`~modbench.history.table.COLUMNS`)."""
    judge = _Judge(table, series, thresholds)
    count = len(judge.values)
    points = {split for split in range(1, count) if judge(split - 1, split, split + 1) is not None}
    _segment(judge, 0, count, points)
    ordered = sorted(points)
    while True:
        bounds = [0, *ordered, count]
        verdicts = [judge(bounds[i], point, bounds[i + 2]) for i, point in enumerate(ordered)]
        failing = [i for i, verdict in enumerate(verdicts) if verdict is None]
        if not failing:
            return [verdict for verdict in verdicts if verdict is not None]
        weakest = min(failing, key=lambda i: judge.gap(bounds[i], ordered[i], bounds[i + 2]))
        del ordered[weakest]


def _segment(judge: _Judge, start: int, stop: int, points: set[int]) -> None:
    for split in judge.candidate_splits(start, stop):
        if judge(start, split, stop) is not None:
            points.add(split)
            _segment(judge, start, split, points)
            _segment(judge, split, stop, points)
            return


class _Judge:
    """Tests whether the segments ``[start, split)`` and ``[split, stop)`` of one series differ."""

    def __init__(self, table: pd.DataFrame, series: SeriesKey, thresholds: Thresholds) -> None:
        self.table = table
        self.series = series
        self.thresholds = thresholds
        judged = judged_series(table)
        self.kept = judged.kept
        self.values = judged.values
        self.iqr = judged.iqr
        self.samples = judged.samples
        self.basis = judged.basis
        self.measured = table["value"].to_numpy(dtype=float)[judged.kept]
        self.kind = str(table["kind"].iloc[0])
        self.noise = between_commit_noise(self.values, thresholds.min_noise_commits) if self.kind != "count" else None

    def candidate_splits(self, start: int, stop: int) -> list[int]:
        """Every split of ``[start, stop)``, the one that lowers the L1 cost most first."""
        total = _l1(self.values[start:stop])
        gains = [
            (total - _l1(self.values[start:split]) - _l1(self.values[split:stop]), split)
            for split in range(start + 1, stop)
        ]
        return [split for _, split in sorted(gains, key=lambda gain: (-gain[0], gain[1]))]

    def gap(self, start: int, split: int, stop: int) -> float:
        """How far apart the medians of the two segments are, relative to the first."""
        before, after = self._levels(start, split, stop)
        return abs(after - before) / abs(before) if before else abs(after - before)

    def _levels(self, start: int, split: int, stop: int) -> tuple[float, float]:
        return float(np.median(self.values[start:split])), float(np.median(self.values[split:stop]))

    def __call__(self, start: int, split: int, stop: int) -> Change | None:
        """The change between ``[start, split)`` and ``[split, stop)``, or ``None`` if there is none."""
        before, after = self._levels(start, split, stop)
        if after == before:
            return None
        noise = None
        if self.kind == "count":
            test, p_value = "exact", None
        else:
            if before <= 0 or after <= 0 or abs(after / before - 1) < self.thresholds.min_effect:
                return None
            if not self._bands_apart(start, split, stop, after - before):
                return None
            noise = self.noise
            if noise is not None and abs(np.log(after / before)) <= self.thresholds.noise_factor * noise:
                return None
            test, p_value = self._test(start, split, stop)
            if p_value is not None and p_value >= self.thresholds.alpha:
                return None
        confirmed = self.kind != "time" or noise is not None or (self._rerun(start, split) and self._rerun(split, stop))
        commits = self.table["commit"].to_numpy()[self.kept]
        return Change(
            series=self.series,
            kind=self.kind,
            unit=str(self.table["unit"].iloc[0]),
            commit=str(commits[split]),
            previous_commit=str(commits[split - 1]),
            position=int(self.kept[split]),
            before=float(np.median(self.measured[start:split])),
            after=float(np.median(self.measured[split:stop])),
            test=test,
            p_value=p_value,
            judged_ratio=after / before if before else float("inf"),
            noise=noise,
            basis=self.basis,
            confirmed=confirmed,
        )

    def _rerun(self, start: int, stop: int) -> bool:
        """Whether some commit of ``[start, stop)`` has repeated values (samples), which show the spread between runs."""
        return any(len(self.samples[i]) > 1 for i in range(start, stop))


    def _test(self, start: int, split: int, stop: int) -> tuple[str, float | None]:
        left = [value for samples in self.samples[start:split] for value in samples]
        right = [value for samples in self.samples[split:stop] for value in samples]
        if min(len(left), len(right)) < self.thresholds.min_samples:
            return "iqr-bands", None
        from scipy.stats import mannwhitneyu  # here, not at import: scipy.stats costs every modbench command 1.8 s to import

        return "mann-whitney", float(mannwhitneyu(left, right, alternative="two-sided").pvalue)

    def _bands_apart(self, start: int, split: int, stop: int, step: float) -> bool:
        """Whether ``step`` exceeds the typical IQR half-ranges of both segments (their bands do not overlap)."""
        half_ranges = float(np.median(self.iqr[start:split]) + np.median(self.iqr[split:stop])) / 2
        return abs(step) > half_ranges


def between_commit_noise(values: np.ndarray, min_commits: int) -> float | None:
    """A series' relative spread from one commit to the next, robust to the few real steps in it.

    The scaled median absolute deviation of the changes of log value between consecutive commits,
    divided by √2 (a difference carries the spread of two values): about the relative standard
    deviation of one commit's value. It is taken over the whole series, not over segments the
    search chose (those fit the noise). ``None`` with fewer than ``min_commits`` values.
    """
    positive = values[values > 0]
    if len(positive) < min_commits:
        return None
    steps = np.diff(np.log(positive))
    return float(1.4826 * np.median(np.abs(steps - np.median(steps))) / np.sqrt(2))


def _l1(values: np.ndarray) -> float:
    return float(np.abs(values - np.median(values)).sum()) if len(values) else 0.0

"""Take out of a timing history what the machine did, so that only the code's changes remain.

On a shared machine a timing moves for three reasons besides the code: the load while it was
measured, the load between the runs of two commits, and plain spread. Three corrections, each used
only where its evidence was recorded:

* **noisy measurements** (the sentinel saw load past its threshold, see
  :mod:`modbench.metrics.sentinel`) are left out of timing judgements; they are still plotted;
* **sentinel normalisation**: a value measured while the sentinel ran ``s`` slower than quiet is
  divided by ``1 + s``;
* **machine drift**: where one run measured many timings (an ``asv run`` of the suite, a
  ``modbench measure --all``), a commit at which *every* timing moved by the same factor ran on a
  slower or faster machine, not slower code. The factor of a commit is the median, over the
  timing series of one machine and environment measured there, of each series' value against its
  own median over commits; it is used only when at least :data:`MIN_DRIFT_SERIES` series were
  measured at that commit, and each value is divided by it. A change that truly slows every block
  by the same factor is hidden by this; the report lists each commit's factor, so it is not lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from modbench.history.table import SERIES_COLUMNS

MIN_DRIFT_SERIES = 5
GROUP_COLUMNS = ["source", "machine", "env"]


def machine_drift(history: pd.DataFrame, min_series: int = MIN_DRIFT_SERIES) -> pd.Series:
    """Per row of ``history``: the machine's speed factor at that row's commit (1.0 where unknown or not a timing)."""
    is_time = history["kind"] == "time"
    timings = history[is_time & ~history["noisy"].eq(True)]
    if timings.empty:
        return pd.Series(1.0, index=history.index)
    series_median = timings.groupby(SERIES_COLUMNS, dropna=False)["value"].transform("median")
    relative = (timings["value"] / series_median).where(series_median > 0)
    grouped = relative.groupby([timings[column] for column in GROUP_COLUMNS] + [timings["commit"]], dropna=False)
    factors = grouped.median().where(grouped.count() >= min_series)
    keys = pd.MultiIndex.from_frame(history[GROUP_COLUMNS + ["commit"]])
    by_row = pd.Series(factors.reindex(keys).to_numpy(dtype=float), index=history.index)
    return by_row.where(is_time & by_row.notna() & (by_row > 0), 1.0)


@dataclass(frozen=True)
class JudgedSeries:
    """A series as detection judges it: the rows kept, and their values with the machine taken out."""

    kept: np.ndarray  # positions (in the series table) of the rows judged
    values: np.ndarray
    iqr: np.ndarray
    samples: list[tuple[float, ...]]
    basis: str  # what was taken out, in words ("" when nothing)


def judged_series(table: pd.DataFrame) -> JudgedSeries:
    """The rows of one series' table to judge and their corrected values (a count or memory is left as it is)."""
    samples = [tuple(s) if isinstance(s, (tuple, list)) else () for s in table["samples"]]
    values = table["value"].to_numpy(dtype=float)
    iqr = table["iqr"].fillna(0.0).to_numpy(dtype=float)
    if str(table["kind"].iloc[0]) != "time":
        return JudgedSeries(np.arange(len(table)), values, iqr, samples, "")
    noisy = table["noisy"].eq(True).to_numpy()
    slowdown = pd.to_numeric(table["slowdown"], errors="coerce")
    drift = pd.to_numeric(table["drift"], errors="coerce").fillna(1.0) if "drift" in table else pd.Series(1.0, index=table.index)
    scale = ((1.0 + slowdown.fillna(0.0).clip(lower=0.0)) * drift).to_numpy(dtype=float)
    kept = np.flatnonzero(~noisy)
    basis = []
    if noisy.any():
        basis.append(f"{int(noisy.sum())} noisy measurement(s) left out")
    if slowdown.notna().any():
        basis.append("values ÷ (1 + sentinel slowdown)")
    if (np.abs(drift.to_numpy(dtype=float) - 1.0) > 1e-12).any():
        basis.append("values ÷ machine drift of their commit")
    return JudgedSeries(
        kept=kept,
        values=(values / scale)[kept],
        iqr=(iqr / scale)[kept],
        samples=[tuple(v / scale[i] for v in samples[i]) for i in kept],
        basis="; ".join(basis),
    )

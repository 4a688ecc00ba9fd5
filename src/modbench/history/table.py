"""The history table: one row per (series, commit), whatever measured it.

A *series* is one benchmark at one parameter set, on one machine and environment: asv's
``bench_catalog.Infer.time_infer`` for ``entry=ghost`` in one virtualenv, or modbench's
``latency_ms`` for one record key. Both readers (:mod:`modbench.history.asv_results` and
:mod:`modbench.history.store`) produce rows with :data:`COLUMNS`, so detection and the report
never need to know where a number came from.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

SERIES_COLUMNS = ["source", "machine", "env", "benchmark", "params"]
"""What identifies a series; every series is ordered over commits on its own."""

COLUMNS = [
    *SERIES_COLUMNS,
    "kind",  # "time" or "memory" (noisy: judged by a test), "count" (exact: any change is real)
    "unit",
    "commit",
    "date",  # when the commit was made (asv) or measured (modbench), as a UTC timestamp
    "value",  # the commit's central value: asv's median, or the median of modbench's records
    "iqr",  # the spread of the values behind it (interquartile range; 0 for an exact count)
    "samples",  # tuple of raw values at this commit, or None when none were recorded
    "slowdown",  # a timing's noise-sentinel slowdown against quiet (modbench.metrics.sentinel), or None
    "noisy",  # True when the sentinel marked the timing noisy; None when no sentinel ran
]

@dataclass(frozen=True)
class SeriesKey:
    """Which series a history table is: its source, machine, environment, benchmark and parameters."""

    source: str
    machine: str
    env: str
    benchmark: str
    params: str

    def label(self) -> str:
        """``benchmark (params)``: how the report names a series."""
        return f"{self.benchmark} ({self.params})" if self.params else self.benchmark


def empty_history() -> pd.DataFrame:
    """A history with no rows but every column."""
    return pd.DataFrame(columns=COLUMNS)


def series_tables(history: pd.DataFrame, order: dict[str, int] | None = None) -> Iterator[tuple[SeriesKey, pd.DataFrame]]:
    """Each series of ``history`` with its rows in commit order (one pandas table per series).

    ``order`` maps commit hashes to their position in the repository (see :func:`git_order`);
    when it knows every commit, that order is used, otherwise commit dates are, because dates are
    all the results files carry and asv's are author dates, which a rebase can leave out of order.
    """
    if ordered_by_git(history, order):
        history = history.assign(_position=history["commit"].map(order))
        history = history.sort_values(["_position", "date"], kind="stable").drop(columns="_position")
    else:
        history = history.sort_values("date", kind="stable")
    for values, table in history.groupby(SERIES_COLUMNS, sort=True, dropna=False):
        yield SeriesKey(*values), table.reset_index(drop=True)


def ordered_by_git(history: pd.DataFrame, order: dict[str, int] | None) -> bool:
    """Whether ``order`` places every commit of ``history`` (and so decides the order)."""
    return bool(order) and bool(history["commit"].isin(order.keys()).all())


def git_order(repo: str | Path) -> dict[str, int]:
    """Every commit reachable from any ref of ``repo`` → its position, oldest first; ``{}`` if not a git repository."""
    try:
        listed = subprocess.run(
            ["git", "-C", str(repo), "rev-list", "--topo-order", "--reverse", "--all"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return {}
    return {commit: position for position, commit in enumerate(listed.stdout.split())}

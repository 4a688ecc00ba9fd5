"""Put the sources together, order each series over commits, and find its changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from modbench.history.detect import Change, Thresholds, detect_changes
from modbench.history.noise import machine_drift
from modbench.history.table import SeriesKey, empty_history, ordered_by_git, series_tables


@dataclass(frozen=True)
class History:
    """What the report shows: every series in commit order, the changes found, and how."""

    series: dict[SeriesKey, pd.DataFrame]
    changes: list[Change]
    sources: list[str]  # one line per source read, e.g. "asv results in .asv/results"
    order: str  # how commits were ordered: "git history" or "commit dates"
    thresholds: Thresholds
    drift: dict[tuple[str, str], float] = field(default_factory=dict)  # (machine, commit) -> machine drift factor

    @property
    def regressions(self) -> list[Change]:
        """Confirmed steps up: what fails the gate."""
        return [change for change in self.changes if change.regression and change.confirmed]

    @property
    def improvements(self) -> list[Change]:
        return [change for change in self.changes if not change.regression and change.confirmed]

    @property
    def unconfirmed(self) -> list[Change]:
        """Timing steps past every test but with no measure of the series' noise between runs (see :mod:`.detect`)."""
        return [change for change in self.changes if not change.confirmed]


def analyse(
    frames: Sequence[pd.DataFrame],
    sources: list[str],
    order: Mapping[str, int] | None = None,
    thresholds: Thresholds = Thresholds(),
) -> History:
    """The history of every series in ``frames`` (history tables).

    ``order`` maps commits to their position in the repository (:func:`git_order`); commits it
    does not place are ordered by date.
    """
    non_empty = [frame for frame in frames if not frame.empty]
    history = pd.concat(non_empty, ignore_index=True) if non_empty else empty_history()
    history = history.assign(drift=machine_drift(history))
    order = dict(order or {})
    series = dict(series_tables(history, order))
    changes = [change for key, table in series.items() for change in detect_changes(table, key, thresholds)]
    drift = {(str(row.machine), str(row.commit)): float(row.drift) for row in history.itertuples() if row.drift != 1.0}
    return History(series, changes, sources, "git history" if ordered_by_git(history, order) else "commit dates",
                   thresholds, drift)

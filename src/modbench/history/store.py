"""Read modbench's own results store (``modbench measure`` runs) into the history table.

Each record carries the git commit of the modbench checkout that measured it, so runs made at
different commits line up as a history. A series is one metric of one record key (the
:class:`~modbench.records.RecordKey`, named by :meth:`~modbench.records.RecordKey.series_label`)
on one machine and environment; several records of the same key at one commit (repeated runs)
become that commit's samples. Records without a commit (an installed, not checked-out, modbench),
without a readable timestamp, or that failed cannot be placed and are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modbench.history.table import COLUMNS, empty_history
from modbench.metrics.registry import HISTORY_METRICS, SPREAD_COLUMNS, Metric
from modbench.notices import warn
from modbench.records import Record
from modbench.resultset import ResultSet


def read_store(results_dir: str | Path) -> pd.DataFrame:
    """The records in ``results_dir`` as history rows, one per metric, series and commit."""
    placed = _placed(list(ResultSet.from_runs(results_dir)), results_dir)
    groups: dict[tuple[str, str, str, str], list[tuple[Record, pd.Timestamp]]] = {}
    for record, date in placed:
        env = f"{record.env.device_name}, torch {record.env.torch_version}"
        where = (record.env.machine_id, env, record.key.series_label(), record.env.git_commit)
        groups.setdefault(where, []).append((record, date))
    rows = [
        row
        for declared in HISTORY_METRICS
        for (machine, env, label, commit), group in groups.items()
        if (row := _row(declared, group, machine, env, label, commit)) is not None
    ]
    return pd.DataFrame(rows, columns=COLUMNS) if rows else empty_history()


def _placed(records: Sequence[Record], results_dir: str | Path) -> list[tuple[Record, pd.Timestamp]]:
    """The ok records with a commit, each with its timestamp read; a record whose time cannot be read is named and left out."""
    kept = [record for record in records if record.ok and record.env.git_commit]
    dates = pd.to_datetime(pd.Series([r.env.timestamp for r in kept], dtype=object), utc=True, errors="coerce", format="ISO8601")
    unreadable = [record.env.timestamp for record, date in zip(kept, dates) if pd.isna(date)]
    if unreadable:
        warn(f"{len(unreadable)} record(s) in {results_dir} with no readable timestamp "
             f"(e.g. {unreadable[0]!r}); left out of the history")
    return [(record, date) for record, date in zip(kept, dates) if not pd.isna(date)]


def _row(
    declared: Metric, group: list[tuple[Record, pd.Timestamp]], machine: str, env: str, label: str, commit: str
) -> dict[str, Any] | None:
    """The history row of one metric at one commit of one series, or ``None`` when no record there has it."""
    measured = [(record, date) for record, date in group if getattr(record, declared.column) is not None]
    if not measured:
        return None
    noise = _noise_state([record for record, _ in measured]) if declared.kind == "time" else {"slowdown": None, "noisy": None}
    if noise["noisy"] is False:  # repeated runs, some clean: the clean ones speak
        measured = [(record, date) for record, date in measured if _sentinel(record, "noisy") is not True]
    records = [record for record, _ in measured]
    values = np.array([float(getattr(record, declared.column)) for record in records])
    return {
        "source": "modbench",
        "machine": machine,
        "env": env,
        "benchmark": declared.column,
        "params": label,
        "kind": declared.kind,
        "unit": declared.unit,
        "commit": commit,
        "date": min(date for _, date in measured),
        "value": float(np.median(values)),
        "iqr": _spread(records, declared.column, values),
        "samples": tuple(values) if len(values) > 1 else None,
        **noise,
    }


def _sentinel(record: Record, field: str) -> Any:
    """A noise-sentinel field of ``record`` (``noisy``, ``sentinel_slowdown``); ``None`` for a record that has none."""
    return getattr(record, field, None)


def _noise_state(records: list[Record]) -> dict[str, Any]:
    """A commit's sentinel state: the median slowdown of its clean records, noisy only when every record was.

    ``None`` for both when the records carry no sentinel reading.
    """
    flags = [_sentinel(record, "noisy") for record in records]
    if all(flag is None for flag in flags):
        return {"slowdown": None, "noisy": None}
    noisy = all(flag is True for flag in flags)
    kept = records if noisy else [record for record, flag in zip(records, flags) if flag is not True]
    slowdowns = [s for record in kept if isinstance(s := _sentinel(record, "sentinel_slowdown"), (int, float))]
    return {"slowdown": float(np.median(slowdowns)) if slowdowns else None, "noisy": noisy}


def _spread(records: list[Record], metric: str, values: np.ndarray) -> float:
    """The interquartile range behind a commit's value: the larger of the metric's own spread and that of repeated records.

    A record's own IQR is the spread within one run; repeated runs also show the spread between
    runs, which on a shared machine is usually the larger.
    """
    spreads = [0.0]
    spread = SPREAD_COLUMNS.get(metric)
    own = [getattr(record, spread) for record in records] if spread is not None else []
    own = [value for value in own if value is not None]
    if own:
        spreads.append(float(np.median(own)))
    if len(values) > 1:
        q25, q75 = np.percentile(values, [25, 75])
        spreads.append(float(q75 - q25))
    return max(spreads)

"""Read modbench's own results store (``modbench measure`` runs) into the history table.

Each record carries the git commit of the modbench checkout that measured it, so runs made at
different commits line up as a history. A series is one metric of one record key on one machine
and environment; several records of the same key at one commit (repeated runs) become that
commit's samples. Records without a commit (an installed, not checked-out, modbench) or that
failed cannot be placed and are left out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modbench.history.table import COLUMNS, empty_history
from modbench.metrics.registry import HISTORY_METRICS, SPREAD_COLUMNS
from modbench.notices import warn
from modbench.results import load_runs

KEY_LABEL = ("entry", "batch", "mode", "device", "dtype", "threads")


def read_store(results_dir: str | Path) -> pd.DataFrame:
    """The records in ``results_dir`` as history rows, one per metric, series and commit."""
    records = load_runs(results_dir)
    records = records[(records["status"] == "ok") & records["git_commit"].notna()]
    dates = pd.to_datetime(records["timestamp"], utc=True, errors="coerce", format="ISO8601")
    if dates.isna().any():
        warn(f"{int(dates.isna().sum())} record(s) in {results_dir} with no readable timestamp "
             f"(e.g. {records.loc[dates.isna(), 'timestamp'].iloc[0]!r}); left out of the history")
    records = records.assign(timestamp=dates)[dates.notna()]
    rows: list[dict[str, Any]] = []
    for declared in HISTORY_METRICS:
        metric, kind, unit = declared.column, declared.kind, declared.unit
        measured = records[records[metric].notna()]
        if measured.empty:
            continue
        groups = measured.assign(
            _label=measured.apply(_params_label, axis=1),
            _env=measured["device_name"].astype(str) + ", torch " + measured["torch_version"].astype(str),
        ).groupby(["machine_id", "_env", "_label", "git_commit"], sort=False)
        for (machine, env, params, commit), group in groups:
            noise = _noise_state(group) if kind == "time" else {"slowdown": None, "noisy": None}
            if noise["noisy"] is False:  # repeated runs, some clean: the clean ones speak
                group = group[~group["noisy"].eq(True)]
            values = group[metric].astype(float).to_numpy()
            rows.append({
                "source": "modbench",
                "machine": machine,
                "env": env,
                "benchmark": metric,
                "params": params,
                "kind": kind,
                "unit": unit,
                "commit": commit,
                "date": group["timestamp"].min(),
                "value": float(np.median(values)),
                "iqr": _spread(group, metric, values),
                "samples": tuple(values) if len(values) > 1 else None,
                **noise,
            })
    return pd.DataFrame(rows, columns=COLUMNS) if rows else empty_history()


def _params_label(record: pd.Series) -> str:
    return ", ".join([f"{name}={record[name]}" for name in KEY_LABEL] + [f"config={record['config']}"])


def _noise_state(group: pd.DataFrame) -> dict[str, Any]:
    """A commit's sentinel state: the median slowdown of its clean records, noisy only when every record was.

    ``None`` for both when the records carry no sentinel reading.
    """
    if "noisy" not in group or group["noisy"].isna().all():
        return {"slowdown": None, "noisy": None}
    noisy = group["noisy"].eq(True)
    kept = group[~noisy] if not noisy.all() else group
    slowdown = pd.to_numeric(kept["sentinel_slowdown"], errors="coerce") if "sentinel_slowdown" in kept else pd.Series(dtype=float)
    return {
        "slowdown": float(slowdown.median()) if slowdown.notna().any() else None,
        "noisy": bool(noisy.all()),
    }


def _spread(group: pd.DataFrame, metric: str, values: np.ndarray) -> float:
    """The interquartile range behind a commit's value: the larger of the metric's own spread and that of repeated records.

    A record's own IQR is the spread within one run; repeated runs also show the spread between
    runs, which on a shared machine is usually the larger.
    """
    spreads = [0.0]
    spread = SPREAD_COLUMNS.get(metric)
    if spread is not None and group[spread].notna().any():
        spreads.append(float(group[spread].median()))
    if len(values) > 1:
        q25, q75 = np.percentile(values, [25, 75])
        spreads.append(float(q75 - q25))
    return max(spreads)

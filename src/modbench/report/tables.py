"""Tables the report shows, each built from the results table alone (claims' tables are their exhibits).

Every function here reads rows; none measures. A number that is missing stays missing (NaN),
and the renderers print it as a gap, so a report from a CPU-only run has no GPU column rather
than a guessed one.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from modbench.catalog import get_entry, list_entries
from modbench.claims.lookup import Results
from modbench.claims.schema import Side
from modbench.claims.sweeps import BATCH_CURVES, BatchCurve
from modbench.records import canonical_config

CATALOG_COLUMNS = [
    "entry", "family", "mode", "batch", "device", "status", "params", "macs", "flops", "flops_elementwise",
    "latency_ms", "latency_iqr_ms", "throughput", "gflops_achieved", "peak_bytes", "activation_bytes",
    "unsupported_ops", "counter_note", "error",
]

COUNT_COLUMNS = ("batch", "params", "macs", "flops", "flops_elementwise", "peak_bytes", "activation_bytes")
"""Integer columns: kept integers in the CSV even where a failed row leaves a gap."""


def _config_keys(frame: pd.DataFrame) -> pd.Series:
    return pd.Series([c if isinstance(c, str) else canonical_config(c) for c in frame["config"]], index=frame.index)


def catalog_table(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per catalog entry, mode and device at the entry's default config and batch 1.

    Failed measurements keep their row (status and error), so a gap in the table has a reason.
    When a key was measured more than once, the latest row wins.
    """
    if frame.empty:
        return pd.DataFrame(columns=CATALOG_COLUMNS)
    rows = frame.assign(config_key=_config_keys(frame))
    if "timestamp" in rows.columns:
        rows = rows.sort_values("timestamp", kind="stable")
    picked = []
    for name in list_entries():
        entry = get_entry(name)
        mine = rows[(rows["entry"] == name) & (rows["config_key"] == canonical_config(entry.config())) & (rows["batch"] == 1)]
        for _, group in mine.groupby(["mode", "device"], sort=True):
            picked.append({**group.iloc[-1].to_dict(), "family": entry.family})
    table = pd.DataFrame(picked)
    if table.empty:
        return pd.DataFrame(columns=CATALOG_COLUMNS)
    for column in COUNT_COLUMNS:
        if column in table.columns:
            table[column] = table[column].astype("Int64")
    if "unsupported_ops" in table.columns:
        table["unsupported_ops"] = [", ".join(ops) if isinstance(ops, list) else ops for ops in table["unsupported_ops"]]
    return table[[c for c in CATALOG_COLUMNS if c in table.columns]].reset_index(drop=True)


def batch_curve_table(store: Results, curve: BatchCurve, device: str) -> pd.DataFrame:
    """Latency and throughput of each side of ``curve`` at each batch size (NaN where not measured)."""
    rows = []
    for label, side in zip(curve.labels, curve.sides):
        for batch in curve.batches:
            sized = side.at(batch)
            rows.append({
                "label": label,
                "batch": batch,
                "latency_ms": store.number(sized, "latency_ms", device),
                "throughput": store.number(sized, "throughput", device),
            })
    return pd.DataFrame(rows)


def batch_curve_tables(store: Results, device: str) -> list[tuple[BatchCurve, pd.DataFrame]]:
    return [(curve, batch_curve_table(store, curve, device)) for curve in BATCH_CURVES]


def environment(store: Results, device: str) -> dict[str, Any]:
    """Where ``device``'s records were measured: device and CPU names, threads, versions, commit, machine, time span."""
    records = store.records(device)
    if not records:
        return {}
    last = records[-1]
    info: dict[str, Any] = {name: getattr(last.env, name) for name in ("device_name", "cpu_model", "torch_version", "modbench_version", "git_commit", "machine_id")}
    info["threads"] = last.key.threads
    stamps = sorted(r.env.timestamp for r in records if r.env.timestamp)
    if stamps:
        info["measured"] = f"{stamps[0]} – {stamps[-1]}"
    return info


"""Tables the report shows, each built from the results alone (claims' tables are their exhibits).

Every function here reads rows; none measures. A number that is missing stays missing (NaN),
and the renderers print it as a gap, so a report from a CPU-only run has no GPU column rather
than a guessed one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from modbench.claims.estimates import latency_ratio
from modbench.claims.lookup import Results
from modbench.claims.sweeps import BATCH_CURVES, BatchCurve
from modbench.metrics.registry import CATALOG_METRICS
from modbench.metrics.sentinel import noise_mark
from modbench.records import Record
from modbench.resultset import ResultSet
from modbench.text import format_interval

CATALOG_COLUMNS = ["entry", "family", "mode", "batch", "device", "status", *(m.column for m in CATALOG_METRICS), "error"]

COUNT_COLUMNS = ("batch", *(m.column for m in CATALOG_METRICS if m.kind in ("count", "memory")))
"""Integer columns: kept integers in the CSV even where a failed row leaves a gap."""


@dataclass(frozen=True)
class Listed:
    """A catalog entry as the catalog table needs it: its name, family and default config (canonical JSON).

    The command that renders builds these from the catalog (``commands/report.py``), so the table
    is made from data passed in, never from the live registry.
    """

    name: str
    family: str
    config: str


def catalog_table(results: ResultSet, listed: Sequence[Listed]) -> pd.DataFrame:
    """One row per listed entry, mode and device at the entry's default config and batch 1.

    Failed measurements keep their row (status and error), so a gap in the table has a reason.
    When an entry was measured more than once on a device and mode (other runs, dtypes or thread
    counts), the latest record (by timestamp, then by position) wins.
    """
    measured: dict[tuple[str, str], list[Record]] = {}
    for record in results:
        if record.key.batch == 1:
            measured.setdefault((record.key.entry, record.key.config), []).append(record)
    picked = []
    for entry in listed:
        latest: dict[tuple[str, str], Record] = {}
        for record in sorted(measured.get((entry.name, entry.config), []), key=lambda r: r.env.timestamp or ""):
            latest[(record.key.mode, record.key.device)] = record
        picked += [{**_flat(latest[where]), "family": entry.family} for where in sorted(latest)]
    table = pd.DataFrame(picked)
    if table.empty:
        return pd.DataFrame(columns=CATALOG_COLUMNS)
    for column in COUNT_COLUMNS:
        if column in table.columns:
            table[column] = table[column].astype("Int64")
    for column in ("unsupported_ops", "unpriced_ops"):
        table[column] = [", ".join(ops) for ops in table[column]]
    return table[[c for c in CATALOG_COLUMNS if c in table.columns]].reset_index(drop=True)


def marked(catalog: pd.DataFrame) -> pd.DataFrame:
    """The catalog table as the documents show it: ``noisy`` is a mark with the sentinel's slowdown, empty when clean.

    The CSV keeps the plain values (``noisy`` true or false, ``sentinel_slowdown`` a fraction).
    """
    if "noisy" not in catalog.columns:
        return catalog
    slowdowns = catalog["sentinel_slowdown"] if "sentinel_slowdown" in catalog.columns else [None] * len(catalog)
    marks = [noise_mark(_known(noisy), _known(slowdown)) for noisy, slowdown in zip(catalog["noisy"], slowdowns)]
    return catalog.assign(noisy=marks)


def _known(value: Any) -> Any:
    """``None`` for a gap (NaN, pandas' NA), else the value."""
    return None if value is None or pd.isna(value) else value


def _flat(record: Record) -> dict[str, Any]:
    """A record's row: its flat fields, with the config as the canonical string it is keyed by."""
    return {**record.to_dict(), "config": record.key.config}


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


def batch_curve_ratios(store: Results, device: str) -> pd.DataFrame:
    """Each curve's sides against its first side at every batch size: the latency ratio with its interval.

    Every batch size of a curve is timed as one pair task, so the ratio is the median of
    per-round ratios (``paired``); from records that are no pair it is the unpaired estimate.
    ``noise`` marks a ratio resting on a side timed under load.
    """
    rows = []
    for curve in BATCH_CURVES:
        reference_label, reference = curve.labels[0], curve.sides[0]
        for label, side in zip(curve.labels[1:], curve.sides[1:]):
            for batch in curve.batches:
                compared, _ = latency_ratio(store, side.at(batch), reference.at(batch), device)
                estimate = compared.estimate if compared is not None else None
                rows.append({
                    "curve": curve.title,
                    "batch": batch,
                    "ratio": f"{label} / {reference_label}",
                    "latency ratio": compared.ratio if compared is not None else math.nan,
                    "interval": format_interval(estimate.low, estimate.high) if estimate is not None else "",
                    "estimate": ("paired" if estimate.paired else "unpaired") if estimate is not None else "",
                    "noise": noise_mark(compared.noisy, compared.slowdown) if compared is not None else "",
                })
    return pd.DataFrame(rows)


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


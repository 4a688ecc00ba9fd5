"""Tables the report shows, each built from the results table (and the claims' data) alone.

Every function here reads rows; none measures. A number that is missing stays missing (NaN),
and the renderers print it as a gap, so a report from a CPU-only run has no GPU column rather
than a guessed one.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from modbench.catalog import get_entry, list_entries
from modbench.claims.schema import Growth, Side
from modbench.claims.sweeps import BATCH_CURVES, GHOST_PARTS, GHOST_SWEEP, BatchCurve, ghost_speedup
from modbench.claims.verdict import ClaimVerdict, Results, side_key
from modbench.records import canonical_config

FP32_BYTES = 4

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


def _value(store: Results, side: Side, metric: str, device: str) -> float:
    found, _ = store.value(side, metric, device)
    return found.value if found is not None else math.nan


def _ratio(store: Results, candidate: Side, baseline: Side, metric: str, device: str) -> float:
    top, bottom = _value(store, candidate, metric, device), _value(store, baseline, metric, device)
    return top / bottom if bottom else math.nan


def ghost_sweep_table(store: Results, devices: list[str]) -> pd.DataFrame:
    """Per sweep point: measured MACs and params ratios next to Eq. 4's and 1/s, and latency ratios per device."""
    rows = []
    for point in GHOST_SWEEP:
        row: dict[str, Any] = point.coordinates()
        row["Eq. 4 r_s"] = ghost_speedup(point.c, point.k, point.s, point.d)
        row["1/r_s"] = 1 / row["Eq. 4 r_s"]
        row["1/s"] = 1 / point.s
        row["MACs ratio"] = _ratio(store, point.ghost, point.conv, "macs", devices[0] if devices else "cpu")
        row["params ratio"] = _ratio(store, point.ghost, point.conv, "params", devices[0] if devices else "cpu")
        for device in devices:
            row[f"latency ratio ({device})"] = _ratio(store, point.ghost, point.conv, "latency_ms", device)
        rows.append(row)
    return pd.DataFrame(rows)


def ghost_parts_table(store: Results, device: str) -> pd.DataFrame:
    """Per sweep point and part (primary conv, cheap depthwise op) and the whole module and its conv:
    FLOPs, latency, achieved GFLOP/s and arithmetic intensity.

    Intensity is FLOPs per compulsory byte: the input read once, the output written once, the
    weights read once (fp32). Batch norm and ReLU pass over the output again in eager PyTorch, so
    the intensity a kernel really achieves is lower still.
    """
    rows = []
    for point in GHOST_SWEEP:
        key = side_key(point.ghost)
        for part in GHOST_PARTS:
            values = {
                metric: store.lookup(f"ghost.{part}", key, 1, "infer", metric, device)[0]
                for metric in ("flops", "latency_ms", "gflops_achieved", "param_bytes")
            }
            flops = values["flops"].value if values["flops"] else math.nan
            weights = values["param_bytes"].value if values["param_bytes"] else math.nan
            moved = FP32_BYTES * point.part_elements(part) + weights
            rows.append({
                "point": point.label(),
                "part": part,
                "flops": flops,
                "latency_ms": values["latency_ms"].value if values["latency_ms"] else math.nan,
                "gflops_achieved": values["gflops_achieved"].value if values["gflops_achieved"] else math.nan,
                "bytes_moved": moved,
                "intensity": flops / moved if moved else math.nan,
            })
        for name, side in (("ghost module", point.ghost), ("conv baseline", point.conv)):
            rows.append({
                "point": point.label(),
                "part": name,
                "flops": _value(store, side, "flops", device),
                "latency_ms": _value(store, side, "latency_ms", device),
                "gflops_achieved": _value(store, side, "gflops_achieved", device),
                "bytes_moved": math.nan,
                "intensity": math.nan,
            })
    return pd.DataFrame(rows)


def growth_table(store: Results, growth: tuple[Growth, ...], device: str) -> pd.DataFrame:
    """The swept parameter against every growth metric (one row per value)."""
    if not growth:
        return pd.DataFrame()
    first = growth[0]
    rows = []
    for index, value in enumerate(first.values):
        row: dict[str, Any] = {first.parameter: value}
        for curve in growth:
            row[curve.metric] = _value(store, curve.sides()[index], curve.metric, device)
        rows.append(row)
    return pd.DataFrame(rows)


def batch_curve_table(store: Results, curve: BatchCurve, device: str) -> pd.DataFrame:
    """Latency and throughput of each side of ``curve`` at each batch size (NaN where not measured)."""
    rows = []
    for label, side in zip(curve.labels, curve.sides):
        for batch in curve.batches:
            sized = Side(side.entry, side.config, batch, side.mode)
            rows.append({
                "label": label,
                "batch": batch,
                "latency_ms": _value(store, sized, "latency_ms", device),
                "throughput": _value(store, sized, "throughput", device),
            })
    return pd.DataFrame(rows)


def batch_curve_tables(store: Results, device: str) -> list[tuple[BatchCurve, pd.DataFrame]]:
    return [(curve, batch_curve_table(store, curve, device)) for curve in BATCH_CURVES]


def check_table(verdict: ClaimVerdict) -> pd.DataFrame:
    """Every check of a verdict: comparison, check, both sides' values, measured, expected, outcome."""
    rows = [
        {
            "comparison": c.comparison,
            "check": c.label,
            "candidate": c.candidate,
            "baseline": c.baseline,
            "measured": c.measured,
            "expected": c.expected_text or "(context)",
            "outcome": c.outcome if c.votes else ("context" if c.measured is not None else "not measured"),
            "note": c.note or "",
        }
        for c in verdict.checks
    ]
    return pd.DataFrame(rows)


def published_table(verdict: ClaimVerdict) -> pd.DataFrame:
    return pd.DataFrame(
        [{"figure": p.what, "value": f"{p.value:g} {p.unit}", "source": p.source} for p in verdict.claim.published]
    )


def environment(store: Results, device: str) -> dict[str, Any]:
    """Where ``device``'s rows were measured: device and CPU names, threads, versions, commit, machine, time span."""
    rows = store.rows[store.rows["device"] == device] if not store.rows.empty else store.rows
    if rows.empty:
        return {}
    last = rows.iloc[-1]
    fields = ("device_name", "cpu_model", "threads", "torch_version", "modbench_version", "git_commit", "machine_id")
    info = {name: last.get(name) for name in fields}
    if "timestamp" in rows.columns:
        info["measured"] = f"{rows['timestamp'].min()} – {rows['timestamp'].max()}"
    return info


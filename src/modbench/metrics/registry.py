"""Every metric modbench reports, declared once.

A *measurement* is what a user asks for with ``--metrics`` (``params``, ``flops``, ``latency``,
``memory``): one piece of work in :func:`modbench.metrics.core.measure_target`. A *metric* is one
column of a record that some measurement fills. Each metric is declared here with its unit, its
kind, whether it depends on the device it was measured on, the column holding its spread, whether
a table shows it by default, and whether history and asv track it. Everything else derives from
this table: the CLI's ``--metrics`` choices, the ``measure`` table's columns, the claims' column
sources, device-dependent and spread columns, the history series and the asv ``track_`` names.

Adding a metric: declare it here, fill it in the producing measurement (and the record field).

This module is plain data: it imports nothing, so the CLI can offer choices without torch.
"""

from __future__ import annotations

from dataclasses import dataclass

MEASUREMENTS = ("params", "flops", "latency", "memory")
"""What ``--metrics`` chooses from, in the order they are measured and listed."""

CROSS_CHECKS = ("fvcore",)
"""Second counters that ``--cross-check`` may run beside modbench's own count (see :mod:`modbench.metrics.counting`)."""


@dataclass(frozen=True)
class Metric:
    """One record column: what it holds, in which unit, and who produces it.

    ``kind`` groups metrics for history and plots: ``count`` (exact, device-free), ``time``,
    ``rate``, ``memory``, ``noise`` (the noise sentinel's reading around a latency, see
    :mod:`modbench.metrics.sentinel`: the state of the machine, never compared) or ``note``
    (text or lists, never compared). ``producers`` are the
    measurements that must run for the column to be filled (``gflops_achieved`` needs FLOPs and
    a latency). ``history`` marks the metrics tracked as history series; ``asv`` is the name of
    the asv ``track_`` benchmark that tracks the same number (counts only: asv times its own way).
    ``catalog`` marks the columns of the report's catalog table (``catalog.md``, ``catalog.csv``).
    ``checks`` names the column this one cross-checks (fvcore's MAC count checks modbench's own):
    such a column is kept in records but not listed among a record's values.
    """

    column: str
    unit: str
    kind: str
    producers: tuple[str, ...]
    device_dependent: bool = False
    spread: str | None = None
    table: bool = False
    history: bool = False
    asv: str | None = None
    catalog: bool = False
    checks: str | None = None


METRICS: tuple[Metric, ...] = (
    Metric("params", "parameters", "count", ("params",), table=True, history=True, asv="track_params", catalog=True),
    Metric("params_trainable", "parameters", "count", ("params",)),
    Metric("buffers", "elements", "count", ("params",)),
    Metric("param_bytes", "bytes", "memory", ("params",)),
    Metric("macs", "MACs", "count", ("flops",), table=True, history=True, asv="track_macs", catalog=True),
    Metric("macs_fvcore", "MACs", "count", ("flops",), checks="macs"),
    Metric("flops", "FLOPs", "count", ("flops",), table=True, history=True, asv="track_flops", catalog=True),
    Metric("flops_matmul", "FLOPs", "count", ("flops",)),
    Metric("flops_elementwise", "FLOPs", "count", ("flops",), table=True, catalog=True),
    Metric("flops_backward", "FLOPs", "count", ("flops",)),
    Metric("latency_ms", "ms", "time", ("latency",), device_dependent=True, spread="latency_iqr_ms", table=True, history=True, catalog=True),
    Metric("latency_iqr_ms", "ms", "time", ("latency",), device_dependent=True, table=True, catalog=True),
    Metric("runs", "calls", "count", ("latency",)),
    Metric("throughput", "samples/s", "rate", ("latency",), device_dependent=True, table=True, catalog=True),
    Metric("compile_s", "s", "time", ("latency",), device_dependent=True, table=True),
    Metric("gflops_achieved", "GFLOP/s", "rate", ("latency", "flops"), device_dependent=True, catalog=True),
    Metric("peak_bytes", "bytes", "memory", ("memory",), device_dependent=True, table=True, history=True, asv="track_peak_bytes", catalog=True),
    Metric("activation_bytes", "bytes", "memory", ("memory",), device_dependent=True, history=True, catalog=True),
    Metric("sentinel_slowdown", "fraction", "noise", ("latency",), device_dependent=True, catalog=True),
    Metric("other_cores_busy", "cores", "noise", ("latency",), device_dependent=True),
    Metric("cpu_steal", "fraction", "noise", ("latency",), device_dependent=True),
    Metric("load_average", "processes", "noise", ("latency",), device_dependent=True),
    Metric("sentinel_attempts", "attempts", "noise", ("latency",), device_dependent=True),
    Metric("noisy", "", "noise", ("latency",), device_dependent=True, table=True, catalog=True),
    Metric("unsupported_ops", "", "note", ("flops",), table=True, catalog=True),
    Metric("zero_cost_ops", "", "note", ("flops",)),
    Metric("unpriced_ops", "", "note", ("flops",), table=True, catalog=True),
    Metric("counter_note", "", "note", ("flops",), catalog=True),
)

BY_COLUMN: dict[str, Metric] = {metric.column: metric for metric in METRICS}

COLUMN_SOURCES: dict[str, tuple[str, ...]] = {m.column: m.producers for m in METRICS if m.kind not in ("note", "noise")}
"""Which measurements produce each numeric column (what a claim reading that column must ask for)."""

DEVICE_METRICS: frozenset[str] = frozenset(m.column for m in METRICS if m.device_dependent)
"""Columns whose value depends on the device measured on (a claim compares them on one device only)."""

SPREAD_COLUMNS: dict[str, str] = {m.column: m.spread for m in METRICS if m.spread is not None}
"""Column → the column holding its spread."""

VALUE_METRICS: tuple[str, ...] = tuple(m.column for m in METRICS if m.kind in ("count", "time", "rate", "memory") and m.checks is None)
"""A record's numeric values in the order a reader scans them (size, work, time, memory), cross-checks left out:
what ``modbench compare`` sets side by side and what a complete catalog record has."""

TABLE_METRICS: tuple[str, ...] = tuple(m.column for m in METRICS if m.table)
"""Metric columns a results table shows by default (the rest stay in JSON and CSV)."""

TIMED_MEASUREMENTS: frozenset[str] = frozenset(p for metric in METRICS if metric.kind == "time" for p in metric.producers)
"""Measurements that time something: two of them on one machine at once disturb each other."""

CATALOG_METRICS: tuple[Metric, ...] = tuple(m for m in METRICS if m.catalog)
"""Metrics the report's catalog table shows, in this order."""

HISTORY_METRICS: tuple[Metric, ...] = tuple(m for m in METRICS if m.history)
"""Metrics followed across commits by ``modbench history``."""

ASV_TRACKS: dict[str, Metric] = {m.asv: m for m in METRICS if m.asv is not None}
"""asv ``track_`` benchmark name → the metric it tracks."""

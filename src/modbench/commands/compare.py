"""``modbench compare A B``: two entries side by side, every metric, with the ratio B/A.

``--set`` and ``--hw`` apply to each entry whose config has the key (``ghost`` and ``conv2d``
share ``in_channels``, ``out_channels`` and ``hw``, but only ``ghost`` has ``ratio``); a key that
neither entry has is a usage error. Both entries are measured in one saved run, at every batch
and mode asked for, so each row compares the two at the same key.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from modbench.catalog import get_entry
from modbench.commands.measure import add_run_options, measure_specs, report_outcome
from modbench.commands.options import add_config_options, parse_overrides
from modbench.errors import UsageError
from modbench.metrics.core import METRICS
from modbench.output import FORMATS, format_cell, render
from modbench.records import Record
from modbench.runner import EntrySpec

HELP = "compare two entries side by side: every metric and the ratio B/A"

# The numeric metrics of a record, in the order a reader scans them: size, work, time, memory.
COMPARED = (
    "params", "params_trainable", "buffers", "param_bytes", "macs", "flops", "flops_matmul", "flops_elementwise",
    "latency_ms", "latency_iqr_ms", "runs", "throughput", "gflops_achieved", "peak_bytes", "activation_bytes",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help="the reference entry")
    parser.add_argument("b", metavar="B", help="the entry compared with A (ratios are B/A)")
    parser.add_argument("--metrics", default=",".join(METRICS), help=f"comma-separated subset of {','.join(METRICS)} (default: all)")
    add_config_options(parser)
    add_run_options(parser)
    parser.add_argument("--format", choices=FORMATS, default="table")


def split_overrides(names: tuple[str, str], overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """For each entry, the overrides its config has; a key neither has is a usage error."""
    configs = [get_entry(name).default_config for name in names]
    for key in overrides:
        if not any(key in config for config in configs):
            keys = sorted(set(configs[0]) | set(configs[1]))
            raise UsageError(f"neither {names[0]} nor {names[1]} has config key {key!r}; valid keys: {', '.join(keys)}")
    return [{k: v for k, v in overrides.items() if k in config} for config in configs]


def ratio(a: Any, b: Any) -> float | None:
    """B/A, or ``None`` where it means nothing (a value missing, or A zero)."""
    if a is None or b is None or isinstance(a, bool) or a == 0:
        return None
    return b / a


def comparison_rows(a: Record, b: Record) -> list[dict[str, Any]]:
    """One row per metric measured for either entry: both values and B/A."""
    rows = []
    for metric in COMPARED:
        value_a, value_b = getattr(a, metric), getattr(b, metric)
        if value_a is None and value_b is None:
            continue
        rows.append({
            "batch": a.key.batch, "mode": a.key.mode, "metric": metric,
            a.key.entry: value_a, b.key.entry: value_b, "ratio_b_a": ratio(value_a, value_b),
        })
    return rows


def run(args: argparse.Namespace) -> int:
    names = (args.a, args.b)
    if args.a == args.b:
        raise UsageError(f"compare needs two different entries, got {args.a} twice")
    overrides_a, overrides_b = split_overrides(names, parse_overrides(args))
    outcome = measure_specs(args, [EntrySpec.of(args.a, overrides_a), EntrySpec.of(args.b, overrides_b)])
    by_entry: dict[str, dict[tuple[int, str], Record]] = {name: {} for name in names}
    for record in outcome.records:
        by_entry[record.key.entry][(record.key.batch, record.key.mode)] = record
    pairs = [(by_entry[args.a][k], by_entry[args.b][k]) for k in by_entry[args.a] if k in by_entry[args.b]]
    rows = [row for a, b in pairs for row in comparison_rows(a, b)]
    if args.format == "json":
        print(json.dumps({
            "a": args.a, "b": args.b,
            "rows": rows,
            "records": [r.to_dict() for r in outcome.records],
        }, indent=2, default=str))
    elif args.format == "csv":
        print(render(rows, args.format))
    else:
        # Format each value before the table is built: a column mixing counts and times would
        # otherwise become floats, and a MAC count would print as 1.465e+07.
        print(render([{k: format_cell(v) for k, v in row.items()} for row in rows], args.format))
    return report_outcome(outcome)

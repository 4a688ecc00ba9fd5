"""``modbench compare A B``: two entries side by side, every metric, with the ratio B/A.

``--set`` and ``--hw`` apply to each entry whose config has the key (``ghost`` and ``conv2d``
share ``in_channels``, ``out_channels``, ``kernel_size`` and ``hw``, but only ``ghost`` has
``ratio``); a key that neither entry has is a usage error, and one that only one side has is
named in the output, above each side's full config, so the reader sees what was compared. ``--set-a`` and ``--set-b`` apply to one side only, so one
entry can be compared with itself at another config (``compare ghost ghost --set-b ratio=4``).
Both sides are measured in one saved run, at every batch and mode asked for, so each row
compares the two at the same key. At each batch and mode the two are one pair task
(:mod:`modbench.metrics.pairs`): their latencies are timed in interleaved rounds in one process,
and the latency ratio is the median of the per-round ratios with its bootstrap 95 % interval, so
a change of machine load during the run cannot land on one side only. A row timed while the noise
sentinel saw load says ``noisy``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import torch

from modbench.catalog import get_entry
from modbench.commands.measure import add_run_options, measure_specs, report_outcome
from modbench.commands.options import add_config_options, add_format_option, parse_overrides, parse_pairs, precision_fraction
from modbench.errors import UsageError
from modbench.metrics.latency import QUICK_PLAN, plan_for
from modbench.metrics.pairs import paired_estimate
from modbench.metrics.registry import MEASUREMENTS, VALUE_METRICS
from modbench.output import format_cell, render
from modbench.records import Record, canonical_config
from modbench.spec import EntrySpec
from modbench.text import format_config

HELP = "compare two entries side by side: every metric and the ratio B/A"

COMPARED = VALUE_METRICS
PRECISION = 0.03  # the latency ratio's 95 % interval aimed at, unless --quick or --precision says otherwise
PRECISE = plan_for(quick=False, precision=PRECISION)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A", help="the reference entry")
    parser.add_argument("b", metavar="B", help="the entry compared with A (ratios are B/A)")
    parser.add_argument("--metrics", default=",".join(MEASUREMENTS), help=f"comma-separated subset of {','.join(MEASUREMENTS)} (default: all)")
    add_config_options(parser)
    for side in ("a", "b"):
        parser.add_argument(
            f"--set-{side}", dest=f"overrides_{side}", action="append", default=[], metavar="KEY=VALUE",
            help=f"override a config value of {side.upper()} only (repeatable; wins over --set)",
        )
    add_run_options(parser)
    parser.add_argument(
        "--precision", type=precision_fraction, metavar="FRACTION",
        help=f"time at least {PRECISE.rounds} interleaved rounds over at least {PRECISE.min_span_s:g} s (a shared host's state holds for seconds), "
        f"then more until the latency ratio's 95 %% interval is within ±FRACTION of it, "
        f"or {PRECISE.max_rounds} rounds or {PRECISE.max_time_s:g} s of rounds are done (default {PRECISION:g}, i.e. ±{PRECISION * 100:g} %%; with --quick: {QUICK_PLAN.rounds} rounds, no target)",
    )
    add_format_option(parser, "the two sides")


def split_overrides(names: tuple[str, str], overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """For each entry, the overrides its config has; a key neither has is a usage error."""
    entries = [get_entry(name) for name in names]
    for key in overrides:
        if not any(entry.takes(key) for entry in entries):
            keys = sorted(set(entries[0].default_config) | set(entries[1].default_config))
            raise UsageError(f"neither {names[0]} nor {names[1]} has config key {key!r}; valid keys: {', '.join(keys)}")
    return [{k: v for k, v in overrides.items() if entry.takes(k)} for entry in entries]


def config_notes(labels: tuple[str, str], configs: tuple[dict[str, Any], dict[str, Any]], overrides: dict[str, Any], split: list[dict[str, Any]]) -> list[str]:
    """Each side's full config, and each shared ``--set`` key that only one side has (so did not apply to the other)."""
    notes = [f"{side} {label}: {format_config(config) or '(no config)'}" for side, label, config in zip("AB", labels, configs)]
    for key in overrides:
        missing = [label for label, applied in zip(labels, split) if key not in applied]
        if missing:
            notes.append(f"--set {key} did not apply to {missing[0]}, which has no such key")
    return notes


def ratio(a: Any, b: Any) -> float | None:
    """B/A, or ``None`` where it means nothing (a value missing, or A zero)."""
    if a is None or b is None or isinstance(a, bool) or a == 0:
        return None
    return b / a


def side_labels(names: tuple[str, str], configs: tuple[dict[str, Any], dict[str, Any]]) -> tuple[str, str]:
    """Column names for A and B: the entry names, or, for one entry at two configs, the name with the keys that differ."""
    if names[0] != names[1]:
        return names
    config_a, config_b = configs
    differing = sorted(key for key in config_a if config_a[key] != config_b[key])

    def label(config: dict[str, Any]) -> str:
        return f"{names[0]} ({format_config({key: config[key] for key in differing})})"

    return label(config_a), label(config_b)


def comparison_rows(a: Record, b: Record, labels: tuple[str, str]) -> list[dict[str, Any]]:
    """One row per metric measured for either side: both values and B/A.

    The latency row's ratio is the paired estimate (median of per-round ratios) when the two were
    timed as a pair, with its interval; ``noise`` says when either side was timed under load.
    """
    estimate = paired_estimate(b, a)
    rows = []
    for metric in COMPARED:
        value_a, value_b = getattr(a, metric), getattr(b, metric)
        if value_a is None and value_b is None:
            continue
        row = {
            "batch": a.key.batch, "mode": a.key.mode, "metric": metric,
            labels[0]: value_a, labels[1]: value_b, "ratio_b_a": ratio(value_a, value_b),
            "ratio_low": None, "ratio_high": None, "paired_rounds": None, "noise": None,
        }
        if metric == "latency_ms":
            if estimate is not None:
                row.update(ratio_b_a=estimate.ratio, ratio_low=estimate.low, ratio_high=estimate.high,
                           paired_rounds=estimate.rounds)
            row["noise"] = "noisy" if a.noisy or b.noisy else "clean" if a.noisy is not None else None
        rows.append(row)
    return rows


def threads_note(records: list[Record], asked: int | None) -> list[str]:
    """What CPU thread count the latencies were timed at, and why that one; nothing when no CPU latency was timed."""
    timed = sorted({r.key.threads for r in records if r.latency is not None and r.key.device == "cpu"})
    if not timed:
        return []
    why = "as --threads asked" if asked is not None else "the default: every core but one, see --threads"
    return [f"timed at {', '.join(map(str, timed))} CPU thread(s) of {torch.get_num_threads()} ({why})"]


def aimed_precision(args: argparse.Namespace) -> float | None:
    """``--precision``; not given: :data:`PRECISION`, or none with ``--quick`` (a quick comparison is a rough one)."""
    if args.precision is not None:
        return args.precision
    return None if args.quick else PRECISION


def run(args: argparse.Namespace) -> int:
    shared = parse_overrides(args)
    shared_a, shared_b = split_overrides((args.a, args.b), shared)
    specs = (
        EntrySpec.of(args.a, {**shared_a, **parse_pairs(args.overrides_a, "--set-a")}),
        EntrySpec.of(args.b, {**shared_b, **parse_pairs(args.overrides_b, "--set-b")}),
    )
    configs = (specs[0].config, specs[1].config)
    if args.a == args.b and configs[0] == configs[1]:
        raise UsageError(f"A and B are both {args.a} at the same config; compare two entries, or one at two configs with --set-b KEY=VALUE")
    labels = side_labels((args.a, args.b), configs)
    notes = config_notes(labels, configs, shared, [shared_a, shared_b])
    outcome = measure_specs(args, list(specs), paired=True, precision=aimed_precision(args))
    notes += threads_note(outcome.records, args.threads)
    sides: list[dict[tuple[int, str], Record]] = [{}, {}]
    key_a = (args.a, canonical_config(configs[0]))
    for record in outcome.records:
        side = 0 if (record.key.entry, record.key.config) == key_a else 1
        sides[side][(record.key.batch, record.key.mode)] = record
    pairs = [(sides[0][k], sides[1][k]) for k in sides[0] if k in sides[1]]
    rows = [row for a, b in pairs for row in comparison_rows(a, b, labels)]
    if args.format == "json":
        print(json.dumps({
            "a": labels[0], "b": labels[1],
            "config_a": configs[0], "config_b": configs[1],
            "not_applied": {label: sorted(set(shared) - set(applied)) for label, applied in zip(labels, (shared_a, shared_b))},
            "rows": rows,
            "records": [r.to_dict() for r in outcome.records],
        }, indent=2, default=str))
    elif args.format == "csv":
        print("\n".join(f"modbench: {note}" for note in notes), file=sys.stderr)
        print(render(rows, args.format))
    else:
        print("\n".join(notes) + "\n")
        # Format each value before the table is built: a column mixing counts and times would
        # otherwise become floats, and a MAC count would print as 1.465e+07.
        print(render([{k: format_cell(v) for k, v in row.items()} for row in rows], args.format))
    return report_outcome(outcome)

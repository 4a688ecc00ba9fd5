"""``modbench measure``: measure catalog entries and print one results table."""

from __future__ import annotations

import argparse
import sys

from modbench.catalog import list_entries
from modbench.commands.options import add_config_options, parse_int_list, parse_name_list, parse_overrides
from modbench.errors import UsageError
from modbench.metrics.core import DEVICES, DTYPES, METRICS, Settings, measure_target
from modbench.metrics.state import MODES
from modbench.metrics.target import entry_target, parse_shape
from modbench.output import FORMATS, render

HELP = "measure catalog entries: params, MACs/FLOPs, latency, memory"

TABLE_COLUMNS = [
    "entry", "batch", "device", "dtype", "mode", "status", "params", "macs", "flops",
    "flops_elementwise", "latency_ms", "latency_iqr_ms", "peak_bytes", "unsupported_ops", "error",
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="catalog entries to measure")
    parser.add_argument("--all", action="store_true", help="measure the whole catalog")
    parser.add_argument("--metrics", default=",".join(METRICS), help=f"comma-separated subset of {','.join(METRICS)} (default: all)")
    add_config_options(parser)
    parser.add_argument("--input-shape", metavar="SHAPE", help="replace the example input, e.g. 1x3x64x64 (the first size is the batch)")
    parser.add_argument("--batch", default="1", help="batch size(s), comma-separated: a batch sweep (default 1)")
    parser.add_argument("--mode", default="infer", help=f"comma-separated subset of {','.join(MODES)} (default infer)")
    parser.add_argument("--device", default="cpu", help=f"one of {', '.join(DEVICES)}")
    parser.add_argument("--dtype", default="fp32", help=f"one of {', '.join(DTYPES)}")
    parser.add_argument("--threads", type=int, help="CPU threads to pin (default: all cores)")
    parser.add_argument("--format", choices=FORMATS, default="table")


def selected_names(args: argparse.Namespace) -> list[str]:
    """The entry names asked for (``--all`` = the whole catalog); none at all is a usage error."""
    names = list_entries() if args.all else list(args.names)
    if not names:
        raise UsageError("name at least one catalog entry (or pass --all); `modbench list` shows them")
    return names


def run(args: argparse.Namespace) -> int:
    names = selected_names(args)
    overrides = parse_overrides(args)
    input_shape = parse_shape(args.input_shape) if args.input_shape else None
    batches = parse_int_list(args.batch, "batch")
    modes = parse_name_list(args.mode)
    settings_per_mode = [
        Settings(
            metrics=tuple(parse_name_list(args.metrics)),
            device=args.device,
            dtype=args.dtype,
            mode=mode,
            **({"threads": args.threads} if args.threads is not None else {}),
        )
        for mode in modes
    ]
    targets = [entry_target(name, overrides, input_shape) for name in names]
    records = [
        measure_target(target, batch, settings)
        for target in targets
        for settings in settings_per_mode
        for batch in batches
    ]
    print(render([r.to_dict() for r in records], args.format, TABLE_COLUMNS))
    return 0 if all(r.ok for r in records) else 1

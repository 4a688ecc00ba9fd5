"""``modbench measure``: measure catalog entries and print one results table.

Every run is saved as it goes (``results/<run id>.jsonl``); a run that was interrupted or killed
is finished with ``--resume RUN``. Exit status: 0 all measured, 1 some measurements failed (each
named on stderr), 2 a usage error, 130 interrupted (what was measured is kept).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from modbench.api import run_measurements
from modbench.catalog import list_entries, load_plugin
from modbench.catalog.external import expand_names
from modbench.commands.options import add_cluster_option, add_columns_option, add_config_options, add_format_option, add_threads_option, chosen_columns, parse_int_list, parse_name_list, parse_overrides, unique
from modbench.commands.progress import progress_for, summary
from modbench.errors import UsageError
from modbench.metrics.by_module import DEFAULT_DEPTH, module_table, render_module_table
from modbench.metrics.registry import CROSS_CHECKS, MEASUREMENTS, METRICS, TABLE_METRICS
from modbench.metrics.sentinel import noise_warning
from modbench.metrics.state import MODES
from modbench.metrics.target import parse_shape
from modbench.metrics.variants import AMP_DTYPES, COMPILE_MODES
from modbench.output import render
from modbench.paths import path_argument
from modbench.records import KNOB_FIELDS
from modbench.results import COLUMNS as RECORD_COLUMNS, DEFAULT_RESULTS_DIR, read_run, run_path
from modbench.run.session import RunOutcome, resume_run, run_plugins
from modbench.spec import DEVICES, DTYPES, EntrySpec
from modbench.text import printable

HELP = "measure catalog entries or your own model (package.module:fn, file.py:fn, timm:NAME): params, MACs/FLOPs, latency, memory"

TABLE_COLUMNS = ["entry", "batch", "device", "dtype", *KNOB_FIELDS, "mode", "status", *TABLE_METRICS, "error"]
"""The table's columns; a knob or metric no record used (``compile_s`` without ``--compile``) is left out, as every empty column is."""
UNITS = {metric.column: metric.unit for metric in METRICS if metric.kind != "note"}
"""The unit of each metric column: the table shows ``14.65 M`` MACs and ``904.9 µs``, JSON and CSV the exact numbers."""
DEFAULT_TIME_LIMIT_S = 600.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "names", nargs="*", metavar="NAME",
        help="catalog entries, or models of yours: package.module:callable, path/to/file.py:callable, torchvision:NAME, timm:NAME (wildcards)",
    )
    parser.add_argument("--all", action="store_true", help="measure the whole catalog")
    parser.add_argument("--metrics", default=",".join(MEASUREMENTS), help=f"comma-separated subset of {','.join(MEASUREMENTS)} (default: all)")
    add_config_options(parser)
    parser.add_argument(
        "--input-shape", metavar="SHAPE",
        help="replace the example input, e.g. 8x3x64x64: the first size is the batch unless --batch is given",
    )
    add_run_options(parser)
    parser.add_argument(
        "--by-module", action="store_true",
        help="print params, MACs and FLOPs of every submodule as a tree instead of measuring records",
    )
    parser.add_argument("--depth", type=int, help=f"with --by-module: how deep the tree goes (default {DEFAULT_DEPTH}; 0: the whole module only)")
    parser.add_argument("--resume", metavar="RUN", help="finish an interrupted run (its id or file): measure only what it lacks")
    add_format_option(parser)
    add_columns_option(parser, TABLE_COLUMNS)


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """How to measure and where to keep the results; shared with ``modbench compare``."""
    parser.add_argument(
        "--batch", help="batch size(s), comma-separated: a batch sweep (default 1); auto: the largest that fits on the GPU (CUDA only)"
    )
    parser.add_argument("--mode", default="infer", help=f"comma-separated subset of {','.join(MODES)} (default infer)")
    parser.add_argument("--device", default="cpu", help=f"one of {', '.join(DEVICES)}")
    parser.add_argument("--dtype", default="fp32", help=f"one of {', '.join(DTYPES)}")
    add_threads_option(parser)
    parser.add_argument("--quick", action="store_true", help="shorter warm-up and timing: rougher latencies, a whole catalog in seconds")
    parser.add_argument(
        "--time-limit", type=float, metavar="SECONDS",
        help="per-measurement limit, counted from when the measuring process has started and built the entry "
        f"(start-up is not counted); one that overruns is killed and recorded as timeout (default {DEFAULT_TIME_LIMIT_S:g})",
    )
    parser.add_argument(
        "--reuse-worker", action="store_true",
        help="measure every entry in one child process instead of a fresh one each: saves the start-up "
        "(importing torch, a few seconds per entry) but an entry that patches torch or changes threads can skew the next",
    )
    parser.add_argument("--results-dir", type=path_argument, default=DEFAULT_RESULTS_DIR, help=f"where runs are saved (default {DEFAULT_RESULTS_DIR}/)")
    parser.add_argument(
        "--cross-check", choices=CROSS_CHECKS,
        help="also count MACs with a second counter (fvcore: a torch.jit trace, slower) and note any disagreement",
    )
    add_knob_options(parser)
    add_cluster_option(parser)


def add_knob_options(parser: argparse.ArgumentParser) -> None:
    """The execution knobs (:mod:`modbench.metrics.variants`); each is part of the record key."""
    parser.add_argument("--channels-last", action="store_true", help="4-D weights and inputs in channels-last (NHWC) memory order")
    parser.add_argument(
        "--compile", nargs="?", const="default", metavar="MODE",
        help=f"torch.compile first, with MODE one of {', '.join(COMPILE_MODES)} (default: default); "
        "the first, compiling step is recorded as compile_s, the latency is the steady state after it",
    )
    parser.add_argument(
        "--amp", metavar="DTYPE", help=f"run the forward under torch.autocast at {' or '.join(AMP_DTYPES)}, weights kept fp32 (unlike --dtype)",
    )


def check_compile_option(args: argparse.Namespace) -> None:
    """``--compile`` takes an optional MODE, so ``--compile conv2d`` reads the entry as the mode: say so."""
    if args.compile is not None and args.compile not in COMPILE_MODES:
        raise UsageError(
            f"--compile {args.compile!r} is not a mode ({', '.join(COMPILE_MODES)}); --compile takes an optional MODE, "
            f"so put the names before it or give the mode, e.g. --compile default {args.compile}"
        )


def selected_names(args: argparse.Namespace) -> list[str]:
    """The entry names asked for (``--all`` = the whole catalog, wildcards of torchvision/timm expanded); none is a usage error."""
    names = list_entries() if args.all else unique(expand_names(args.names))
    if not names:
        raise UsageError("name at least one catalog entry (or pass --all); `modbench list` shows them")
    return names


def parse_batches(text: str | None, default: int) -> list[int] | str:
    """``--batch``: sizes, ``auto``, or (not given) ``default``."""
    if text is None:
        return [default]
    return "auto" if text.strip().lower() == "auto" else parse_int_list(text, "batch")


def measure_specs(
    args: argparse.Namespace, specs: list[EntrySpec], default_batch: int = 1, paired: bool = False, precision: float | None = None
) -> RunOutcome:
    """Run ``specs`` with the run options in ``args`` (batch, mode, device, ...) as one saved run.

    Without ``--batch`` they are measured at ``default_batch``; ``paired``: compared, so timed
    in interleaved rounds at each batch and mode, until each ratio is known to ``±precision`` when one is given.
    """
    check_compile_option(args)
    return run_measurements(
        specs,
        batches=parse_batches(args.batch, default_batch),
        modes=parse_name_list(args.mode, "--mode"),
        metrics=parse_name_list(args.metrics),
        device=args.device,
        dtype=args.dtype,
        threads=args.threads,
        quick=args.quick,
        results_dir=args.results_dir,
        time_limit=DEFAULT_TIME_LIMIT_S if args.time_limit is None else args.time_limit,
        reuse_worker=args.reuse_worker,
        plugins=args.plugin,
        progress=progress_for(sys.stderr),
        cross_check=args.cross_check,
        paired=paired,
        precision=precision,
        cluster=args.cluster,
        channels_last=args.channels_last,
        compile=args.compile,
        amp=args.amp,
    )


def report_outcome(outcome: RunOutcome, noise: bool = True) -> int:
    """Name every failure on stderr, say where the run is saved, and return the exit status.

    ``noise``: warn about the measurements taken under load (``modbench report`` warns once,
    about every record its report shows, instead).

    1 when a measurement failed or the run file could not be written (a full disk: the records
    before it are kept, and the table shows the unsaved one too), 130 when interrupted.
    """
    for record in outcome.failures:
        if record.status != "interrupted":
            _say(f"modbench: {record.key.entry} (batch {record.key.batch}, {record.key.mode}): {summary(record)}")
    for record in outcome.records:
        if record.unpriced_ops:
            _say(f"modbench: warning: {record.key.entry} (batch {record.key.batch}, {record.key.mode}): "
                 f"{', '.join(record.unpriced_ops)} ran on real tensors but no price is known, so MACs and FLOPs "
                 "leave that work out (see unsupported_ops)")
    warning = noise_warning(outcome.records) if noise else None
    if warning:
        _say(f"modbench: warning: {warning}")
    if outcome.path is not None and outcome.write_error is None:
        _say(f"modbench: run {outcome.run_id} saved in {outcome.path}")
    if outcome.write_error is not None:
        _say(f"modbench: error: {outcome.write_error}; free space, then finish the run with: {resume_command(outcome)}")
        return 1
    if outcome.interrupted:
        resume = f"; finish it with: {resume_command(outcome)}" if outcome.path else ""
        _say(f"modbench: interrupted; {sum(r.ok for r in outcome.records)} measurements kept{resume}")
        return 130
    return 1 if outcome.failures else 0


def resume_command(outcome: RunOutcome) -> str:
    """The command that finishes ``outcome``'s run, naming its results directory unless it is the default."""
    command = f"modbench measure --resume {outcome.run_id}"
    if outcome.path is not None and outcome.path.parent.resolve() != DEFAULT_RESULTS_DIR.resolve():
        command += f" --results-dir {shlex.quote(str(outcome.path.parent))}"
    return command


def _say(line: str) -> None:
    print(printable(line), file=sys.stderr)  # entry names and errors are the user's text: no raw escapes


def run(args: argparse.Namespace) -> int:
    check_compile_option(args)
    if args.depth is not None and not args.by_module:
        raise UsageError("--depth sets the depth of the --by-module tree; add --by-module")
    if args.by_module:
        return print_module_tables(args)
    if args.resume:
        outcome = resume(args)
    else:
        overrides = parse_overrides(args)
        input_shape = parse_shape(args.input_shape) if args.input_shape else None
        specs = [EntrySpec.of(name, overrides, input_shape) for name in selected_names(args)]
        outcome = measure_specs(args, specs, default_batch=input_shape[0] if input_shape else 1)
    columns = chosen_columns(args, TABLE_COLUMNS, RECORD_COLUMNS)
    print(render(result_rows(outcome, args.format), args.format, columns, units=UNITS))
    return report_outcome(outcome)


def result_rows(outcome: RunOutcome, fmt: str) -> list[dict[str, object]]:
    """The records as rows; for people (table, Markdown) a noisy latency says ``noisy`` and a clean one nothing."""
    rows = [record.to_dict() for record in outcome.records]
    if fmt in ("table", "markdown"):
        for row in rows:
            row["noisy"] = "noisy" if row["noisy"] else ""
            row["channels_last"] = "yes" if row["channels_last"] else ""  # off, like every knob off, leaves the column out
    return rows


def resume(args: argparse.Namespace) -> RunOutcome:
    """Finish the run named by ``--resume`` with its own plan; naming entries as well is a usage error."""
    if args.names or args.all:
        raise UsageError("--resume RUN measures what RUN planned; drop the entry names and --all")
    log = read_run(run_path(args.resume, args.results_dir))
    loaded = {str(Path(p).resolve()) for p in args.plugin}
    for plugin in run_plugins(log):
        if plugin not in loaded:
            load_plugin(plugin)
    return resume_run(log, progress=progress_for(sys.stderr), time_limit=args.time_limit, reuse_worker=args.reuse_worker, cluster=args.cluster)


def print_module_tables(args: argparse.Namespace) -> int:
    """``--by-module``: count each entry × mode × batch once and print its module tree (nothing is saved)."""
    if args.resume:
        raise UsageError("--by-module prints a module tree and saves no run; drop --resume")
    depth = DEFAULT_DEPTH if args.depth is None else args.depth
    if depth < 0:
        raise UsageError(f"--depth must be 0 or more, got {depth}")
    overrides = parse_overrides(args)
    input_shape = parse_shape(args.input_shape) if args.input_shape else None
    targets = [EntrySpec.of(name, overrides, input_shape).target() for name in selected_names(args)]
    batches = parse_int_list(args.batch, "batch") if args.batch is not None else [input_shape[0] if input_shape else 1]
    print(render_module_table(module_table(targets, batches, parse_name_list(args.mode), depth), args.format))
    return 0

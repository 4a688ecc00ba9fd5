"""``modbench profile``: torch.profiler traces for TensorBoard, per-entry summaries, op-by-op comparison."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from modbench.catalog.external import expand_names
from modbench.commands.options import add_config_options, add_format_option, parse_overrides
from modbench.errors import UsageError
from modbench.metrics.allocator import hold_freed_memory
from modbench.metrics.sentinel import Sentinel
from modbench.metrics.state import MODES
from modbench.metrics.target import entry_target
from modbench.output import render
from modbench.paths import path_argument, writable_dir
from modbench.profiling.summary import compare_ops, top_by_memory, top_by_time
from modbench.profiling.trace import TraceResult, TraceSchedule, profile_target
from modbench.spec import DEVICES, timing_threads
from modbench.text import format_config, slug

HELP = "profile catalog entries with torch.profiler: traces for TensorBoard/Perfetto and top-operator tables"

DEFAULT_LOGDIR = "reports/traces"
DEFAULT_REPORT_DIR = "reports/profiles"
MACHINE_FORMATS = ("json", "csv")  # one flat list of operator rows on stdout; the notes go to stderr


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="+", metavar="NAME", help="catalog entries to profile, one run each (or package.module:fn, file.py:fn, timm:NAME)")
    parser.add_argument("--device", default="cpu", help=f"one of {', '.join(DEVICES)} (default cpu)")
    parser.add_argument(
        "--mode", default="infer", help=f"one of {', '.join(MODES)}; train = forward + backward + zero_grad per step"
    )
    parser.add_argument("--batch", type=int, default=1, help="batch size (default 1)")
    parser.add_argument("--threads", type=int, help="CPU threads to pin (default: every core but one, as for any timing)")
    add_config_options(parser)
    parser.add_argument("--logdir", type=path_argument, default=DEFAULT_LOGDIR, help="TensorBoard logdir, a run per entry (default %(default)s)")
    parser.add_argument("--report-dir", type=path_argument, default=DEFAULT_REPORT_DIR, help="Markdown and CSV summaries (default %(default)s)")
    parser.add_argument("--wait", type=int, default=TraceSchedule.wait, help="steps skipped first (default %(default)s)")
    parser.add_argument("--warmup", type=int, default=TraceSchedule.warmup, help="steps recorded, dropped (default %(default)s)")
    parser.add_argument("--active", type=int, default=TraceSchedule.active, help="steps kept (default %(default)s)")
    parser.add_argument("--top", type=int, default=10, help="operators per summary table (default %(default)s)")
    parser.add_argument("--compare", action="store_true", help="also compare every later entry with the first, op by op")
    parser.add_argument("--gzip", action="store_true", help="write .pt.trace.json.gz (TensorBoard and Perfetto read both)")
    add_format_option(parser, "the summaries (json and csv: one row per operator shown, tagged with its entry and table)")


def run(args: argparse.Namespace) -> int:
    names = expand_names(args.names)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise UsageError(f"{', '.join(repeated)} named twice; each entry is one run, so name it once")
    if args.compare and len(names) < 2:
        raise UsageError("--compare needs two or more entries, e.g. modbench profile ghost conv2d --compare")
    if args.batch < 1:
        raise UsageError(f"--batch must be a positive integer, got {args.batch}")
    if args.top < 1:
        raise UsageError(f"--top must be a positive integer, got {args.top}")
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads must be a positive integer, got {args.threads}")
    trace_schedule = TraceSchedule(wait=args.wait, warmup=args.warmup, active=args.active)
    writable_dir(args.logdir, "profiler traces")
    report_dir = writable_dir(args.report_dir, "profile summaries")
    overrides = parse_overrides(args)
    targets = [entry_target(name, overrides) for name in names]

    on_device = args.device == "cuda"
    hold_freed_memory()  # profiled in this process: the allocator as in a measuring worker
    threads = args.threads or timing_threads()
    sentinel = Sentinel(threads)
    sentinel.calibrate()  # the quiet reference, before anything is profiled
    machine = args.format in MACHINE_FORMATS
    notes = sys.stderr if machine else sys.stdout
    rows: list[dict[str, object]] = []
    results = []
    for target in targets:  # each summary is saved as soon as its profile is done
        result = profile_target(
            target, args.logdir, args.device, args.mode, args.batch, trace_schedule, args.gzip,
            threads=threads, sentinel=sentinel,
        )
        results.append(result)
        for warning in result.active_steps.warnings(result.sentinel):
            print(f"warning: {result.entry}: {warning}", file=sys.stderr)
        saved = save(report_dir, result.run, summary_text(result, "markdown", args.top, on_device), all_ops_csv(result))
        if machine:
            rows += summary_rows(result, args.top, on_device)
        else:
            print(summary_text(result, args.format, args.top, on_device))
        print(f"saved {', '.join(str(path) for path in saved)}\n", file=notes)
    if args.compare:
        first = results[0]
        for other in results[1:]:
            stem = slug(f"compare_{first.entry}_vs_{other.entry}_{args.device}_{args.mode}")
            saved = save(
                report_dir,
                stem,
                comparison_text(first, other, "markdown", on_device),
                render(compare_ops(first.ops, other.ops, (first.entry, other.entry), on_device), "csv"),
            )
            if machine:
                compared = compare_ops(first.ops, other.ops, (first.entry, other.entry), on_device)
                rows += [{"entry": f"{first.entry} vs {other.entry}", "table": "compare", **row} for row in compared]
            else:
                print(comparison_text(first, other, args.format, on_device))
            print(f"saved {', '.join(str(path) for path in saved)}\n", file=notes)
    if machine:
        print(render(rows, args.format))
    print(f"open the traces: tensorboard --logdir {args.logdir} --host 127.0.0.1 --port 6006", file=notes)
    return 0


def _heading(text: str, fmt: str, level: int) -> str:
    if fmt == "markdown":
        return f"{'#' * level} {text}\n"
    return f"{text}\n{('=' if level == 1 else '-') * len(text)}\n"


def summary_text(result: TraceResult, fmt: str, top: int, on_device: bool) -> str:
    """One entry's profile: where its trace is, and its top operators by self time and by self memory."""
    where = "CUDA" if on_device else "CPU"
    schedule = result.schedule
    parts = [
        _heading(f"Profile of {result.entry} ({result.device}, {result.mode}, batch {result.batch})", fmt, 1),
        f"- config: {format_config(result.config) or '(none)'}",
        f"- schedule: wait {schedule.wait}, warm-up {schedule.warmup}, active {schedule.active}; "
        "every value is per active step (time in µs, memory in bytes allocated minus freed)",
        f"- steps: {result.active_steps.describe()}",
        f"- machine: {_machine_line(result)}",
        *[f"- **warning**: {warning}" for warning in result.active_steps.warnings(result.sentinel)],
        f"- FLOPs per step: {sum(stat.flops for stat in result.ops):,.0f} "
        "(torch.profiler's estimate: matmul and convolution only)",
        f"- trace: {result.trace_file} (TensorBoard run {result.run}, worker {result.worker})\n",
        _heading(f"Top operators by self {where} time", fmt, 2),
        render(top_by_time(result.ops, top, on_device), fmt) + "\n",
        _heading(f"Top operators by self {where} memory", fmt, 2),
        render(top_by_memory(result.ops, top, on_device), fmt) + "\n",
    ]
    return "\n".join(parts)


def _machine_line(result: TraceResult) -> str:
    """What the noise sentinel saw around the profiled steps."""
    reading = result.sentinel
    if reading is None:
        return "not checked (no noise sentinel ran)"
    state = "busy" if reading.noisy else "quiet"
    load = f", other work on {reading.other_cores:.1f} of {reading.cpus} cores" if reading.to_dict()["other_cores"] is not None else ""
    return f"{state} (noise sentinel {reading.slowdown:+.0%} against quiet{load})"


def summary_rows(result: TraceResult, top: int, on_device: bool) -> list[dict[str, object]]:
    """The rows of :func:`summary_text`'s two tables, each tagged with its entry and table, for json and csv."""
    tagged = [("time", top_by_time(result.ops, top, on_device)), ("memory", top_by_memory(result.ops, top, on_device))]
    return [{"entry": result.entry, "table": table, **row} for table, found in tagged for row in found]


def comparison_text(first: TraceResult, second: TraceResult, fmt: str, on_device: bool) -> str:
    """Where two entries spend their self time, op by op (``second − first`` in the last column)."""
    where = "CUDA" if on_device else "CPU"
    title = f"{first.entry} vs {second.entry}: self {where} time per step, op by op ({first.device}, {first.mode})"
    parts = [
        _heading(title, fmt, 1),
        f"- {first.entry}: {format_config(first.config) or '(none)'}",
        f"- {second.entry}: {format_config(second.config) or '(none)'}\n",
        render(compare_ops(first.ops, second.ops, (first.entry, second.entry), on_device), fmt) + "\n",
    ]
    return "\n".join(parts)


def all_ops_csv(result: TraceResult) -> str:
    """Every operator of one profile, most self CPU time first, as CSV."""
    ops = sorted(result.ops, key=lambda stat: stat.self_cpu_us, reverse=True)
    return render([asdict(stat) for stat in ops], "csv")


def save(report_dir: Path, stem: str, markdown: str, csv: str) -> list[Path]:
    """Write ``stem.md`` and ``stem.csv`` under ``report_dir``; returns their paths."""
    paths = [report_dir / f"{stem}.md", report_dir / f"{stem}.csv"]
    paths[0].write_text(markdown, encoding="utf-8")
    paths[1].write_text(csv, encoding="utf-8")
    return paths

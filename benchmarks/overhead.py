"""How long a whole-catalog run takes, and whether modbench's latency agrees with a bare Timer.

Run from the repository root; it writes ``reports/measure_timings.md`` with every number measured
here (nothing in the report is typed by hand)::

    .venv/bin/python benchmarks/overhead.py             # quick run, full run, Timer agreement
    .venv/bin/python benchmarks/overhead.py --skip-full # without the ~minutes-long default run

Checks:

(a) ``modbench measure --all --quick`` finishes the catalog in under 60 s, and the default run
    ``modbench measure --all`` in under 10 min; both give a record with every field for every entry.
(b) For a fixed module, ``modbench.measure``'s median latency is within 3% of a bare
    ``torch.utils.benchmark.Timer`` measured in the same process: each round measures both, one
    right after the other (the order alternating), so a change in machine load hits both; the
    median of the per-round ratios is compared with 1 ± 3%.

This file is a script, not an asv benchmark: it defines no ``time_``/``peakmem_``/``track_`` names.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.benchmark import Timer

import modbench
from modbench.catalog import list_entries
from modbench.environment import cpu_model, git_commit
from modbench.metrics.latency import DEFAULT_PLAN
from modbench.metrics.memory import peak_memory
from modbench.metrics.registry import VALUE_METRICS

REPORT = Path(__file__).resolve().parent.parent / "reports" / "measure_timings.md"
QUICK_LIMIT_S = 60.0
FULL_LIMIT_S = 600.0
AGREEMENT = 0.03
FIELDS = VALUE_METRICS


@dataclass
class CatalogRun:
    """One ``modbench measure --all`` run: its command, wall time, and the completeness of its records."""

    command: str
    wall_s: float
    exit_code: int
    entries: int
    records: int
    ok: int
    incomplete: list[str]

    def verdict(self, limit_s: float) -> str:
        complete = self.exit_code == 0 and self.records == self.entries == self.ok and not self.incomplete
        return "pass" if complete and self.wall_s < limit_s else "FAIL"


def run_catalog(extra: list[str]) -> CatalogRun:
    """Run ``modbench measure --all`` (plus ``extra``) in a fresh process and check its JSON records."""
    with tempfile.TemporaryDirectory() as results:
        command = [sys.executable, "-m", "modbench.cli", "measure", "--all", *extra, "--format", "json", "--results-dir", results]
        start = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True)
        wall = time.perf_counter() - start
    records = json.loads(completed.stdout) if completed.stdout.strip() else []
    incomplete = [
        f"{r['entry']}: {', '.join(f for f in FIELDS if r.get(f) is None) or r['status']}"
        for r in records
        if r["status"] != "ok" or any(r.get(f) is None for f in FIELDS)
    ]
    shown = "modbench measure --all " + " ".join(extra) + " --format json"
    return CatalogRun(shown.replace("  ", " "), wall, completed.returncode, len(list_entries()), len(records),
                      sum(r["status"] == "ok" for r in records), incomplete)


@dataclass
class Agreement:
    """Alternating rounds of modbench and a bare Timer on the same module, in the same process."""

    description: str
    threads: int
    min_run_time_s: float
    modbench_ms: list[float]
    bare_ms: list[float]

    @property
    def ratios(self) -> list[float]:
        return [ours / bare for ours, bare in zip(self.modbench_ms, self.bare_ms)]

    @property
    def ratio(self) -> float:
        """The median of the per-round ratios: each round pairs two measurements taken seconds apart."""
        return statistics.median(self.ratios)

    def verdict(self) -> str:
        return "pass" if abs(self.ratio - 1) <= AGREEMENT else "FAIL"


def compare_with_bare_timer(rounds: int, threads: int, min_run_time_s: float) -> Agreement:
    """Median latency of a fixed Linear layer by ``modbench.measure`` and by a bare Timer, alternately."""
    torch.manual_seed(0)
    module = nn.Linear(1024, 1024).eval()
    x = torch.randn(64, 1024)
    def ours() -> float:
        frame = modbench.measure(module, x, batch=64, metrics=["latency"], threads=threads)
        return float(frame.iloc[0]["latency_ms"])

    def bare() -> float:
        with torch.inference_mode():
            timer = Timer("module(x)", globals={"module": module, "x": x}, num_threads=threads)
            return timer.blocked_autorange(min_run_time=min_run_time_s).median * 1e3

    modbench_ms, bare_ms = [], []
    for number in range(rounds):
        if number % 2:  # alternate which goes first, so a steady drift in load favours neither
            bare_ms.append(bare())
            modbench_ms.append(ours())
        else:
            modbench_ms.append(ours())
            bare_ms.append(bare())
    return Agreement("nn.Linear(1024, 1024), input 64x1024, fp32, infer", threads, min_run_time_s, modbench_ms, bare_ms)


@dataclass
class MemoryCheck:
    """A CPU peak-memory measurement next to the lower bound computed by hand from the tensors."""

    case: str
    measured: str
    bytes_measured: int
    bound: str
    bytes_bound: int

    def verdict(self) -> str:
        return "pass" if self.bytes_measured >= self.bytes_bound else "FAIL"


def check_cpu_memory() -> list[MemoryCheck]:
    """Peak and activation bytes of a Linear and a Linear-ReLU-Linear stack against hand-computed bounds."""
    torch.manual_seed(0)
    fp32 = 4
    x = torch.randn(64, 1024)
    linear = nn.Linear(1024, 1024)
    stack = nn.Sequential(nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 1024))
    params = fp32 * (1024 * 1024 + 1024)
    activation = fp32 * 64 * 1024
    infer = peak_memory(linear, (x,), "infer", "cpu")
    stack_infer = peak_memory(stack, (x,), "infer", "cpu")
    stack_train = peak_memory(stack, (x,), "train", "cpu")
    return [
        MemoryCheck("Linear 1024→1024, batch 64, infer", "activation_bytes", infer.activation_bytes,
                    "output 64×1024 fp32", activation),
        MemoryCheck("Linear 1024→1024, batch 64, infer", "peak_bytes", infer.peak_bytes,
                    "weights + bias + input + output", params + 2 * activation),
        MemoryCheck("Linear-ReLU-Linear, batch 64, train", "activation_bytes", stack_train.activation_bytes,
                    "ReLU output (saved) + output", 2 * activation),
        MemoryCheck("Linear-ReLU-Linear, batch 64, train", "peak_bytes", stack_train.peak_bytes,
                    "params + their grads + input (+ its grad) + saved", 2 * 2 * params + 2 * activation + 2 * activation),
        MemoryCheck("Linear-ReLU-Linear, batch 64, train vs infer", "train peak_bytes", stack_train.peak_bytes,
                    "infer peak_bytes + 1", stack_infer.peak_bytes + 1),
    ]


def render_report(
    quick: CatalogRun, full: CatalogRun | None, agreement: Agreement, memory: list[MemoryCheck],
    load: tuple[list[float], list[float]],
) -> str:
    def catalog_row(run: CatalogRun, limit: float) -> str:
        return (f"| `{run.command}` | {run.wall_s:.1f} s | < {limit:.0f} s | {run.records}/{run.entries} "
                f"| {run.ok} | {run.exit_code} | {run.verdict(limit)} |")

    lines = [
        "# `modbench measure` timings",
        "",
        "Written by `benchmarks/overhead.py`; every number below was measured by that script.",
        "",
        f"- date (UTC): {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}",
        f"- machine: {cpu_model()}, {os.cpu_count()} logical CPUs, no GPU used",
        f"- torch {torch.__version__}, modbench {modbench.__version__}, commit {git_commit() or 'not a git checkout'}"
        f"{' with uncommitted changes' if _uncommitted_changes() else ''}",
        f"- load average (1, 5, 15 min) at start: {', '.join(f'{v:.2f}' for v in load[0])}; "
        f"at end: {', '.join(f'{v:.2f}' for v in load[1])} (other work on the machine slows every number here)",
        "",
        "## (a) Whole catalog on CPU",
        "",
        "| command | wall time | limit | records/entries | ok | exit | verdict |",
        "|---|---|---|---|---|---|---|",
        catalog_row(quick, QUICK_LIMIT_S),
    ]
    if full is not None:
        lines.append(catalog_row(full, FULL_LIMIT_S))
    for run in (quick, full):
        if run is not None and run.incomplete:
            lines += ["", f"Incomplete records in `{run.command}`:", "", *[f"- {item}" for item in run.incomplete]]
    lines += [
        "",
        "Wall time includes starting Python, importing torch, and the child process that measures.",
        "",
        "## (b) modbench against a bare `torch.utils.benchmark.Timer`",
        "",
        f"Module: {agreement.description}; {agreement.threads} thread(s) for both; the bare Timer uses "
        f"`blocked_autorange(min_run_time={agreement.min_run_time_s:g})` under `torch.inference_mode()`, "
        "modbench its default plan (the same). Each round measures both, the order alternating between rounds.",
        "",
        "| round | modbench median (ms) | bare Timer median (ms) | ratio |",
        "|---|---|---|---|",
    ]
    for number, (ours, bare) in enumerate(zip(agreement.modbench_ms, agreement.bare_ms), start=1):
        lines.append(f"| {number} | {ours:.4f} | {bare:.4f} | {ours / bare:.4f} |")
    lines += [
        "",
        f"Medians over rounds: modbench {statistics.median(agreement.modbench_ms):.4f} ms, bare Timer "
        f"{statistics.median(agreement.bare_ms):.4f} ms. Median of the per-round ratios "
        f"**{agreement.ratio:.4f}** (limit 1 ± {AGREEMENT:.0%}): {agreement.verdict()}. Single rounds range "
        f"from {min(agreement.ratios):.3f} to {max(agreement.ratios):.3f}: both sides time the same statement "
        "with the same Timer, so what separates them in one round is the machine's load, not modbench.",
        "",
        "## (c) CPU peak memory against hand-computed lower bounds",
        "",
        "From the profiler's raw allocation events (see `src/modbench/metrics/memory.py`).",
        "",
        "| case | measured | bytes | lower bound | bytes | verdict |",
        "|---|---|---|---|---|---|",
        *[f"| {c.case} | {c.measured} | {c.bytes_measured:,} | {c.bound} | {c.bytes_bound:,} | {c.verdict()} |" for c in memory],
        "",
        "What the CPU method sees: every allocation and free made through c10's CPU allocator during",
        "the step (tensors: outputs, intermediates, saved activations, gradients, the temporary",
        "buffers an op frees before returning), in time order. What it cannot see: memory that",
        "does not come through that allocator (any buffer oneDNN allocates for itself, such as its",
        "primitive cache; OpenMP thread stacks; Python objects), what was allocated before the step (parameters, buffers",
        "and inputs are therefore added from the tensors themselves), and the C allocator's own",
        "overhead and fragmentation; it is the bytes the step asked for, not the process's RSS.",
        "",
    ]
    return "\n".join(lines)


def _uncommitted_changes() -> bool:
    """Whether the checkout the numbers come from differs from its commit."""
    status = subprocess.run(["git", "status", "--porcelain"], cwd=REPORT.parent.parent, capture_output=True, text=True)
    return bool(status.stdout.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-full", action="store_true", help="skip the default (non-quick) whole-catalog run")
    parser.add_argument("--rounds", type=int, default=21, help="alternating rounds for the Timer comparison")
    parser.add_argument("--threads", type=int, default=1, help="threads for the Timer comparison (1: least noisy when shared)")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args()

    load_start = list(os.getloadavg())
    agreement = compare_with_bare_timer(args.rounds, args.threads, DEFAULT_PLAN.min_run_time_s)
    print(f"(b) ratio {agreement.ratio:.4f}: {agreement.verdict()}", file=sys.stderr)
    quick = run_catalog(["--quick"])
    print(f"(a) quick: {quick.wall_s:.1f} s, {quick.ok}/{quick.entries} ok: {quick.verdict(QUICK_LIMIT_S)}", file=sys.stderr)
    full = None
    if not args.skip_full:
        full = run_catalog([])
        print(f"(a) full: {full.wall_s:.1f} s, {full.ok}/{full.entries} ok: {full.verdict(FULL_LIMIT_S)}", file=sys.stderr)
    memory = check_cpu_memory()
    report = render_report(quick, full, agreement, memory, (load_start, list(os.getloadavg())))
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(report)
    print(f"wrote {args.report}", file=sys.stderr)
    verdicts = [quick.verdict(QUICK_LIMIT_S), agreement.verdict(), *(c.verdict() for c in memory)]
    verdicts += [full.verdict(FULL_LIMIT_S)] if full else []
    return 0 if all(v == "pass" for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())

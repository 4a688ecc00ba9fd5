"""How much faster ``measure --all --metrics params,flops`` runs on ``--cluster local:2`` than plain.

Run from the repository root; it writes ``reports/cluster_speedup.md`` with every number measured
here (nothing in the report is typed by hand)::

    .venv/bin/python benchmarks/cluster_speedup.py             # plain, cluster, plain, cluster
    .venv/bin/python benchmarks/cluster_speedup.py --pairs 3

Check: the cluster run takes at most 1/1.6 of the plain run's wall time. Each run is the whole
command as a user types it (a fresh ``python -m modbench.cli`` process: imports, forkserver, the
local cluster's start and stop all counted), into a fresh results directory. Plain and cluster
runs alternate, so a change in the machine's load (it is shared) hits both; the load average is
recorded before and after every run, and the speed-up is the median of the paired ratios
(plain run i / cluster run i). Both runs must produce the same counts for every key.

This file is a script, not an asv benchmark: it defines no ``time_``/``peakmem_``/``track_`` names.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from modbench.environment import cpu_model, git_commit

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "reports" / "cluster_speedup.md"
TARGET = 1.6
COMMAND = ["measure", "--all", "--metrics", "params,flops", "--format", "json"]
COUNTS = ("params", "macs", "flops", "flops_elementwise")
PROGRESS = re.compile(r"modbench: \[\d+/\d+\] ")


@dataclass
class Run:
    """One timed command: which kind, its wall time, when its first and last records arrived, the load average around it, its counts by key."""

    kind: str
    wall_s: float
    first_record_s: float  # from the command's start to its first progress line
    last_record_s: float  # ... to its last
    load_before: float
    load_after: float
    cpu_s: float | None  # CPU time the whole machine spent while it ran (nothing else runs here); None off Linux
    counts: dict[str, tuple]

    @property
    def serial_s(self) -> float:
        """What no number of workers shortens: start-up up to the first record, and everything after the last."""
        return self.first_record_s + self.wall_s - self.last_record_s


def busy_cpu_s() -> float | None:
    """CPU seconds this machine has spent busy since boot (``/proc/stat``: all but idle and I/O wait), or None where there is none."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return None
    idle, iowait = fields[3], fields[4]
    return (sum(fields[:8]) - idle - iowait) / os.sysconf("SC_CLK_TCK")


def timed_run(kind: str, extra: list[str]) -> Run:
    with tempfile.TemporaryDirectory(prefix="modbench-speedup-") as where, tempfile.TemporaryFile("w+") as stdout:
        command = [sys.executable, "-m", "modbench.cli", *COMMAND, "--results-dir", where, *extra]
        load_before = os.getloadavg()[0]
        cpu_before = busy_cpu_s()
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=where, stdout=stdout, stderr=subprocess.PIPE, text=True)
        record_times, errors = [], []
        for line in child.stderr:  # progress lines arrive as each record does (stderr is not a terminal here)
            if PROGRESS.match(line):
                record_times.append(time.perf_counter() - start)
            errors.append(line)
        child.wait()
        wall = time.perf_counter() - start
        cpu_after = busy_cpu_s()
        load_after = os.getloadavg()[0]
        stdout.seek(0)
        output = stdout.read()
    if child.returncode != 0 or not record_times:
        raise SystemExit(f"{kind} run failed ({child.returncode}): {errors[-1:]}")
    rows = json.loads(output)
    counts = {f"{r['entry']} {json.dumps(r['config'], sort_keys=True)} {r['batch']}": tuple(r[c] for c in COUNTS) for r in rows}
    print(f"{kind:8} {wall:7.1f} s  load {load_before:.2f} -> {load_after:.2f}", file=sys.stderr, flush=True)
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Run(kind, wall, record_times[0], record_times[-1], load_before, load_after, cpu, counts)


def write_report(runs: list[Run], workers: int) -> float:
    plain = [r for r in runs if r.kind == "plain"]
    cluster = [r for r in runs if r.kind == "cluster"]
    ratios = [p.wall_s / c.wall_s for p, c in zip(plain, cluster)]
    speedup = statistics.median(ratios)
    serial = statistics.median(p.serial_s for p in plain)
    measuring = statistics.median(p.last_record_s - p.first_record_s for p in plain)
    wall = statistics.median(p.wall_s for p in plain)
    bound = wall / (serial + measuring / workers)
    same = all(run.counts == plain[0].counts for run in runs)
    lines = [
        "# `--cluster local:2` against a plain run: the whole catalog's counts",
        "",
        f"Written by `benchmarks/cluster_speedup.py` on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"commit {(git_commit() or 'unknown')[:12]}, {os.cpu_count()} cores ({cpu_model()}), shared with other work.",
        "",
        f"Command: `modbench {' '.join(COMMAND[:-2])}` (plain) and the same with `--cluster local:{workers}`; "
        f"{len(plain[0].counts)} measurements each. Each run is a fresh process, timed end to end "
        "(imports, the forkserver, the local cluster's start and stop). Runs alternate, plain first.",
        "",
        "| # | run | wall (s) | CPU (s) | cores busy | first record (s) | last record (s) | load avg (1 min) before → after |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    lines += [
        f"| {i} | {r.kind} | {r.wall_s:.1f} | {_or_dash(r.cpu_s, '.1f')} | {_or_dash(r.cpu_s and r.cpu_s / r.wall_s, '.2f')} | "
        f"{r.first_record_s:.1f} | {r.last_record_s:.1f} | {r.load_before:.2f} → {r.load_after:.2f} |"
        for i, r in enumerate(runs, 1)
    ]
    lines += [
        "",
        f"Paired ratios (plain i / cluster i): {', '.join(f'{x:.2f}' for x in ratios)}; "
        f"median **{speedup:.2f}×** (target ≥ {TARGET}×: {'met' if speedup >= TARGET else 'not met'}).",
        f"Counts identical in every run for every key: {'yes' if same else 'NO'}.",
        "",
        f"**What {workers} workers can give at most** (Amdahl's law, from the plain runs' own timelines): a plain run "
        f"takes a median {wall:.1f} s, of which {serial:.1f} s come before its first record (the interpreter, importing "
        f"torch in the command and in its forkserver, the first entry) or after its last (the table, exit), and "
        f"{measuring:.1f} s between its first and last record. Only that part can be shared out, so with {workers} "
        f"workers the speed-up is at most {wall:.1f} / ({serial:.1f} + {measuring:.1f} / {workers}) = **{bound:.2f}×**, "
        f"before the cluster's own start and the single-threaded measuring of the count-only tasks.",
        "",
        *cpu_bound_lines(plain, cluster, wall),
        "Why it scales: each measurement is a fork of one forkserver that has imported torch, the "
        "catalog, the metrics and `torch._dynamo` (which a fused op's replay on meta tensors, such as an "
        "LSTM layer's, and the memory profiler import otherwise: seconds per child); `local` runs its Dask "
        "workers as threads of the modbench process, so starting the cluster imports nothing more, and Dask "
        "queues its tasks and gives each free worker the next one, models before blocks, so both cores stay "
        "busy with measuring children until the last short task. A load average above the core count means "
        "other work shared the cores, which slows both kinds of run and caps the ratio.",
        "",
    ]
    REPORT.write_text("\n".join(lines))
    return speedup


def _or_dash(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def cpu_bound_lines(plain: list[Run], cluster: list[Run], plain_wall: float) -> list[str]:
    """The second bound: no run takes less than its CPU time spread over every core, and a plain run already keeps more than one busy."""
    if any(run.cpu_s is None for run in plain + cluster):
        return []
    cores = os.cpu_count() or 1
    plain_cpu = statistics.median(run.cpu_s for run in plain)
    cluster_cpu = statistics.median(run.cpu_s for run in cluster)
    return [
        f"**What the cores can give at most** (CPU time, the whole machine's while each run ran): a plain run "
        f"used a median {plain_cpu:.1f} CPU-s in {plain_wall:.1f} s, so it already kept {plain_cpu / plain_wall:.2f} of "
        f"the {cores} cores busy (the forkserver imports beside the command, and the plain run's counted forwards "
        f"use every core). A cluster run used {cluster_cpu:.1f} CPU-s; spread perfectly over {cores} cores it would "
        f"take {cluster_cpu / cores:.1f} s, so it can be at most {plain_wall:.1f} / {cluster_cpu / cores:.1f} = "
        f"**{plain_wall / (cluster_cpu / cores):.2f}×** faster than the plain run.",
        "",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=2, help="plain/cluster pairs to run (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="local cluster workers (default 2)")
    args = parser.parse_args()
    runs: list[Run] = []
    for _ in range(args.pairs):
        runs.append(timed_run("plain", []))
        runs.append(timed_run("cluster", ["--cluster", f"local:{args.workers}"]))
    speedup = write_report(runs, args.workers)
    print(f"median speed-up {speedup:.2f}x; wrote {REPORT.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What counting costs next to ``torch.utils.flop_counter.FlopCounterMode`` alone, on the same module.

Run from the repository root; it writes ``reports/counting_speed.md`` with every number measured
here (nothing in the report is typed by hand)::

    .venv/bin/python benchmarks/counting_speed.py            # resnet50 and vit_tiny, 9 rounds
    .venv/bin/python benchmarks/counting_speed.py --rounds 5 --entries vit_block

Check: modbench's count of an entry (``count_ops``: MACs, FLOPs, element-wise work, op lists and
per-module tallies in one dispatch-level pass) takes at most 1.5× what a bare ``FlopCounterMode``
forward takes on the same module and input. Both run in this process at the same thread count,
after one warm-up call each; each round times both, one right after the other, the order
alternating between rounds, so a change in machine load hits both; the median of the per-round
ratios is compared with 1.5. The opt-in fvcore cross-check (a ``torch.jit`` trace on top) is timed
too, for information.

This file is a script, not an asv benchmark: it defines no ``time_``/``peakmem_``/``track_`` names.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

import modbench
from modbench.catalog import get_entry
from modbench.environment import cpu_model, git_commit
from modbench.metrics.counting import count_ops
from modbench.metrics.steps import pinned_threads

REPORT = Path(__file__).resolve().parent.parent / "reports" / "counting_speed.md"
LIMIT = 1.5


@dataclass
class Rounds:
    """Per-round seconds of a bare FlopCounterMode forward, of modbench's count, and of the count with fvcore."""

    entry: str
    flop_counter_s: list[float]
    modbench_s: list[float]
    with_fvcore_s: list[float]

    @property
    def ratios(self) -> list[float]:
        return [ours / theirs for ours, theirs in zip(self.modbench_s, self.flop_counter_s)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)

    def verdict(self) -> str:
        return "pass" if self.ratio <= LIMIT else "FAIL"


def _seconds(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def measure(entry_name: str, rounds: int) -> Rounds:
    entry = get_entry(entry_name)
    module, config = entry.build()
    inputs = entry.inputs(config, 1)
    module.eval()

    def bare() -> None:
        with torch.no_grad(), FlopCounterMode(display=False):
            module(*inputs)

    def ours() -> None:
        count_ops(module, inputs)

    def with_fvcore() -> None:
        count_ops(module, inputs, cross_check="fvcore")

    for call in (bare, ours, with_fvcore):  # warm-up: lazy imports, first-call dispatch tables
        call()
    result = Rounds(entry_name, [], [], [])
    for number in range(rounds):
        if number % 2:  # alternate which goes first, so a steady drift in load favours neither
            result.modbench_s.append(_seconds(ours))
            result.flop_counter_s.append(_seconds(bare))
        else:
            result.flop_counter_s.append(_seconds(bare))
            result.modbench_s.append(_seconds(ours))
        result.with_fvcore_s.append(_seconds(with_fvcore))
    return result


def render(results: list[Rounds], threads: int, load: tuple[tuple[float, ...], tuple[float, ...]]) -> str:
    lines = [
        "# Counting speed: modbench against FlopCounterMode alone",
        "",
        "Written by `benchmarks/counting_speed.py`; every number below was measured by that script.",
        "",
        f"- date (UTC): {dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}",
        f"- machine: {cpu_model()}, {os.cpu_count()} logical CPUs, no GPU used; {threads} thread(s) for every call",
        f"- torch {torch.__version__}, modbench {modbench.__version__}, commit {git_commit() or 'not a git checkout'}",
        f"- load average (1, 5, 15 min) at start: {', '.join(f'{v:.2f}' for v in load[0])}; "
        f"at end: {', '.join(f'{v:.2f}' for v in load[1])} (other work on the machine slows every number here)",
        "",
        "Each entry at its default config, batch 1, infer. *FlopCounterMode*: a no-grad forward under a bare",
        "`FlopCounterMode(display=False)`. *modbench*: `count_ops` (one dispatch-level pass: MACs, matmul and",
        "element-wise FLOPs, op lists, per-module tallies, state restored). *with fvcore*: `count_ops(...,",
        "cross_check=\"fvcore\")`, which adds fvcore's `torch.jit` trace. One warm-up call each, then rounds",
        "timing FlopCounterMode and modbench back to back, the order alternating.",
        "",
        f"| entry | rounds | FlopCounterMode median (s) | modbench median (s) | median ratio | limit | verdict | with fvcore median (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        lines.append(
            f"| {result.entry} | {len(result.ratios)} | {statistics.median(result.flop_counter_s):.4f} | "
            f"{statistics.median(result.modbench_s):.4f} | {result.ratio:.3f} | ≤ {LIMIT} | {result.verdict()} | "
            f"{statistics.median(result.with_fvcore_s):.4f} |"
        )
    for result in results:
        lines += ["", f"## {result.entry}, per round", "", "| round | FlopCounterMode (s) | modbench (s) | ratio |", "|---|---|---|---|"]
        for number, (theirs, ours, ratio) in enumerate(zip(result.flop_counter_s, result.modbench_s, result.ratios), 1):
            lines.append(f"| {number} | {theirs:.4f} | {ours:.4f} | {ratio:.3f} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads for every call (default 1: less sensitive to other load)")
    parser.add_argument("--entries", default="resnet50,vit_tiny", help="comma-separated catalog entries")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args()
    load_start = os.getloadavg()
    with pinned_threads(args.threads):
        results = [measure(name, args.rounds) for name in args.entries.split(",")]
    text = render(results, args.threads, (load_start, os.getloadavg()))
    args.report.write_text(text)
    print(text)
    return 0 if all(result.verdict() == "pass" for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())

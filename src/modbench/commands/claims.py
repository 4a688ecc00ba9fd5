"""``modbench claims``: measure what the seed articles' cost claims need, and give each a verdict.

Two verdicts per claim, each its own word: cost (params, MACs, FLOPs: the same on every device) and
on this hardware (latency, memory on ``--device``): holds, refuted, mixed (some checks hold, others
do not), undecided (a latency interval straddles its bound), unmeasured, not claimed (the source
claims nothing this aspect judges), out of scope. Refuted claims are findings, not errors: the exit status is
0 when every measurement ran, 1 when some failed (named on stderr), 2 on a usage error, 130 when
interrupted (the run is kept; finish it with ``modbench measure --resume RUN``).
"""

from __future__ import annotations

import argparse
import json
import sys

from modbench.claims import all_claims, get_claims, judge
from modbench.claims.check import check_claims, run_probes
from modbench.commands.measure import DEFAULT_TIME_LIMIT_S, report_outcome
from modbench.commands.options import add_cluster_option, add_format_option, add_threads_option, parse_name_list
from modbench.commands.progress import progress_for
from modbench.errors import UsageError
from modbench.metrics.registry import MEASUREMENTS
from modbench.metrics.sentinel import noise_warning
from modbench.output import render
from modbench.paths import path_argument
from modbench.results import DEFAULT_RESULTS_DIR
from modbench.resultset import ResultSet
from modbench.spec import DEVICES

HELP = "check the seed articles' cost claims against measurements: a cost verdict and a verdict on this hardware"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    ids = ", ".join(claim.id for claim in all_claims())
    parser.add_argument("ids", nargs="*", metavar="CLAIM", help=f"claims to check (default: all): {ids}")
    parser.add_argument("--list", action="store_true", help="list the claims and their sources without measuring")
    parser.add_argument("--device", default="cpu", help=f"one of {', '.join(DEVICES)}")
    parser.add_argument(
        "--metrics",
        default=",".join(MEASUREMENTS),
        help=f"comma-separated subset of {','.join(MEASUREMENTS)} (default: all; params,flops gives the count verdicts in seconds)",
    )
    add_threads_option(parser)
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="SECONDS", help="per-measurement limit")
    add_cluster_option(parser)
    parser.add_argument("--results-dir", type=path_argument, default=DEFAULT_RESULTS_DIR, help=f"where the run is saved (default {DEFAULT_RESULTS_DIR}/)")
    parser.add_argument(
        "--from", dest="source", type=path_argument, metavar="RESULTS", help="judge saved results (a run file or a directory of runs) instead of measuring"
    )
    add_format_option(parser, "the verdicts")


def run(args: argparse.Namespace) -> int:
    claims = get_claims(args.ids)
    if args.list:
        rows = [
            {"id": c.id, "#": c.number, "statement": c.statement, "seed": f"seed {c.seed.number}" if c.seed else "", "paper": c.paper or "", "table": c.table or ""}
            for c in claims
        ]
        print(render(rows, args.format, ["#", "id", "statement", "seed"] if args.format == "table" else None))
        return 0
    status = 0
    if args.source:
        saved = ResultSet.from_runs(args.source)
        if not len(saved):
            raise UsageError(f"{args.source} holds no measurements; pass a run file or directory that modbench claims or report wrote")
        verdicts = judge(claims, saved, args.device, run_probes(claims))
        warning = noise_warning(list(saved))
        if warning:
            print(f"modbench: warning: {warning}", file=sys.stderr)
    else:
        checked = check_claims(
            claims,
            device=args.device,
            metrics=parse_name_list(args.metrics),
            threads=args.threads,
            results_dir=args.results_dir,
            time_limit=args.time_limit,
            cluster=args.cluster,
            progress=progress_for(sys.stderr),
        )
        verdicts = checked.verdicts
        status = report_outcome(checked.outcome)
    if args.format == "json":
        print(json.dumps([v.to_dict() for v in verdicts], indent=2, ensure_ascii=False))
    else:
        rows = [
            {"#": v.claim.number, "claim": v.claim.id, "cost": v.cost, f"on {v.device}": v.hardware + (" (latency under load)" if v.under_load else ""), "measured": v.summary}
            for v in verdicts
        ]
        print(render(rows, args.format))
    return status

"""``modbench report``: measure the whole catalog and every claim, then write the reports.

With no arguments this is the main job: every catalog entry at its default config (quick
latency), every claim's comparisons (full latency), the Ghost modules' two convolutions alone,
and the batch-size curves, on the default device, into ``reports/``: ``claims.md``,
``catalog.md``, ``catalog.csv``, ``claims.json``, ``report.html`` (self-contained, plots
embedded), ``plots/``, the runs as JSONL under ``results/`` and ``run-<device>.json``. A report
directory may hold runs from several devices (copy a GPU machine's ``results/`` and
``run-cuda.json`` in and run ``--render-only``): the page then shows each device.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

from modbench.catalog import get_entry, list_entries
from modbench.claims import all_claims
from modbench.claims.check import PairRequest, Plan, Request, claim_plan, run_plans, run_probes
from modbench.claims.lookup import Results
from modbench.claims.schema import Claim, Side
from modbench.claims.sweeps import BATCH_CURVES
from modbench.commands.measure import DEFAULT_TIME_LIMIT_S, report_outcome
from modbench.commands.options import add_cluster_option, add_threads_option
from modbench.commands.progress import progress_for
from modbench.errors import UsageError
from modbench.metrics.registry import MEASUREMENTS
from modbench.metrics.sentinel import noise_warning
from modbench.output import render
from modbench.paths import path_argument, writable_dir
from modbench.report.build import judge_devices, write_report
from modbench.records import canonical_config
from modbench.report.run_info import RunInfo, load_run_infos
from modbench.report.tables import Listed
from modbench.resultset import ResultSet
from modbench.spec import DEVICES, check_choice

HELP = "measure the catalog and every claim, and write claims.md, catalog.md/.csv and report.html"

DEFAULT_OUT = Path("reports")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=path_argument, default=DEFAULT_OUT, help=f"report directory (default {DEFAULT_OUT}/)")
    parser.add_argument("--device", default="cpu", help=f"one of {', '.join(DEVICES)}")
    add_threads_option(parser)
    parser.add_argument("--quick", action="store_true", help="quick latency for the claims too: a smoke run, rougher latency verdicts")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT_S, metavar="SECONDS", help="per-measurement limit")
    add_cluster_option(parser)
    parser.add_argument(
        "--render-only", action="store_true", help="measure nothing: rebuild the files from the runs already in OUT/results"
    )


def report_plan(claims: tuple[Claim, ...], quick: bool) -> Plan:
    """The catalog, the claims (with their extra modules, such as the Ghost parts), the batch curves.

    The catalog sweep is timed with the quick plan (it places entries on a plot); claims and batch
    curves with the full plan unless ``quick``. A claim's latency comparison and each batch size of
    a curve are pair tasks (their sides timed in interleaved rounds); a catalog entry that is in a
    pair is measured there, for every metric. It runs as two runs (:func:`run_plans`), so that
    the first, all catalog entries, is resumable (``modbench measure --resume``).
    """
    every = frozenset(MEASUREMENTS)
    catalog = []
    for name in list_entries():
        catalog.append(Request(Side.of(name), every, quick=True))
        if "train-cost" in get_entry(name).tags:
            catalog.append(Request(Side.of(name, mode="train"), every, quick=True))
    claimed = claim_plan(claims)
    curves = [
        PairRequest(tuple(side.at(batch) for side in curve.sides), frozenset({"latency"}), quick)
        for curve in BATCH_CURVES
        for batch in curve.batches
    ]
    return Plan.of(
        [Request(r.side, r.metrics, quick) for r in claimed.requests] + catalog,
        [PairRequest(p.sides, p.metrics, quick) for p in claimed.pairs] + curves,
    )


def catalog_listing() -> list[Listed]:
    """Every catalog entry as the catalog table lists it (name, family, default config), in the catalog's order."""
    return [Listed(name, get_entry(name).family, canonical_config(get_entry(name).config())) for name in list_entries()]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def measure(args: argparse.Namespace) -> int:
    """Run the plan into OUT/results, the probes, and save this run's description; the exit status."""
    started, clock, load_before = _now(), time.perf_counter(), os.getloadavg()
    claims = all_claims()
    plan = report_plan(claims, args.quick)
    options = {
        "device": args.device,
        "threads": args.threads,
        "results_dir": args.out / "results",
        "time_limit": args.time_limit,
        "cluster": args.cluster,
        "progress": progress_for(sys.stderr),
    }
    outcome = run_plans(plan, **options)
    status = report_outcome(outcome, noise=False)  # warned once, about the whole report, by run()
    if outcome.interrupted:
        return 130
    info = RunInfo(
        device=args.device,
        command=f"modbench report --out {args.out} --device {args.device}"
        + (f" --threads {args.threads}" if args.threads else "")
        + (" --quick" if args.quick else "")
        + (f" --cluster {args.cluster}" if args.cluster else ""),
        run_id=str(outcome.run_id),
        started=started,
        finished=_now(),
        duration_s=time.perf_counter() - clock,
        load_before=load_before,
        load_after=os.getloadavg(),
        catalog_timing="quick",
        claims_timing="quick" if args.quick else "full",
        probes=run_probes(claims),
    )
    info.save(info.path(args.out))
    return status


def run(args: argparse.Namespace) -> int:
    check_choice("device", args.device, DEVICES)  # --render-only too: a bad value is never ignored
    writable_dir(args.out, "the report")
    status = 0
    if not args.render_only:
        status = measure(args)
        if status == 130:
            return status
    results = args.out / "results"
    if not results.is_dir():
        raise UsageError(f"{results} holds no runs; run `modbench report --out {args.out}` without --render-only first")
    measured = ResultSet.from_runs(results)
    infos = load_run_infos(args.out)
    paths = write_report(measured, infos, args.out, catalog_listing())
    verdicts = judge_devices(Results(measured), all_claims(), infos)
    rows = [
        {"#": v.claim.number, "claim": v.claim.id, "cost": v.cost, **{f"on {d}": vs[i].hardware for d, vs in verdicts.items()}}
        for i, v in enumerate(next(iter(verdicts.values())))
    ]
    print(render(rows, "table"))
    warning = noise_warning(list(measured))
    if warning:
        print(f"modbench: warning: {warning}", file=sys.stderr)
    print(f"modbench: wrote {len(paths)} files to {args.out}/ (open {args.out / 'report.html'})", file=sys.stderr)
    return status

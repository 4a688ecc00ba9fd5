"""``modbench history``: regressions over commits, from asv's results and modbench's saved runs.

Reads asv's results directory (``asv run`` over a range of commits) and modbench's results store
(``modbench measure`` runs, each stamped with its commit), orders every series over commits, finds
the commits where a series changed (see :mod:`modbench.history.detect`), prints the regressions and
writes ``<out>/history.md`` with a plot per regression under ``<out>/history/``.

Like ``asv continuous``, it exits 1 when it reports a regression, so a CI step can gate on it;
``--no-fail`` only reports. A regression is a step beyond the noise measured for its series, so a
change of machine load between two runs does not fail the gate.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from modbench.commands.options import add_format_option
from modbench.errors import UsageError
from modbench.history import Thresholds, analyse, read_asv_results, read_store, write_report
from modbench.history.report import change_rows
from modbench.history.table import git_order
from modbench.output import render
from modbench.paths import first_existing, path_argument, writable_dir
from modbench.results import RESULTS_SEARCH

HELP = "find regressions over commits in asv's results and modbench's runs; write reports/history.md"

DEFAULT_ASV_RESULTS = Path(".asv/results")  # results_dir in asv.conf.json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--asv-results", type=path_argument, metavar="DIR",
                        help=f"asv's results directory (default {DEFAULT_ASV_RESULTS}/, when it exists)")
    parser.add_argument("--results-dir", "--results", dest="results_dir", type=path_argument, metavar="DIR",
                        help=f"modbench's saved runs (default: the first of {', '.join(f'{d}/' for d in RESULTS_SEARCH)} that exists)")
    parser.add_argument("--out", type=path_argument, default=Path("reports"), metavar="DIR",
                        help="where history.md and history/*.png go (default reports/)")
    parser.add_argument("--repo", type=path_argument, metavar="DIR",
                        help="git repository whose history orders the commits (default: . when it is one; commit dates otherwise)")
    parser.add_argument("--alpha", type=float, default=Thresholds.alpha,
                        help=f"significance level of the Mann-Whitney U test (default {Thresholds.alpha})")
    parser.add_argument("--min-effect", type=float, default=Thresholds.min_effect, metavar="FRACTION",
                        help=f"smallest relative change of a timing or memory reported (default {Thresholds.min_effect})")
    parser.add_argument("--noise-factor", type=float, default=Thresholds.noise_factor, metavar="K",
                        help="a timing step must exceed K times the series' spread between commits "
                             f"(default {Thresholds.noise_factor})")
    parser.add_argument("--no-fail", action="store_true",
                        help="exit 0 even when regressions are found (default: exit 1, as asv continuous does)")
    add_format_option(parser, "the regressions")


def run(args: argparse.Namespace) -> int:
    if not 0 < args.alpha < 1:
        raise UsageError(f"--alpha must be between 0 and 1, got {args.alpha}; e.g. --alpha 0.01")
    if args.min_effect < 0:
        raise UsageError(f"--min-effect must be a non-negative fraction, got {args.min_effect}; e.g. --min-effect 0.1")
    if args.noise_factor < 0:
        raise UsageError(f"--noise-factor must be 0 or more, got {args.noise_factor}; e.g. --noise-factor 3")
    order = git_order(args.repo or Path("."))
    if args.repo is not None and not order:
        raise UsageError(f"{str(args.repo)!r} is not a git repository with commits; pass the repository the results were measured in")
    writable_dir(args.out, "the history report")
    frames, sources = [], []
    asv_dir = _source_dir(args.asv_results, DEFAULT_ASV_RESULTS)
    if asv_dir is not None:
        frames.append(_read_given(read_asv_results, asv_dir, args.asv_results, "asv results (machine folders of result JSON files)"))
        sources.append(f"asv results in `{asv_dir}`: {len(frames[-1])} values")
    store_dir = _source_dir(args.results_dir, *RESULTS_SEARCH)
    if store_dir is not None:
        frames.append(_read_given(read_store, store_dir, args.results_dir, "modbench runs (*.jsonl)"))
        sources.append(f"modbench runs in `{store_dir}`: {len(frames[-1])} values")
    if not any(len(frame) for frame in frames):
        raise UsageError(
            "no results to read: run `asv run` (docs/asv.md) or `modbench measure`, "
            "or point --asv-results / --results-dir at a results directory"
        )
    thresholds = Thresholds(alpha=args.alpha, min_effect=args.min_effect, noise_factor=args.noise_factor)
    history = analyse(frames, sources, order, thresholds)
    page = write_report(history, args.out)
    print(render(change_rows(history.regressions), args.format))
    print(f"{len(history.regressions)} regression(s), {len(history.improvements)} improvement(s) "
          f"in {len(history.series)} series; report: {page}", file=sys.stderr)
    if history.unconfirmed:
        print(f"{len(history.unconfirmed)} timing step(s) unconfirmed (one run per commit, under "
              f"{thresholds.min_noise_commits} commits; listed in the report): measure again at both commits to confirm them",
              file=sys.stderr)
    return 1 if history.regressions and not args.no_fail else 0


def _read_given(read: Callable[[Path], pd.DataFrame], directory: Path, given: Path | None, what: str) -> pd.DataFrame:
    """``read(directory)``; a directory the user named that holds nothing readable is a usage error."""
    frame = read(directory)
    if given is not None and frame.empty:
        raise UsageError(f"{str(directory)!r} holds no {what}; pass the directory that holds them")
    return frame


def _source_dir(given: Path | None, *defaults: Path) -> Path | None:
    """The directory asked for (which must exist), else the first default that exists."""
    if given is not None:
        if not given.is_dir():
            raise UsageError(f"{str(given)!r} is not a directory; pass the results directory itself")
        return given
    return first_existing(defaults)

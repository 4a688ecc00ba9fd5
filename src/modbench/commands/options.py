"""Options shared by the sub-commands: entry configs (``--set``, ``--hw``), lists of names and numbers, ``--format``."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from modbench.errors import UsageError, closest
from modbench.output import FORMAT_HELP, FORMATS
from modbench.spec import check_precision

T = TypeVar("T")


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """``--set key=value`` (repeatable) and ``--hw N``, a shortcut for ``--set hw=N``."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value of the entries (repeatable); `modbench list --format json` shows the keys",
    )
    parser.add_argument("--hw", type=int, metavar="N", help="input height and width (same as --set hw=N)")


def add_format_option(parser: argparse.ArgumentParser, what: str = "the results") -> None:
    """``--format``: one of :data:`modbench.output.FORMATS`, the same for every command."""
    parser.add_argument("--format", choices=FORMATS, default="table", help=f"how {what} are printed ({FORMAT_HELP})")


def add_threads_option(parser: argparse.ArgumentParser) -> None:
    """``--threads N``: the CPU threads to pin; without it, :func:`modbench.spec.default_threads` decides."""
    parser.add_argument("--threads", type=positive_int, help="CPU threads to pin (default: every core but one when timing, all cores for counts only)")


def add_cluster_option(parser: argparse.ArgumentParser) -> None:
    """``--cluster ADDRESS``: measure on a Dask cluster (the ``cluster`` extra), see :mod:`modbench.run.cluster`."""
    parser.add_argument(
        "--cluster", metavar="ADDRESS",
        help="measure on a Dask cluster: a scheduler address (tcp://host:8786) or local[:N] to start N "
        "single-threaded workers here (default: one for a timing run, one per core for counts), each measuring "
        "in its own child processes; one run file here either way",
    )


def add_columns_option(parser: argparse.ArgumentParser, default: Sequence[str]) -> None:
    """``--columns a,b,c``: which columns the table and Markdown formats show, in order."""
    parser.add_argument(
        "--columns", metavar="NAMES",
        help=f"table columns, comma-separated (default {', '.join(default)}; empty ones are left out, and a table "
        "wider than the terminal drops its last ones); json and csv always print every field",
    )


def chosen_columns(args: argparse.Namespace, default: Sequence[str], available: Sequence[str]) -> list[str]:
    """The ``--columns`` asked for (each one of ``available``), else ``default``."""
    if args.columns is None:
        return list(default)
    names = parse_name_list(args.columns, "--columns")
    unknown = [name for name in names if name not in available]
    if unknown:
        hints = closest(unknown[0], available)
        hint = f"did you mean {', '.join(hints)}?" if hints else f"columns: {', '.join(available)}"
        raise UsageError(f"unknown column {unknown[0]!r} for --columns; {hint}")
    return names


def parse_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The ``--set`` pairs (and ``--hw``) as a dict; a malformed pair is a usage error."""
    overrides = parse_pairs(args.overrides, "--set")
    if args.hw is not None:
        overrides["hw"] = str(args.hw)
    return overrides


def parse_pairs(pairs: Sequence[str], option: str) -> dict[str, str]:
    """``["in_channels=64", ...]`` given to ``option`` as a dict (the last of a repeated key wins)."""
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} expects KEY=VALUE, got {pair!r}; e.g. {option} in_channels=64")
        overrides[key.strip()] = value
    return overrides


MAX_INT = 2**31 - 1
"""The largest batch, size or thread count taken: torch indexes with 32-bit integers in many kernels."""


def parse_int_list(text: str, what: str) -> list[int]:
    """``"1,8,32"`` → ``[1, 8, 32]``, each a positive integer, each once (a repeat would be measured twice)."""
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        values = []
    if not values or any(not 1 <= v <= MAX_INT for v in values):
        raise UsageError(f"--{what} expects positive integers (at most {MAX_INT}) separated by commas, got {text!r}; e.g. --{what} 1,8,32")
    return unique(values)


def parse_name_list(text: str, option: str | None = None) -> list[str]:
    """``"params,flops"`` → ``["params", "flops"]``, each once; with ``option``, none at all is a usage error."""
    names = unique(part.strip() for part in text.split(",") if part.strip())
    if option is not None and not names:
        raise UsageError(f"{option} names nothing (got {text!r}); pass at least one, e.g. {option} {_EXAMPLES.get(option, 'NAME')}")
    return names


_EXAMPLES = {"--mode": "infer", "--columns": "entry,params"}


def positive_int(text: str) -> int:
    """An argparse ``type`` for a count such as ``--threads``: a whole number from 1 to :data:`MAX_INT`."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}") from None
    if not 1 <= value <= MAX_INT:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to {MAX_INT}, got {text!r}")
    return value


def precision_fraction(text: str) -> float:
    """An argparse ``type`` for ``--precision``: a fraction as :func:`modbench.spec.check_precision` admits (0.03 = ±3 %)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction such as 0.03 (for ±3 %), got {text!r}") from None
    try:
        return check_precision(value)
    except UsageError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def unique(items: Iterable[T]) -> list[T]:
    """``items`` in their order, repeats dropped: asking twice for the same measurement measures it once."""
    return list(dict.fromkeys(items))

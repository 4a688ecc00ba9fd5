"""The ``modbench`` command: wiring only; each sub-command lives in ``modbench.commands``.

A :class:`UsageError` anywhere becomes one line on stderr and exit status 2, without traceback.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
import warnings
from collections.abc import Sequence
from typing import NoReturn

from modbench import forkserver
from modbench._version import __version__
from modbench.errors import UsageError
from modbench.text import printable

# sub-command name -> module in modbench.commands defining HELP, add_arguments(parser), run(args) -> int
COMMANDS = {
    "list": "list_entries",
    "measure": "measure",
    "compare": "compare",
    "profile": "profile",
    "claims": "claims",
    "report": "report",
    "history": "history",
}


# Commands that measure in child processes (unless judging saved results with --from): their
# forkserver is started before the command's own imports, to import beside them.
MEASURING = {"measure", "compare", "claims", "report"}


def will_measure(argv: Sequence[str]) -> bool:
    """Whether the command line names a measuring command (a cheap look, before the parser exists)."""
    words = iter(argv)
    for word in words:
        if word == "--plugin":
            next(words, None)
        elif not word.startswith("-"):
            return word in MEASURING and not {"--from", "-h", "--help"} & set(argv)
    return False


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse with its errors on one line (and a pointer to ``--help``) instead of a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}; see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered (sub-parsers inherit its class)."""
    parser = OneLineErrorParser(
        prog="modbench",
        description="What does this PyTorch block really cost, and is the claimed saving real?",
    )
    parser.add_argument("--version", action="version", version=f"modbench {__version__}")
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="PATH",
        help="a Python file registering extra catalog entries with @modbench.catalog.register (repeatable)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module_name in COMMANDS.items():
        command = importlib.import_module(f"modbench.commands.{module_name}")
        sub = subparsers.add_parser(name, help=command.HELP, description=command.HELP)
        command.add_arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``modbench`` console script."""
    if will_measure(sys.argv[1:] if argv is None else argv):
        forkserver.start_early()
    parser = build_parser()
    args = parser.parse_args(argv)
    # torch's construction-time warnings (zero-element tensors, deprecations) are not the user's
    # business on the command line; they would break the one-line error promise.
    warnings.filterwarnings("ignore", module=r"torch\.")
    try:
        from modbench.catalog import load_plugin

        for plugin in args.plugin:
            load_plugin(plugin)
        return int(args.run(args) or 0)
    except UsageError as error:
        print(f"modbench: error: {printable(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("modbench: interrupted", file=sys.stderr)
        return 130


def console() -> NoReturn:
    """The ``modbench`` script and ``python -m modbench``: :func:`main`, then an exit without the final collection.

    At exit the interpreter collects every object it still holds; with torch, ``torch._dynamo``
    and the catalog imported that is about 0.6 s on this project's 2-core machine, added to every
    command after its output is complete (whoever reads it through a pipe waits for it).
    Everything the command keeps (run files, traces, reports) is written and closed by then, so
    the objects left are frozen instead (``gc.freeze``): exit handlers still run and streams are
    still flushed, only the collection is skipped. :func:`main` itself stays an ordinary call for
    callers that go on afterwards (the tests).
    """
    status = main()
    gc.freeze()
    sys.exit(status)


if __name__ == "__main__":
    console()

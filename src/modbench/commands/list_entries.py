"""``modbench list``: the catalog, filtered by family, tag and name wildcards."""

from __future__ import annotations

import argparse
import re

from modbench.catalog import all_tags, get_entry, list_entries
from modbench.catalog.registry import FAMILIES
from modbench.commands.options import add_format_option
from modbench.errors import UsageError, closest
from modbench.output import render
from modbench.text import format_config

HELP = "list the catalog's blocks and models"

WILDCARD = re.compile(r"[*?\[]")  # fnmatch's special characters


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("patterns", nargs="*", default=["*"], help="name wildcards to include (default: all)")
    parser.add_argument("--exclude", action="append", default=[], metavar="PATTERN", help="name wildcard to leave out")
    parser.add_argument("--family", choices=FAMILIES, help="only blocks or only models")
    parser.add_argument("--tag", action="append", default=[], help="only entries carrying this tag (repeatable: all must match)")
    add_format_option(parser, "the entries")


def run(args: argparse.Namespace) -> int:
    known_tags = all_tags()
    for tag in args.tag:
        if tag not in known_tags:
            hints = closest(tag, known_tags)
            raise UsageError(f"unknown tag {tag!r}; " + (f"did you mean {', '.join(hints)}?" if hints else f"tags: {', '.join(known_tags)}"))
    for pattern in args.patterns:
        if not WILDCARD.search(pattern):
            get_entry(pattern)  # a plain name that is not an entry: say which ones are closest
    names = list_entries(include=args.patterns, exclude=args.exclude, family=args.family, tags=args.tag)
    rows = []
    for name in names:
        entry = get_entry(name)
        rows.append({
            "name": name,
            "family": entry.family,
            "summary": entry.summary,
            "source": str(entry.source),
            "tags": list(entry.tags),
            "default_config": entry.default_config if args.format == "json" else format_config(entry.default_config),
        })
    columns = ["name", "family", "summary", "tags"] if args.format == "table" else None
    print(render(rows, args.format, columns))
    return 0

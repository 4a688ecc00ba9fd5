"""Render rows (dicts) as a table, JSON, CSV or Markdown for the terminal and for files."""

from __future__ import annotations

import json
import math
import re
import shutil
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from modbench.quantities import format_quantity
from modbench.text import format_number, printable

FORMATS = ("table", "json", "csv", "markdown")
"""Every output format, declared once; every command that prints a table offers them all."""
FORMAT_HELP = "table: aligned text for a terminal; json and csv: every field, for programs; markdown: a GitHub table"


def render(
    rows: Sequence[dict[str, Any]],
    fmt: str,
    columns: Sequence[str] | None = None,
    *,
    units: Mapping[str, str] | None = None,
    width: int | None = None,
) -> str:
    """``rows`` in ``fmt``; ``columns`` picks and orders the table and Markdown columns.

    JSON and CSV are for programs and keep every field; a CSV cell holding a config or a list
    of ops is JSON, and integers stay integers in a column with gaps. Tables are for people: a
    column in ``units`` shows its numbers with an SI prefix and unit, a column with nothing in
    it is left out, and a table wider than ``width`` (default: the terminal's, when stdout is
    one) drops its last columns and says which.
    """
    if fmt == "json":
        return json.dumps(list(rows), indent=2, default=str)
    if fmt == "csv":
        cells = [{key: _csv_cell(value) for key, value in row.items()} for row in rows]
        return pd.DataFrame(cells, dtype=object).to_csv(index=False)
    frame = pd.DataFrame(list(rows), dtype=object)
    if columns is not None and not frame.empty:
        frame = frame[[c for c in columns if c in frame.columns]]
    if frame.empty:
        return "(no rows)"
    frame = frame.astype(object)
    for column, unit in (units or {}).items():
        if column in frame.columns:
            frame[column] = frame[column].map(lambda value, unit=unit: _quantity_cell(value, unit))
    frame = frame.map(format_cell).map(markdown_cell if fmt == "markdown" else printable)
    frame = frame.loc[:, (frame != "").any()]  # a metric nobody measured is not a column of gaps
    if fmt == "markdown":
        return _tabulate(frame, "github")
    return fit_width(frame, terminal_width() if width is None else width)


def _tabulate(frame: pd.DataFrame, style: str) -> str:
    # cells are already formatted: tabulate must not parse "14,651,400" back into 1.46514e+07
    return frame.to_markdown(index=False, tablefmt=style, disable_numparse=True)


def fit_width(frame: pd.DataFrame, width: int | None) -> str:
    """``frame`` as a plain table, its last columns left out (and named) until it fits ``width``."""
    text = _tabulate(frame, "simple")
    hidden: list[str] = []
    while width is not None and len(frame.columns) > 2 and _widest(text) > width:
        hidden.insert(0, str(frame.columns[-1]))
        frame = frame.iloc[:, :-1]
        text = _tabulate(frame, "simple")
    if hidden:
        text += f"\n({len(hidden)} more columns: {', '.join(hidden)}; choose with --columns, all with --format csv)"
    return text


def _widest(text: str) -> int:
    return max(len(line) for line in text.splitlines())


def terminal_width() -> int | None:
    """The terminal's width when stdout is one; ``None`` (no limit) for a pipe or a file."""
    return shutil.get_terminal_size().columns if sys.stdout.isatty() else None


def _quantity_cell(value: Any, unit: str) -> Any:
    """A number in a column with a unit, as text with its prefix and unit; anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return format_quantity(value, unit)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, default=str)
    return printable(value, keep_newlines=True) if isinstance(value, str) else value


def markdown_cell(text: str) -> str:
    """A table cell for GitHub Markdown: ``|`` escaped and line breaks as ``<br>``, so a row stays one row."""
    return printable(re.sub(r"\r\n|\r|\n", "<br>", text)).replace("|", "\\|")


def format_cell(value: Any) -> str:
    """One value as a table shows it: gaps for missing, big integers grouped, other numbers to 4 digits."""
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) >= 1e4):
        return f"{int(value):,}" if abs(value) >= 1e4 else str(int(value))
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)

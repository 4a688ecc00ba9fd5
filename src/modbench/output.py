"""Render rows (dicts) as a table, JSON, CSV or Markdown for the terminal and for files."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

FORMATS = ("table", "json", "csv", "markdown")


def render(rows: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str] | None = None) -> str:
    """``rows`` in ``fmt``; ``columns`` picks and orders the table and Markdown columns.

    JSON and CSV are for programs and keep every field; a CSV cell holding a config or a list
    of ops is JSON, and integers stay integers in a column with gaps.
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
    frame = frame.astype(object).map(format_cell)
    # cells are already formatted: tabulate must not parse "14,651,400" back into 1.46514e+07
    return frame.to_markdown(index=False, tablefmt="github" if fmt == "markdown" else "simple", disable_numparse=True)


def format_number(value: float) -> str:
    """A measured number in 4 significant digits (exponent form for tiny or huge values)."""
    if math.isinf(value):
        return "∞"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4g}"


def _csv_cell(value: Any) -> Any:
    return json.dumps(value, default=str) if isinstance(value, (dict, list, tuple)) else value


def format_cell(value: Any) -> str:
    """One value as a table shows it: gaps for missing, big integers grouped, other numbers to 4 digits."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
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

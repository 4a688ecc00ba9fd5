"""Text helpers every layer uses (errors, tables, messages); this module imports nothing of modbench."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any


def first_line(error: BaseException) -> str:
    """The first non-empty line of an exception message, for one-line errors."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def format_config(config: Mapping[str, Any]) -> str:
    """``key=value`` pairs, sorted, for messages and tables."""
    return ", ".join(f"{key}={value}" for key, value in sorted(config.items()))


def format_number(value: float) -> str:
    """A measured number in 4 significant digits (exponent form for tiny or huge values)."""
    if math.isinf(value):
        return "∞"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4g}"


def slug(text: str) -> str:
    """``text`` as a file or folder name: runs of anything but letters, digits and ``._=-`` become ``_``."""
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", text).strip("_")[:150]


def format_interval(low: float | None, high: float | None) -> str:
    """``0.48–0.52``: a confidence interval as the report prints it (empty when there is none)."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return ""
    return f"{format_number(low)}–{format_number(high)}"


# C0 controls but tab and newline, DEL, C1 controls (ESC/CSI/OSC start terminal sequences), and the
# bidirectional overrides that make text display in another order than it reads.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_UNPRINTABLE = re.compile(f"[{_CONTROLS}]")
_UNPRINTABLE_OR_LINE_BREAK = re.compile(f"[{_CONTROLS}\t\n]")
_VISIBLE = {"\n": "\\n", "\r": "\\r", "\t": " "}


def printable(text: str, keep_newlines: bool = False) -> str:
    """``text`` safe to print: control characters shown as ``\\x1b``-style escapes, so a name or an
    error message can never move the cursor, retitle the terminal or break a table row.

    ``keep_newlines`` keeps tab and newline (for CSV, whose quoting holds them).
    """
    pattern = _UNPRINTABLE if keep_newlines else _UNPRINTABLE_OR_LINE_BREAK
    return pattern.sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    return _VISIBLE.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")

"""Warnings for the user: one line on stderr each, never raw control characters.

A reader that skips something it cannot read (a corrupt line, a foreign file) says so here and
goes on, so one bad file never hides the results of every other.
"""

from __future__ import annotations

import sys

from modbench.text import printable


def warn(message: str) -> None:
    """Print ``modbench: warning: <message>`` as one line on stderr."""
    print(f"modbench: warning: {printable(message)}", file=sys.stderr, flush=True)

"""User-facing errors.

Every mistake a user can make (an unknown name, a bad value, a shape a block cannot take) raises
:class:`UsageError` with a one-line message that names the problem and the fix. The CLI prints that
line and exits with status 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UsageError(ValueError):
    """A problem with what the user asked for; the message is one line naming the fix."""


def closest(word: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """The candidates nearest to ``word``, best first (for "did you mean" hints)."""
    pool = list(candidates)
    hits = difflib.get_close_matches(word, pool, n=n, cutoff=0.5)
    if not hits:
        hits = [c for c in pool if word.lower() in c.lower() or c.lower() in word.lower()][:n]
    return hits

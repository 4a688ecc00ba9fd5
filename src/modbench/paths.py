"""Directories the user names (``--out``, ``--logdir``, ``--results-dir``), checked before any work.

A measurement run can take minutes; finding out at its end that the output directory cannot be
written would lose it. Each command proves its directories writable first, and a failure is a
one-line usage error naming the directory and the fix.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from modbench.errors import UsageError


def writable_dir(path: str | Path, what: str) -> Path:
    """Create ``path`` if needed and prove a file can be written there, or raise a one-line usage error."""
    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"cannot write {what} to {str(directory)!r}: it is a file, not a directory; pass a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise UsageError(f"cannot write {what} to {str(directory)!r}: {reason}; pass a writable directory") from error
    return directory

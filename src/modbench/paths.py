"""Directories the user names (``--out``, ``--logdir``, ``--results-dir``), checked before any work.

A measurement run can take minutes; finding out at its end that the output directory cannot be
written would lose it. Each command proves its directories writable first, by writing and
syncing a probe byte (a permission check alone passes on a full disk), and a failure is a
one-line usage error naming the directory and the fix.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from modbench.errors import UsageError


def writable_dir(path: str | Path, what: str) -> Path:
    """Create ``path`` if needed and prove a byte can be written there, or raise a one-line usage error."""
    if str(path) == "":
        raise UsageError(f"the directory for {what} is empty; pass a directory name")
    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"cannot write {what} to {str(directory)!r}: it is a file, not a directory; pass a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory) as probe:
            probe.write(b"\0")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        raise UsageError(f"cannot write {what} to {str(directory)!r}: {reason}; pass a writable directory (or free space)") from error
    return directory


def path_argument(text: str) -> Path:
    """An argparse ``type`` for a file or directory option: ``""`` (which :class:`Path` would read
    as ``.``, the current directory) and a NUL byte (no path can hold one) are refused."""
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path; pass a directory, e.g. results")
    if "\x00" in text:
        raise argparse.ArgumentTypeError(f"{text!r} holds a NUL byte, which no path can; pass a directory name")
    return Path(text)


def first_existing(candidates: Sequence[Path]) -> Path | None:
    """The first of ``candidates`` that is a directory (``None`` if none is)."""
    return next((candidate for candidate in candidates if candidate.is_dir()), None)

"""How the commands show a run's progress: a rich bar on a terminal, one line per measurement otherwise."""

from __future__ import annotations

import sys
from typing import IO

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from modbench.text import printable
from modbench.records import Record
from modbench.run.session import Progress
from modbench.spec import Spec


def summary(record: Record, reason: bool = True) -> str:
    """A record in a few words: ``ok 1.23 ms``, ``timeout``, or with ``reason`` ``timeout (exceeded ...)``."""
    if not record.ok:
        return f"{record.status} ({record.error})" if reason else record.status
    return "ok" + (f" {record.latency_ms:.4g} ms" if record.latency_ms is not None else "")


class LineProgress(Progress):
    """One plain line per finished measurement, for logs and pipes."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.stream = stream

    def end(self, spec: Spec, record: Record) -> None:
        super().end(spec, record)
        # Failures are named with their reason once, at the end of the run.
        print(printable(f"modbench: [{self.done}/{self.total}] {spec.label}: {summary(record, reason=False)}"), file=self.stream, flush=True)


class BarProgress(Progress):
    """A rich progress bar naming the measurement in flight, for a terminal."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self._bar = RichProgress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(file=stream), transient=True,
        )

    def start(self, total: int) -> None:
        super().start(total)
        self._bar.start()
        self._id = self._bar.add_task("starting", total=total)

    def begin(self, spec: Spec) -> None:
        self._bar.update(self._id, description=escape(printable(spec.label)))  # a name is text, not rich markup

    def end(self, spec: Spec, record: Record) -> None:
        super().end(spec, record)
        if not record.ok:  # named above the bar now, with the reason at the end of the run
            self._bar.console.print(printable(f"{spec.label}: {summary(record, reason=False)}"), markup=False)
        self._bar.advance(self._id)

    def close(self) -> None:
        self._bar.stop()


def progress_for(stream: IO[str] = sys.stderr) -> Progress:
    """A bar on a terminal, plain lines otherwise."""
    return BarProgress(stream) if stream.isatty() else LineProgress(stream)

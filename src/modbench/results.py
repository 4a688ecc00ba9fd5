"""The results store: one append-only JSONL file per run, merged into one table on load.

A run writes ``<results dir>/<run id>.jsonl``. Its first line is a header (``"kind": "run"``:
the run id, when it started, and the plan of what it was asked to measure, so ``--resume`` can
finish it); every other line is one record (``"kind": "record"``), written, flushed and fsynced
the moment it is measured, so a crash, a kill or a power cut loses at most the record being
measured. A resumed run appends to the same file; for a key measured twice the later line wins.

Run ids carry the UTC start time and the machine id (``20261125T103000Z-3f2a9c1b7d4e-5a1c``), so
runs from any number of machines can be copied into one directory and loaded together without
colliding: every row of the merged table carries its run id and its machine's environment.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pandas as pd

from modbench.environment import machine_id
from modbench.errors import UsageError
from modbench.output import render
from modbench.paths import writable_dir
from modbench.records import Environment, Record, RecordKey

DEFAULT_RESULTS_DIR = Path("results")
SUFFIX = ".jsonl"

KEY_COLUMNS = [item.name for item in fields(RecordKey)]
VALUE_COLUMNS = [item.name for item in fields(Record) if item.name not in ("key", "env")]
ENV_COLUMNS = [item.name for item in fields(Environment)]
COLUMNS = ["run", *KEY_COLUMNS, *VALUE_COLUMNS, *ENV_COLUMNS]


def new_run_id() -> str:
    """A run id unique across machines: UTC start time, machine id, and a random suffix."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{machine_id()}-{secrets.token_hex(2)}"


@dataclass
class RunLog:
    """What one run file holds: its header (``None`` if it has none) and its records in file order."""

    path: Path
    run_id: str
    header: dict[str, Any] | None
    records: list[Record]

    def latest(self) -> list[Record]:
        """One record per key, the last one written (a resumed key's new result replaces its failure)."""
        by_key: dict[RecordKey, Record] = {}
        for record in self.records:
            by_key.pop(record.key, None)
            by_key[record.key] = record
        return list(by_key.values())


class RunWriter:
    """Appends records to one run file, each flushed and fsynced before :meth:`append` returns."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        if _last_byte(path) not in (b"", b"\n"):
            self._write(b"\n")  # a run killed mid-line left a torn line; start the next one cleanly

    @classmethod
    def create(cls, results_dir: Path, plan: Sequence[dict[str, Any]] | None, **meta: Any) -> RunWriter:
        """A new run file in ``results_dir``, its header written: the plan (``None``: not resumable) and ``meta``."""
        run_id = new_run_id()
        writer = cls(writable_dir(results_dir, "results") / f"{run_id}{SUFFIX}", run_id)
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        writer._write_line({"kind": "run", "run": run_id, "started": started, "plan": plan, **meta})
        return writer

    def append(self, record: Record) -> None:
        """Write ``record`` as one line and make it durable before returning."""
        self._write_line({"kind": "record", "run": self.run_id, **record.to_dict()})

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _write_line(self, row: dict[str, Any]) -> None:
        self._write((json.dumps(row, default=str, separators=(",", ":")) + "\n").encode())

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        os.fsync(self._fd)


def _last_byte(path: Path) -> bytes:
    with path.open("rb") as file:
        file.seek(0, os.SEEK_END)
        if not file.tell():
            return b""
        file.seek(-1, os.SEEK_END)
        return file.read(1)


def run_path(run: str | Path, results_dir: str | Path = DEFAULT_RESULTS_DIR) -> Path:
    """The file of ``run``: a path to a run file, or a run id looked up in ``results_dir``."""
    candidate = Path(run)
    if candidate.is_file():
        return candidate
    in_dir = Path(results_dir) / f"{run}{SUFFIX}"
    if in_dir.is_file():
        return in_dir
    known = sorted(p.stem for p in Path(results_dir).glob(f"*{SUFFIX}")) if Path(results_dir).is_dir() else []
    hint = f"; runs in {results_dir}: {', '.join(known[-3:])}" if known else f"; {results_dir} holds no runs"
    raise UsageError(f"no run {str(run)!r} (neither a file nor a run id in {results_dir}){hint}")


def read_run(path: str | Path) -> RunLog:
    """Read one run file. A torn last line (the run was killed while writing it) is skipped.

    A file whose records come without a run header, or that holds a line that is not a record,
    is not a modbench run: a usage error, rather than results silently missing. A file with
    nothing complete in it (killed before its header was written) is an empty run.
    """
    path = Path(path)
    header: dict[str, Any] | None = None
    records: list[Record] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as error:
        raise UsageError(f"{path} is not a modbench run (not UTF-8 text); pass a file that modbench wrote under results/") from error
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            if number == len(lines):
                break
            raise UsageError(f"{path}:{number} is not a JSON line ({error.msg}); the run file is damaged") from error
        if not isinstance(row, dict):
            raise UsageError(f"{path}:{number} is not a record (a JSON object); the run file is damaged")
        if row.get("kind") == "run":
            header = row
            continue
        if header is None:
            raise UsageError(f"{path} is not a modbench run (its first line is not a run header); pass a file that modbench wrote under results/")
        try:
            records.append(Record.from_dict(row))
        except (KeyError, TypeError) as error:
            raise UsageError(f"{path}:{number} is not a modbench record (missing or bad field {error}); the run file is damaged") from error
    run_id = header["run"] if header else path.stem
    return RunLog(path=path, run_id=run_id, header=header, records=records)


def records_frame(records: Iterable[Record], run: str | None = None) -> pd.DataFrame:
    """Records as a DataFrame with the fixed :data:`COLUMNS` (config as canonical JSON, so it can be grouped on)."""
    rows = []
    for record in records:
        row = record.to_dict()
        row["config"] = record.key.config
        row["run"] = run
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def load_runs(sources: str | Path | Iterable[str | Path] = DEFAULT_RESULTS_DIR, latest: bool = True) -> pd.DataFrame:
    """Every record of every run in ``sources`` (run files, or directories of them) as one DataFrame.

    Rows are identified by ``run`` plus the key columns; with ``latest``, a key measured twice
    within a run (a failure, then its resumed success) keeps only its last record.
    """
    items = [sources] if isinstance(sources, (str, Path)) else list(sources)
    paths: list[Path] = []
    for item in map(Path, items):
        if item.is_dir():
            paths.extend(sorted(item.glob(f"*{SUFFIX}")))
        elif item.is_file():
            paths.append(item)
        else:
            raise UsageError(f"no results at {str(item)!r}; pass a run file or a directory of them")
    frames = []
    for path in paths:
        log = read_run(path)
        frames.append(records_frame(log.latest() if latest else log.records, run=log.run_id))
    if not frames:
        return records_frame([])
    return pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)


def export(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` as CSV (``.csv``) or a Markdown table (``.md``), chosen by the suffix."""
    path = Path(path)
    formats = {".csv": "csv", ".md": "markdown"}
    if path.suffix not in formats:
        raise UsageError(f"cannot export to {path.name!r}; use a .csv or .md file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(frame.to_dict("records"), formats[path.suffix], list(frame.columns)))
    return path

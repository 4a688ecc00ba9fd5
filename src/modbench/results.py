"""The results store: one append-only JSONL file per run, merged into one table on load.

A run writes ``<results dir>/<run id>.jsonl``. Its first line is a header (``"kind": "run"``:
the run id, when it started, and the plan of what it was asked to measure, so ``--resume`` can
finish it); every other line is one record (``"kind": "record"``), written, flushed and fsynced
the moment it is measured, so a crash, a kill or a power cut loses at most the record being
measured. A resumed run appends to the same file; for a key measured twice the later line wins.

Writing never puts a record after a partial line: a torn tail is cut back before appending, and a
write that fails (a full disk) is cut back and raised as :class:`RunWriteError`, every complete
record kept. A writer holds an exclusive lock on its file, so two processes never append to one
run. Reading skips what it cannot read with one warning and goes on: one damaged or foreign file
in a results directory never hides the others.

Run ids carry the UTC start time and the machine id (``20261125T103000Z-3f2a9c1b7d4e-5a1c``), so
runs from any number of machines can be copied into one directory and loaded together without
colliding: every row of the merged table carries its run id and its machine's environment.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
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
from modbench.notices import warn
from modbench.output import render
from modbench.paths import writable_dir
from modbench.records import Environment, Record, RecordKey, value_columns

DEFAULT_RESULTS_DIR = Path("results")
RESULTS_SEARCH = (DEFAULT_RESULTS_DIR, Path("reports") / "results")
"""Where readers look for runs when none is named: ``measure``'s default, then ``report``'s."""
SUFFIX = ".jsonl"

KEY_COLUMNS = [item.name for item in fields(RecordKey)]
VALUE_COLUMNS = value_columns()
ENV_COLUMNS = [item.name for item in fields(Environment)]
COLUMNS = ["run", *KEY_COLUMNS, *VALUE_COLUMNS, *ENV_COLUMNS]
NUMBER_FIELDS = [item.name for item in fields(Record) if item.type in ("int | None", "float | None")]


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
        """One record per key, the last one written (a resumed key's new result replaces its failure).

        A key timed in several pairs (a side compared with several others) keeps its ``ok``
        record of each pair, so every pair can still be read round by round; the key's last
        record written comes last (it is what :meth:`ResultSet.get` returns).
        """
        by_slot: dict[tuple[RecordKey, str | None], Record] = {}
        for record in self.records:
            slot = (record.key, record.pair if record.ok else None)
            unpaired = by_slot.get((record.key, None))
            if record.ok and unpaired is not None and not unpaired.ok:
                del by_slot[(record.key, None)]
            by_slot.pop(slot, None)
            by_slot[slot] = record
        return list(by_slot.values())


class RunLockedError(UsageError):
    """Another process is writing this run (a second ``--resume`` would measure its keys twice)."""


class RunWriteError(Exception):
    """A run file could not be written (a full disk, a failing device): every complete record is
    kept; ``record`` is the one that could not be saved (``None``: the run header)."""

    def __init__(self, path: Path, error: OSError, record: Record | None = None) -> None:
        reason = error.strerror or str(error) or type(error).__name__
        super().__init__(f"cannot write {path}: {reason}; every record before this one is kept there")
        self.path = path
        self.record = record


class RunWriter:
    """Appends records to one run file, each flushed and fsynced before :meth:`append` returns.

    It holds an exclusive lock on the file while open, so two processes can never append to one
    run; and it never writes after a partial line: a torn tail left by a crash or a full disk is
    cut back to the last whole record first, and a write that fails is cut back the same way.
    """

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise RunLockedError(
                f"run {run_id} ({path}) is being written by another modbench process; "
                "wait for it to finish, then resume it if anything is left"
            ) from None
        try:
            self._repair_tail()
        except OSError as error:
            os.close(self._fd)
            raise RunWriteError(path, error) from error

    @classmethod
    def create(cls, results_dir: Path, plan: Sequence[dict[str, Any]] | None, **meta: Any) -> RunWriter:
        """A new run file in ``results_dir``, its header written: the plan (``None``: not resumable) and ``meta``.

        A header that cannot be written leaves no file behind.
        """
        run_id = new_run_id()
        writer = cls(writable_dir(results_dir, "results") / f"{run_id}{SUFFIX}", run_id)
        started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        try:
            writer._write_line({"kind": "run", "run": run_id, "started": started, "plan": plan, **meta})
        except RunWriteError:
            writer.close()
            writer.path.unlink(missing_ok=True)
            raise
        return writer

    def append(self, record: Record) -> None:
        """Write ``record`` as one line and make it durable before returning (:class:`RunWriteError` if it cannot be)."""
        self._write_line({"kind": "record", "run": self.run_id, **record.to_dict()}, record)

    def close(self) -> None:
        os.close(self._fd)  # releases the lock

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _write_line(self, row: dict[str, Any], record: Record | None = None) -> None:
        data = (json.dumps(row, default=str, separators=(",", ":")) + "\n").encode()
        size = os.fstat(self._fd).st_size
        try:
            self._write(data)
        except OSError as error:
            with contextlib.suppress(OSError):  # if even this fails, the next writer cuts the tail
                os.ftruncate(self._fd, size)
            raise RunWriteError(self.path, error, record) from error

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view):]
        os.fsync(self._fd)

    def _repair_tail(self) -> None:
        """Make the file end with a whole line: a last line cut mid-write is removed, one that lacks only its newline gets it."""
        size = os.fstat(self._fd).st_size
        if size == 0 or os.pread(self._fd, 1, size - 1) == b"\n":
            return
        start = _last_line_start(self._fd, size)
        tail = os.pread(self._fd, size - start, start)
        if _is_json_object(tail):
            self._write(b"\n")
            return
        os.ftruncate(self._fd, start)
        os.fsync(self._fd)
        warn(f"{self.path}: removed a torn last line ({size - start} bytes of a record cut mid-write)")


def _last_line_start(fd: int, size: int, chunk: int = 1 << 16) -> int:
    """The offset just after the last newline in the file (0 if there is none)."""
    end = size
    while end > 0:
        begin = max(0, end - chunk)
        position = os.pread(fd, end - begin, begin).rfind(b"\n")
        if position >= 0:
            return begin + position + 1
        end = begin
    return 0


def _is_json_object(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data), dict)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        return False


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


class UnreadableRunError(UsageError):
    """A file that cannot be read as a modbench run at all (foreign, not text, unreadable)."""


def read_run(path: str | Path) -> RunLog:
    """Read one run file, skipping what cannot be read with one warning for the file, and going on.

    A torn last line (the run was killed while writing it) is skipped silently; any other line that
    is not a whole record (corrupt, foreign, a config that is not JSON) is skipped, and the warning
    names the first such line and how many there were. A file that is not a modbench run at all
    (not UTF-8 text, records without a run header) raises :class:`UnreadableRunError`. A file with
    nothing complete in it (killed before its header was written) is an empty run.
    """
    path = Path(path)
    header: dict[str, Any] | None = None
    records: list[Record] = []
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableRunError(f"{path} is not a modbench run (not UTF-8 text); pass a file that modbench wrote under results/") from error
    except OSError as error:
        raise UnreadableRunError(f"cannot read {path}: {error.strerror or error}") from error
    lines = text.split("\n")
    torn_tail = len(lines) - 1  # index of the part after the last newline: "" unless the run was cut mid-line
    skipped: list[tuple[int, str]] = []
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        row, problem = _parse_line(line)
        if problem is not None:
            if index != torn_tail:
                skipped.append((index + 1, problem))
            continue
        if row.get("kind") == "run":
            if header is None:
                header = row
            else:
                skipped.append((index + 1, "a second run header"))
            continue
        if header is None and row.get("kind") != "record":
            raise UnreadableRunError(f"{path} is not a modbench run (its first line is not a run header); pass a file that modbench wrote under results/")
        record, problem = _parse_record(row)
        if record is None:
            skipped.append((index + 1, problem))
        else:
            records.append(record)
    if skipped:
        number, problem = skipped[0]
        more = f" (and {len(skipped) - 1} more unreadable lines)" if len(skipped) > 1 else ""
        warn(f"{path}:{number}: {problem}; skipped{more}, the rest of the run is read")
    run_id = str(header.get("run") or path.stem) if header else path.stem
    return RunLog(path=path, run_id=run_id, header=header, records=records)


def _parse_line(line: str) -> tuple[dict[str, Any], None] | tuple[None, str]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        return None, f"not a JSON line ({error.msg})"
    if not isinstance(row, dict):
        return None, "not a record (a JSON object)"
    return row, None


def _parse_record(row: dict[str, Any]) -> tuple[Record, None] | tuple[None, str]:
    """``row`` as a record, or why it is not one (a missing or mistyped key field, a config that is not JSON)."""
    try:
        record = Record.from_dict(row)
        config = record.key.config_dict
    except KeyError as error:
        return None, f"not a modbench record (no {error} field)"
    except (TypeError, ValueError) as error:
        return None, f"not a modbench record ({type(error).__name__}: {error})"
    key = record.key
    if not isinstance(config, dict):
        return None, "not a modbench record (its config is not a JSON object)"
    text_fields = (key.entry, key.device, key.dtype, key.mode, record.status)
    if not all(isinstance(value, str) for value in text_fields) or not all(
        isinstance(value, int) and not isinstance(value, bool) for value in (key.batch, key.threads)
    ):
        return None, "not a modbench record (a key field of the wrong type)"
    wrong = [name for name in NUMBER_FIELDS if not _is_number_or_none(getattr(record, name))]
    wrong += [item.name for item in fields(Environment) if not isinstance(getattr(record.env, item.name), (str, type(None)))]
    if wrong:
        return None, f"not a modbench record ({wrong[0]} has the wrong type)"
    return record, None


def _is_number_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def records_frame(records: Iterable[Record], run: str | None = None) -> pd.DataFrame:
    """Records as a DataFrame with the fixed :data:`COLUMNS` (config as canonical JSON, so it can be grouped on)."""
    rows = []
    for record in records:
        row = record.to_dict()
        row["config"] = record.key.config
        row["run"] = run
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def read_runs(sources: str | Path | Iterable[str | Path] = DEFAULT_RESULTS_DIR) -> list[RunLog]:
    """Every run in ``sources`` (run files, or directories of them), in path order.

    A source that does not exist is a usage error; a run file that cannot be read is named in a
    warning and skipped, so the other runs are still read.
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
    logs = []
    for path in paths:
        try:
            logs.append(read_run(path))
        except UnreadableRunError as error:
            warn(f"{error}; skipped, the other runs are read")
    return logs


def load_runs(sources: str | Path | Iterable[str | Path] = DEFAULT_RESULTS_DIR, latest: bool = True) -> pd.DataFrame:
    """Every record of every run in ``sources`` (see :func:`read_runs`) as one DataFrame.

    Rows are identified by ``run`` plus the key columns; with ``latest``, a key measured twice
    within a run (a failure, then its resumed success) keeps only its last record.
    """
    frames = [records_frame(log.latest() if latest else log.records, run=log.run_id) for log in read_runs(sources)]
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

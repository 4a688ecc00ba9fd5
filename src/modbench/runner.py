"""Run many measurements so that nothing measured is lost, whatever happens to one of them.

* **Isolation.** Catalog entries are measured in a child process (``spawn``: a fresh
  interpreter, no forked OpenMP or CUDA state). The parent waits for each result with the
  per-entry time limit; an entry that overruns it is killed (``timeout``), one that kills its
  process (a segfault, an abort) is recorded as ``failed`` with the exit signal, and the next
  entry gets a fresh process. An exception inside the measurement is recorded as ``failed``,
  or as ``oom`` when it is an out-of-memory error (CUDA's or the CPU allocator's).
* **Durability.** Each record is appended to the run file (see :mod:`modbench.results`) and
  fsynced the moment it arrives.
* **Interrupts.** The child ignores SIGINT; the parent, on Ctrl-C, kills the child, records the
  measurement in flight as ``interrupted``, and stops. Everything measured before is on disk.
* **Resume.** The run file's header holds the plan; :func:`resume_run` measures only the keys
  that have no ``ok`` record yet and appends to the same file.

Modules given as objects (the Python API) cannot be rebuilt in another process; they are
measured in this one, with the same failure recording but no time limit.
"""

from __future__ import annotations

import functools
import multiprocessing
import re
import signal
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

import torch
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress

from modbench.catalog import get_entry, load_plugin
from modbench.catalog.registry import first_line
from modbench.environment import current_environment
from modbench.errors import UsageError
from modbench.metrics.core import Settings, measure_target, record_key
from modbench.metrics.target import Target, entry_target, with_input_shape
from modbench.records import Record, RecordKey
from modbench.results import RunLog, RunWriter, read_run

# Importing torch and the catalog in a fresh interpreter takes seconds on a loaded machine; this
# bounds how long a child may take to pick up a task, separately from the per-entry time limit.
STARTUP_LIMIT_S = 300.0

_OOM_MESSAGE = re.compile(r"out of memory|can't allocate memory", re.IGNORECASE)


@dataclass(frozen=True)
class EntrySpec:
    """A catalog entry at a config, as plain data: a child process rebuilds the target from it."""

    name: str
    overrides: tuple[tuple[str, Any], ...] = ()
    input_shape: tuple[int, ...] | None = None

    @classmethod
    def of(cls, name: str, overrides: dict[str, Any] | None = None, input_shape: Sequence[int] | None = None) -> EntrySpec:
        return cls(name, tuple(sorted((overrides or {}).items())), tuple(input_shape) if input_shape else None)

    @property
    def config(self) -> dict[str, Any]:
        """The entry's full config with the overrides applied (checked, without building anything), and the input shape given."""
        return with_input_shape(get_entry(self.name).config(dict(self.overrides)), self.input_shape)

    def target(self) -> Target:
        return _entry_target(self)


@functools.lru_cache(maxsize=8)
def _entry_target(spec: EntrySpec) -> Target:
    # Cached: a batch sweep or several modes of one entry would otherwise validate it each time.
    return entry_target(spec.name, dict(spec.overrides), spec.input_shape)


Source = EntrySpec | Target


@dataclass(frozen=True)
class Task:
    """One record to measure: its key, what to build, the batch, and how to measure."""

    key: RecordKey
    source: Source
    batch: int
    settings: Settings

    @property
    def label(self) -> str:
        where = "" if self.key.device == "cpu" and self.key.dtype == "fp32" else f" {self.key.device} {self.key.dtype}"
        return f"{self.key.entry} (batch {self.key.batch}, {self.key.mode}{where})"

    def to_plan(self) -> dict[str, Any]:
        """This task as JSON-able data for a run header; only catalog entries can be planned."""
        assert isinstance(self.source, EntrySpec)
        settings = asdict(self.settings)
        settings["metrics"] = list(settings["metrics"])
        return {
            "entry": self.source.name,
            "overrides": dict(self.source.overrides),
            "input_shape": list(self.source.input_shape) if self.source.input_shape else None,
            "batch": self.batch,
            "settings": settings,
        }


def plan_tasks(sources: Sequence[Source], batches: Sequence[int], settings: Sequence[Settings]) -> list[Task]:
    """One task per source × settings × batch, an entry's tasks adjacent.

    Mistakes are usage errors here, before anything runs: an unknown entry or config key, and,
    for an entry whose config or input shape the user changed, a module that cannot be built or
    cannot take its input (one forward at batch 1). An entry at its default config is not built
    here: whether it runs is the measurement's business, recorded like any other failure.
    """
    tasks = []
    for source in sources:
        if isinstance(source, EntrySpec) and (source.overrides or source.input_shape):
            source.target().checked_build(1)
        for setting in settings:
            for batch in batches:
                tasks.append(Task(record_key(source, batch, setting), source, batch, setting))
    return tasks


def tasks_from_plan(plan: Sequence[dict[str, Any]]) -> list[Task]:
    """The tasks a run header planned (the inverse of :meth:`Task.to_plan`)."""
    tasks = []
    for item in plan:
        spec = EntrySpec.of(item["entry"], item["overrides"], item["input_shape"])
        settings = Settings(**{**item["settings"], "metrics": tuple(item["settings"]["metrics"])})
        tasks.append(Task(record_key(spec, item["batch"], settings), spec, item["batch"], settings))
    return tasks


def execute(task: Task) -> Record:
    """Measure ``task`` in this process; an exception becomes a ``failed`` or ``oom`` record."""
    try:
        target = task.source.target() if isinstance(task.source, EntrySpec) else task.source
        return measure_target(target, task.batch, task.settings)
    except Exception as error:  # every failure is recorded with its reason; none stops the run
        record = failure_record(task, failure_status(error), describe(error))
    if task.settings.device == "cuda":
        # Only now, with the traceback (and the tensors its frames held) gone, is the memory free.
        torch.cuda.empty_cache()
    return record


def failure_status(error: BaseException) -> str:
    """``oom`` when ``error`` (or what caused it) is an out-of-memory error, else ``failed``."""
    return "oom" if _out_of_memory(error) is not None else "failed"


def describe(error: BaseException) -> str:
    """One line saying what went wrong: the out-of-memory error itself when there is one, a usage
    error's message (which already names its cause), or the exception's type and first line."""
    cause = _out_of_memory(error) or error
    if isinstance(cause, UsageError):
        return first_line(cause)
    return f"{type(cause).__name__}: {first_line(cause)}"


def _out_of_memory(error: BaseException) -> BaseException | None:
    seen: BaseException | None = error
    for _ in range(8):  # cause chains are short; the bound guards against a cycle
        if seen is None:
            return None
        if isinstance(seen, (torch.OutOfMemoryError, MemoryError)) or (
            not isinstance(seen, UsageError) and _OOM_MESSAGE.search(str(seen))  # a usage error quotes its cause
        ):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def failure_record(task: Task, status: str, reason: str) -> Record:
    """The record of a measurement that did not complete: its key, environment, status and reason."""
    return Record(key=task.key, env=current_environment(task.settings.device), status=status, error=reason)


class _Timeout(Exception):
    pass


class Worker:
    """A child process that measures the tasks it is sent, one at a time."""

    def __init__(self, plugins: Sequence[str] = ()) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child_conn = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child_conn, tuple(plugins)), name="modbench-worker", daemon=True
        )
        self.process.start()
        child_conn.close()

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def measure(self, task: Task, time_limit: float | None) -> Record:
        """The record of ``task``; a timeout or a dead process kills this worker and is recorded."""
        try:
            self._conn.send(task)
            self._receive(STARTUP_LIMIT_S)  # "started": the time limit counts from here
        except _Timeout:
            self.stop()
            return failure_record(task, "failed", f"the measuring process did not start within {STARTUP_LIMIT_S:g} s")
        except (EOFError, OSError):
            return self._died(task)
        try:
            return self._receive(time_limit)
        except _Timeout:
            self.stop()
            return failure_record(task, "timeout", f"exceeded the per-entry time limit of {time_limit:g} s; killed")
        except (EOFError, OSError):
            return self._died(task)

    def stop(self) -> None:
        """Kill the process (it may be stuck in native code, where nothing gentler reaches it)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self._conn.close()

    def _died(self, task: Task) -> Record:
        self.stop()
        return failure_record(task, "failed", f"the measuring process died ({_exit_reason(self.process.exitcode)})")

    def _receive(self, limit: float | None) -> Any:
        if not self._conn.poll(limit):
            raise _Timeout
        return self._conn.recv()


def _exit_reason(code: int | None) -> str:
    if code == -signal.SIGKILL:
        return "killed by SIGKILL, which is what the kernel's out-of-memory killer sends"
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"


def _worker_main(conn: Connection, plugins: tuple[str, ...]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
    for plugin in plugins:
        load_plugin(plugin)
    while True:
        try:
            task = conn.recv()
        except EOFError:  # the parent is gone
            return
        conn.send("started")
        conn.send(execute(task))


class Progress:
    """Reports a run's progress; this base class is silent (the Python API's default)."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total
        self.done = 0

    def begin(self, task: Task) -> None:
        pass

    def end(self, task: Task, record: Record) -> None:
        self.done += 1

    def close(self) -> None:
        pass


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

    def end(self, task: Task, record: Record) -> None:
        super().end(task, record)
        # Failures are named with their reason once, at the end of the run.
        print(f"modbench: [{self.done}/{self.total}] {task.label}: {summary(record, reason=False)}", file=self.stream, flush=True)


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

    def begin(self, task: Task) -> None:
        self._bar.update(self._id, description=task.label)

    def end(self, task: Task, record: Record) -> None:
        super().end(task, record)
        if not record.ok:  # named above the bar now, with the reason at the end of the run
            self._bar.console.print(f"{task.label}: {summary(record, reason=False)}", markup=False)
        self._bar.advance(self._id)

    def close(self) -> None:
        self._bar.stop()


def progress_for(stream: IO[str] = sys.stderr) -> Progress:
    """A bar on a terminal, plain lines otherwise."""
    return BarProgress(stream) if stream.isatty() else LineProgress(stream)


@dataclass
class RunOutcome:
    """What a run produced: every record (earlier ones too, when resumed), and whether it was interrupted."""

    records: list[Record] = field(default_factory=list)
    interrupted: bool = False
    run_id: str | None = None
    path: Path | None = None

    @property
    def failures(self) -> list[Record]:
        return [r for r in self.records if not r.ok]


def run_tasks(
    tasks: Sequence[Task],
    writer: RunWriter | None = None,
    *,
    isolate: bool = True,
    time_limit: float | None = None,
    plugins: Sequence[str] = (),
    progress: Progress | None = None,
) -> RunOutcome:
    """Measure ``tasks`` in order, keeping (and writing) each record as it arrives.

    ``isolate`` measures catalog entries in a child process, which is what makes ``time_limit``
    enforceable; ``plugins`` are the plugin files that child must load to know their entries.
    A KeyboardInterrupt stops the run and is reported in the outcome, not raised.
    """
    if time_limit is not None and not isolate:
        raise UsageError("a per-entry time limit needs isolated measurement (a child process); drop the limit or isolate")
    progress = progress or Progress()
    outcome = RunOutcome(run_id=writer.run_id if writer else None, path=writer.path if writer else None)
    worker: Worker | None = None
    in_flight: Task | None = None

    def keep(record: Record) -> None:
        if writer is not None:
            writer.append(record)
        outcome.records.append(record)

    progress.start(len(tasks))
    try:
        for task in tasks:
            in_flight = task
            progress.begin(task)
            if isolate and isinstance(task.source, EntrySpec):
                worker = worker if worker is not None and worker.alive else Worker(plugins)
                record = worker.measure(task, time_limit)
            else:
                record = execute(task)
            keep(record)
            in_flight = None
            progress.end(task, record)
    except KeyboardInterrupt:
        outcome.interrupted = True
        if in_flight is not None and not (outcome.records and outcome.records[-1].key == in_flight.key):
            keep(failure_record(in_flight, "interrupted", "interrupted (SIGINT) while this was being measured"))
    finally:
        if worker is not None:
            worker.stop()
        progress.close()
    return outcome


def start_run(
    tasks: Sequence[Task],
    results_dir: str | Path | None,
    *,
    isolate: bool = True,
    time_limit: float | None = None,
    plugins: Sequence[str] = (),
    progress: Progress | None = None,
) -> RunOutcome:
    """Measure ``tasks`` as a new run, saved under ``results_dir`` (``None``: kept in memory only)."""
    plugins = [str(Path(p).resolve()) for p in plugins]
    if results_dir is None:
        return run_tasks(tasks, None, isolate=isolate, time_limit=time_limit, plugins=plugins, progress=progress)
    resumable = all(isinstance(task.source, EntrySpec) for task in tasks)
    plan = [task.to_plan() for task in tasks] if resumable else None
    with RunWriter.create(Path(results_dir), plan, plugins=plugins, time_limit=time_limit, isolate=isolate) as writer:
        return run_tasks(tasks, writer, isolate=isolate, time_limit=time_limit, plugins=plugins, progress=progress)


def resume_run(log: RunLog, *, progress: Progress | None = None, time_limit: float | None = None) -> RunOutcome:
    """Finish the run ``log`` was read from: measure each planned key without an ``ok`` record, append to its file.

    The run's own plugins must already be loaded (see :func:`run_plugins`); ``time_limit``
    replaces the run's own when given.
    """
    if log.header is None:
        raise UsageError(f"{log.path} holds no run header, so no plan to finish; start the run again")
    header = log.header
    if header.get("plan") is None:
        raise UsageError(f"run {log.run_id} cannot be resumed: it has no plan (it measured modules given as Python objects)")
    done = {record.key for record in log.latest() if record.ok}
    pending = [task for task in tasks_from_plan(header["plan"]) if task.key not in done]
    limit = time_limit if time_limit is not None else header.get("time_limit")
    with RunWriter(log.path, log.run_id) as writer:
        fresh = run_tasks(
            pending, writer, isolate=header.get("isolate", True), time_limit=limit,
            plugins=header.get("plugins", []), progress=progress,
        )
    merged = read_run(log.path).latest()
    return RunOutcome(records=merged, interrupted=fresh.interrupted, run_id=log.run_id, path=log.path)


def run_plugins(log: RunLog) -> list[str]:
    """The plugin files the run ``log`` was read from loaded."""
    return list((log.header or {}).get("plugins", []))

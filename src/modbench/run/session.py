"""A run's life cycle: measure specs in order so nothing measured is lost, save each record, resume.

* **Durability.** Each record is appended to the run file (see :mod:`modbench.results`) and
  fsynced the moment it arrives.
* **Isolation.** Catalog entries are measured in a :class:`~modbench.run.worker.Worker`, a fresh
  one for every entry unless :attr:`RunOptions.reuse_worker`; an entry's batch and mode sweep
  shares its worker. A worker that died or was killed is replaced.
* **Interrupts.** On Ctrl-C the worker is killed, the measurement in flight is recorded as
  ``interrupted``, and the run stops. Everything measured before is on disk.
* **Resume.** The run file's header holds the plan; :func:`resume_run` measures only the tasks
  whose records are not in yet (a spec: no ``ok`` record of its key; a pair: no ``ok`` records
  of all its members under one pair id, :func:`~modbench.metrics.pairs.unfinished`) and appends
  to the same file. It decides what is pending under
  the run file's lock, so two resumes at once never measure a key twice (the second is refused).
* **A full disk.** A record that cannot be written stops the run: the outcome keeps it (measured,
  not saved) with the :class:`~modbench.results.RunWriteError`, and every record before is on disk.

Modules given as objects (the Python API) cannot be rebuilt in another process; they are
measured in this one, with the same failure recording but no time limit.

Progress is reported to a :class:`Progress` observer; this base class is silent, and the
commands' bar and line reporters (:mod:`modbench.commands.progress`) subclass it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from modbench.errors import UsageError
from modbench.metrics.pairs import PairSpec, members, plan_item, unfinished
from modbench.metrics.sentinel import quiet_references
from modbench.records import Record
from modbench.results import RunLog, RunWriteError, RunWriter, read_run
from modbench.resultset import ResultSet
from modbench.run.plan import RunOptions
from modbench.run.worker import Worker, execute, failure_record
from modbench.spec import Spec, Subject, check_device_here
from modbench.text import first_line


class Progress:
    """Observes a run's progress; this base class is silent (the Python API's default)."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0

    def start(self, total: int) -> None:
        self.total = total
        self.done = 0

    def begin(self, spec: Spec) -> None:
        pass

    def end(self, spec: Spec, record: Record) -> None:
        self.done += 1

    def close(self) -> None:
        pass


@dataclass
class RunOutcome:
    """What a run produced: every record (earlier ones too, when resumed), and whether it was interrupted."""

    records: list[Record] = field(default_factory=list)
    interrupted: bool = False
    run_id: str | None = None
    path: Path | None = None
    write_error: RunWriteError | None = None
    """Why the run stopped saving (a full disk): the last record is measured but not on disk."""

    @property
    def failures(self) -> list[Record]:
        return [r for r in self.records if not r.ok]

    @property
    def results(self) -> ResultSet:
        """The records as a result set, indexed by key."""
        return ResultSet(self.records, self.run_id)


class EntryWorkers:
    """The child process measuring the current entry: kept for its specs, replaced for the next entry."""

    def __init__(self, options: RunOptions) -> None:
        self.options = options
        self.worker: Worker | None = None
        self.subject: Subject | None = None

    def measure(self, spec: Spec | PairSpec) -> Record | list[Record]:
        fresh_entry = self.subject is not None and spec.subject != self.subject and not self.options.reuse_worker
        if self.worker is not None and (fresh_entry or not self.worker.alive):
            self.stop()
        if self.worker is None:
            self.worker = Worker(self.options.plugins, self.options.quiet_references)
        self.subject = spec.subject
        return self.worker.measure(spec, self.options.time_limit)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None


def run_specs(
    specs: Sequence[Spec | PairSpec], writer: RunWriter | None = None, options: RunOptions = RunOptions(), progress: Progress | None = None
) -> RunOutcome:
    """Measure ``specs`` in order, keeping (and writing) each record as it arrives.

    A :class:`~modbench.metrics.pairs.PairSpec` among them is one task giving one record per member.
    The noise sentinel is calibrated here first, once per thread count timed, and every worker
    judges against that quiet reference (:attr:`RunOptions.quiet_references`); a cluster's
    workers, on other machines, calibrate their own. A KeyboardInterrupt stops the run and is reported in the outcome, not raised.
    """
    if options.cluster is not None:
        from modbench.run.cluster import run_on_cluster

        return run_on_cluster(specs, writer, options, progress)
    progress = progress or Progress()
    outcome = RunOutcome(run_id=writer.run_id if writer else None, path=writer.path if writer else None)
    if not options.quiet_references:
        timed = [task.settings.threads for task in specs if "latency" in task.settings.metrics]
        options = replace(options, quiet_references=quiet_references(timed))
    workers = EntryWorkers(options)
    in_flight: Spec | PairSpec | None = None

    def keep(result: Record | list[Record]) -> None:
        for record in result if isinstance(result, list) else [result]:
            outcome.records.append(record)  # first: a record the disk refuses is still shown
            if writer is not None:
                writer.append(record)

    progress.start(sum(len(members(spec)) for spec in specs))
    try:
        for spec in specs:
            in_flight = spec
            progress.begin(spec)
            result = workers.measure(spec) if options.isolate and spec.portable else execute(spec)
            in_flight = None  # measured: an interrupt from here on loses nothing a resume would not redo
            keep(result)
            for member, record in zip(members(spec), result if isinstance(result, list) else [result]):
                progress.end(member, record)
    except RunWriteError as error:
        outcome.write_error = error
    except KeyboardInterrupt:
        outcome.interrupted = True
        if in_flight is not None:
            try:
                keep(failure_record(in_flight, "interrupted", "interrupted (SIGINT) while this was being measured"))
            except RunWriteError as error:
                outcome.write_error = error
    finally:
        workers.stop()
        progress.close()
    return outcome


def start_run(
    specs: Sequence[Spec | PairSpec], results_dir: str | Path | None, options: RunOptions = RunOptions(), progress: Progress | None = None
) -> RunOutcome:
    """Measure ``specs`` as a new run, saved under ``results_dir`` (``None``: kept in memory only)."""
    options = replace(options, plugins=tuple(str(Path(p).resolve()) for p in options.plugins))
    _check_devices(specs, options)
    if results_dir is None:
        return run_specs(specs, None, options, progress)
    plan = [spec.to_plan() for spec in specs] if all(spec.portable for spec in specs) else None
    meta = {"plugins": list(options.plugins), "time_limit": options.time_limit, "isolate": options.isolate}
    with RunWriter.create(Path(results_dir), plan, **meta) as writer:
        return run_specs(specs, writer, options, progress)


def _check_devices(specs: Sequence[Spec | PairSpec], options: RunOptions) -> None:
    """Usage errors for a device this machine lacks, when this machine measures (no cluster, or ``local``)."""
    if options.cluster is None or options.cluster.split(":")[0] == "local":
        for device in sorted({spec.settings.device for spec in specs}):
            check_device_here(device)


def resume_run(
    log: RunLog, *, progress: Progress | None = None, time_limit: float | None = None, reuse_worker: bool = False, cluster: str | None = None
) -> RunOutcome:
    """Finish the run ``log`` was read from: measure each planned key without an ``ok`` record, append to its file.

    The run's own plugins must already be loaded (see :func:`run_plugins`); ``time_limit``
    replaces the run's own when given; ``cluster`` measures the rest there.
    """
    planned = _planned_specs(log)
    header = log.header or {}
    options = RunOptions(
        isolate=header.get("isolate", True),
        time_limit=time_limit if time_limit is not None else header.get("time_limit"),
        reuse_worker=reuse_worker,
        plugins=tuple(header.get("plugins", [])),
        cluster=cluster,
    )
    _check_devices(planned, options)
    with RunWriter(log.path, log.run_id) as writer:
        pending = unfinished(planned, read_run(log.path).records)  # read under the lock
        fresh = run_specs(pending, writer, options, progress)
    merged = read_run(log.path).latest()
    if fresh.write_error is not None and fresh.write_error.record is not None:
        merged.append(fresh.write_error.record)
    return RunOutcome(records=merged, interrupted=fresh.interrupted, run_id=log.run_id, path=log.path, write_error=fresh.write_error)


def _planned_specs(log: RunLog) -> list[Spec | PairSpec]:
    """The specs the run's header planned; a header this version cannot read is a usage error."""
    if log.header is None:
        raise UsageError(f"{log.path} holds no run header, so no plan to finish; start the run again")
    plan = log.header.get("plan")
    if plan is None:
        raise UsageError(f"run {log.run_id} cannot be resumed: it has no plan (it measured modules given as Python objects)")
    try:
        if not isinstance(plan, list):
            raise TypeError(f"the plan is a {type(plan).__name__}, not a list")
        specs = [plan_item(item) for item in plan]
        if any(isinstance(spec.batch, bool) or not isinstance(spec.batch, int) or spec.batch < 1
               for task in specs for spec in members(task)):
            raise ValueError("a planned batch is not a positive integer")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise UsageError(
            f"run {log.run_id} cannot be resumed: its plan is not one this version of modbench reads "
            f"({type(error).__name__}: {first_line(error)}); measure it again"
        ) from error
    return specs


def run_plugins(log: RunLog) -> list[str]:
    """The plugin files the run ``log`` was read from loaded."""
    return list((log.header or {}).get("plugins", []))

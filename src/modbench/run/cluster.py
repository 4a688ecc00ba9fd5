"""Measure a run's specs on a Dask cluster (``--cluster ADDRESS`` or ``--cluster local[:N]``), into one run file.

Dask distributed does the scheduling; modbench only says what each task needs and keeps what
comes back, the same way the local runner does (:func:`modbench.run.session.run_specs`):

* **One task per spec** (entry × config × batch × mode), run by :func:`.cluster_task.measure_task`
  in a child process of the Dask worker, with the run's time limit and failure recording.
* **Resources.** Every task asks for ``measure=1``, so a worker started with
  ``--resources measure=1`` measures one spec at a time; a ``--device cuda`` task also asks for
  ``cuda=1``, so it only runs on a worker that has a GPU (``--resources "measure=1,cuda=1"``).
  A local cluster's tasks ask for nothing (:func:`submitted_resources`): its one-thread workers
  are alike, and Dask queues such tasks and gives each free worker the next, models first.
* **Environment.** A record is made on the worker that measured it, so it carries that machine's
  id, device name and CPU model: one run can hold several devices.
* **Durability.** Records are appended and fsynced to the local run file as each arrives.
* **A worker lost mid-task**: the scheduler gives the task to another worker once
  (``allowed-failures`` is set to 1); lost again, it is recorded ``failed`` with the reason. No
  worker able to take a task for :data:`NO_WORKER_GRACE_S`: the rest are recorded ``failed``.
* **Ctrl-C** cancels what is outstanding, kills the children measuring this run's specs, and
  keeps what arrived; ``--resume RUN --cluster ...`` measures the rest.

``local`` starts a ``distributed.LocalCluster`` on 127.0.0.1 of single-threaded workers, each
measuring in its own child process: one for a timing run (two timed measurements on one machine
disturb each other), one per core for a count-only sweep; ``local:N`` asks for N. Its workers run
in this process (``processes=False``) and their children fork from this process's forkserver, so
starting them costs no torch import (a worker process would cost two: its own and its forkserver's). Dask is imported only here, and only when a
cluster is asked for: it is the ``cluster`` extra.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from modbench.catalog import get_entry
from modbench.errors import UsageError
from modbench.metrics.pairs import PairSpec, members
from modbench.metrics.registry import TIMED_MEASUREMENTS
from modbench.notices import warn
from modbench.records import Record
from modbench.results import RunWriter
from modbench.run.cluster_task import measure_task, stop_run
from modbench.run.plan import RunOptions
from modbench.run.session import Progress, RunOutcome
from modbench.run.worker import describe, execute, failure_record
from modbench.spec import EntrySpec, Spec

LOCAL = "local"
INSTALL_HINT = 'pip install -e ".[cluster]"'
CONNECT_TIMEOUT_S = 10.0
NO_WORKER_GRACE_S = 60.0
_POLL_S = 0.05
_WORKER_CHECK_S = 2.0

_LOCAL_PATTERN = re.compile(rf"{LOCAL}(?::(\d+))?")
_ADDRESS_PATTERN = re.compile(r"([a-z][a-z0-9+.-]*://)?[^\s:/]+:\d+")


def check_cluster(address: str) -> None:
    """A usage error unless ``address`` is ``local``, ``local:N`` or ``[scheme://]host:port``, and Dask distributed is installed."""
    local = _LOCAL_PATTERN.fullmatch(address)
    if local is not None and local.group(1) is not None and int(local.group(1)) < 1:
        raise UsageError(f"--cluster local:N needs N of at least 1, got {address!r}; e.g. --cluster local:2")
    if local is None and not _ADDRESS_PATTERN.fullmatch(address):
        raise UsageError(
            f"--cluster expects a Dask scheduler address or local[:N], got {address!r}; "
            "e.g. --cluster tcp://127.0.0.1:8786 or --cluster local:2"
        )
    _distributed()


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise UsageError(f"--cluster needs Dask distributed, which is not installed; install it with: {INSTALL_HINT}") from None
    return distributed


def task_resources(device: str) -> dict[str, int]:
    """What a task measuring on ``device`` needs of a worker: a measuring slot, and a GPU for CUDA."""
    return {"measure": 1, **({"cuda": 1} if device == "cuda" else {})}


def family_rank(task: Spec | PairSpec) -> int:
    """1 for a task measuring a model, 0 for blocks only: models are submitted (and run) first.

    A model takes seconds to build and measure, a block tenths, so with the models first the
    tasks left at the end are short and no worker waits long for the last one to finish.
    """
    families = {get_entry(spec.subject.name).family for spec in members(task) if isinstance(spec.subject, EntrySpec)}
    return 1 if "model" in families else 0


def submission_order(specs: Sequence[Spec]) -> list[tuple[int, Spec]]:
    """The specs in the order they are submitted (and prioritised), with their plan positions: models first, each part in plan order."""
    return sorted(enumerate(specs), key=lambda item: (-family_rank(item[1]), item[0]))


def submitted_resources(address: str, device: str) -> dict[str, int] | None:
    """What a task asks of a worker: :func:`task_resources`, except on a local cluster, where it asks nothing.

    A local cluster's workers are alike and each has one thread, so a task needs no measuring
    slot there; without one, Dask queues the tasks on the scheduler and gives each worker that
    frees up the next by priority. A task that asks for resources is given to a worker when it is
    submitted, and a worker that drew the shorter models would start on its blocks while models
    still wait on the other.
    """
    return None if _LOCAL_PATTERN.fullmatch(address) else task_resources(device)


def is_timed(specs: Sequence[Spec]) -> bool:
    return any(TIMED_MEASUREMENTS.intersection(spec.settings.metrics) for spec in specs)


def local_workers(address: str, specs: Sequence[Spec]) -> int:
    """How many workers ``local[:N]`` starts: N if given, else one for a timing run and one per core for counts."""
    match = _LOCAL_PATTERN.fullmatch(address)
    if match is None:
        raise ValueError(f"not a local cluster: {address!r}")
    if match.group(1) is not None:
        return int(match.group(1))
    return 1 if is_timed(specs) else max(1, os.cpu_count() or 1)


def run_on_cluster(
    specs: Sequence[Spec], writer: RunWriter | None, options: RunOptions, progress: Progress | None = None
) -> RunOutcome:
    """Measure ``specs`` on the cluster ``options.cluster``, keeping (and writing) each record as it arrives.

    Modules given as objects cannot travel; they are measured here afterwards, as the local
    runner does. A KeyboardInterrupt stops the run and is reported in the outcome, not raised.
    """
    assert options.cluster is not None
    progress = progress or Progress()
    outcome = RunOutcome(run_id=writer.run_id if writer else None, path=writer.path if writer else None)
    order = {member.key: position for position, spec in enumerate(specs) for member in members(spec)}

    def keep(spec: Spec, record: Record) -> None:
        progress.begin(spec)
        for member, one in zip(members(spec), record if isinstance(record, list) else [record]):  # a pair gives one per member
            if writer is not None:
                writer.append(one)
            outcome.records.append(one)
            progress.end(member, one)

    remote = [spec for spec in specs if spec.portable]
    progress.start(sum(len(members(spec)) for spec in specs))
    try:
        if remote:
            with _client(options.cluster, remote) as client:
                outcome.interrupted = _collect(client, remote, options, keep)
        if not outcome.interrupted:
            for spec in (spec for spec in specs if not spec.portable):
                keep(spec, execute(spec))
    except KeyboardInterrupt:
        outcome.interrupted = True
    finally:
        progress.close()
    outcome.records.sort(key=lambda record: order.get(record.key, len(order)))
    return outcome


@contextlib.contextmanager
def _client(address: str, specs: Sequence[Spec]) -> Iterator[Any]:
    """A client of the scheduler at ``address``, or of a local cluster started (and stopped) here."""
    distributed = _distributed()
    import dask

    if _LOCAL_PATTERN.fullmatch(address):
        workers = local_workers(address, specs)
        if workers > 1 and is_timed(specs):
            warn(f"{workers} measuring workers on one machine disturb each other's latencies; use --cluster local for a timing run")
        # The workers are threads of this process: each measurement has its own child process
        # anyway, forked from the one forkserver of this process, so a worker process around it
        # would only import torch twice more per worker (seconds each) before measuring anything.
        # Dask's profiler would sample each worker thread's stack every 10 ms, on the cores the
        # measuring children need, to learn only that the thread waits on its child; its event-loop
        # watchdog (every 20 ms), its system monitor (every 500 ms, for a dashboard there is not)
        # and its memory monitor (of this process, not of the children) cost CPU the same way.
        quiet = {
            "distributed.scheduler.allowed-failures": 1,
            "distributed.worker.profile.enabled": False,
            "distributed.admin.tick.interval": "1s",
            "distributed.admin.system-monitor.interval": "5s",
        }
        with dask.config.set(quiet), distributed.LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
            dashboard_address=None, resources=_local_resources(), memory_limit=0, silence_logs=logging.ERROR,
        ) as cluster, distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as error:
        raise UsageError(
            f"cannot reach the Dask scheduler at {address} ({type(error).__name__}); "
            "start one (`dask scheduler`) or check the address, then resume this run with --cluster"
        ) from None
    with client:
        _retry_once(client)
        _check_workers(client, address, specs)
        yield client


def _local_resources() -> dict[str, int]:
    import torch

    return {"measure": 1, **({"cuda": 1} if torch.cuda.is_available() else {})}


def _retry_once(client: Any) -> None:
    """Make the scheduler give a task whose worker is lost to another worker once, not three times (Dask's default).

    The function is a lambda so that it travels by value: the scheduler need not have modbench.
    """
    try:
        client.run_on_scheduler(lambda dask_scheduler: setattr(dask_scheduler, "allowed_failures", 1))
    except Exception as error:  # a scheduler that refuses it still runs the sweep, with its own retry count
        warn(f"could not set the scheduler's allowed-failures to 1 ({type(error).__name__}); a lost task is retried its way")


def _workers_for(client: Any, resources: dict[str, int]) -> list[dict[str, Any]]:
    """The workers (as the scheduler describes them) that have ``resources``."""
    workers = client.scheduler_info()["workers"].values()
    return [w for w in workers if all(w.get("resources", {}).get(name, 0) >= need for name, need in resources.items())]


def _check_workers(client: Any, address: str, specs: Sequence[Spec]) -> None:
    """Usage errors for a cluster that cannot run ``specs``; a warning for timed ones sharing a machine."""
    for needs in {tuple(sorted(task_resources(spec.settings.device).items())) for spec in specs}:
        if not _workers_for(client, dict(needs)):
            wanted = ",".join(f"{name}={count}" for name, count in needs)
            raise UsageError(
                f"no worker of the cluster at {address} offers the resources {wanted}; "
                f"start one with: dask worker {address} --nthreads 1 --resources {wanted}"
            )
    if is_timed(specs):
        hosts = [w["host"] for w in _workers_for(client, {"measure": 1})]
        shared = sorted({host for host in hosts if hosts.count(host) > 1})
        if shared:
            warn(f"several measuring workers on {', '.join(shared)} disturb each other's latencies; run one per machine for timing")


def _collect(client: Any, specs: Sequence[Spec], options: RunOptions, keep: Any) -> bool:
    """Submit one task per spec and keep each record as it completes; True if interrupted."""
    distributed = _distributed()
    tag = f"modbench-{uuid.uuid4().hex[:12]}"
    ranked = submission_order(specs)
    futures = {
        client.submit(
            measure_task, spec, options, tag, key=f"{tag}-{index}", priority=len(ranked) - position, pure=False,
            resources=submitted_resources(options.cluster or "", spec.settings.device),
        ): spec
        for position, (index, spec) in enumerate(ranked)
    }
    pending = set(futures)
    arrived = distributed.as_completed(futures)
    stranded_since: float | None = None
    checked = time.monotonic()
    try:
        while pending:
            if arrived.has_ready():
                for future in arrived.next_batch(block=False):
                    pending.discard(future)
                    keep(futures[future], _record_of(future, futures[future]))
                continue
            time.sleep(_POLL_S)
            if time.monotonic() - checked < _WORKER_CHECK_S:
                continue
            checked = time.monotonic()
            stranded = [f for f in pending if not _workers_for(client, task_resources(futures[f].settings.device))]
            stranded_since = None if not stranded else stranded_since or checked
            if stranded_since is not None and checked - stranded_since > NO_WORKER_GRACE_S:
                client.cancel(stranded)
                for future in stranded:
                    pending.discard(future)
                    needs = ",".join(f"{k}={v}" for k, v in task_resources(futures[future].settings.device).items())
                    reason = f"no worker with {needs} was left on the cluster for {NO_WORKER_GRACE_S:g} s; not measured"
                    keep(futures[future], failure_record(futures[future], "failed", reason))
                stranded_since = None
    except KeyboardInterrupt:
        with contextlib.suppress(Exception):  # the cluster may be gone too; what arrived is kept either way
            client.cancel(list(pending))
        with contextlib.suppress(Exception):
            client.run(stop_run, tag)
        return True
    return False


def _record_of(future: Any, spec: Spec) -> Record:
    """The record a finished task returned, or a failure record saying why there is none."""
    from distributed.scheduler import KilledWorker

    if future.status == "finished":
        return future.result()
    if future.status == "cancelled":
        return failure_record(spec, "failed", "the task was cancelled on the cluster (the scheduler restarted?); not measured")
    error = future.exception()
    if isinstance(error, KilledWorker):
        reason = f"the Dask worker measuring it was lost, and again on the retry (last {error.last_worker.address}); not measured"
    else:
        reason = f"the Dask task failed on its worker: {describe(error)}"
    return failure_record(spec, "failed", reason)

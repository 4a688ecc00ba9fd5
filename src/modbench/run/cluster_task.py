"""What a Dask worker runs for one task: measure a spec in a child process, as the local runner does.

The task is a thin shell around the run package's own machinery: an
:class:`~modbench.run.session.EntryWorkers` (a :class:`~modbench.run.worker.Worker` child, fresh
for every entry unless ``reuse_worker``) measures the spec with the run's time limit, and every
failure (a timeout, a crash, an exception) comes back as a record, exactly as on one machine. So
the record's environment is the one of the machine that measured it.

Each Dask worker holds one such child at a time: the tasks ask for the ``measure`` resource, and
a worker started with ``--resources measure=1`` runs one of them at a time. Several workers may
share a process (``--cluster local``), so the state is kept per worker.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from dataclasses import dataclass, field
from typing import Any

from modbench.records import Record
from modbench.run.plan import RunOptions
from modbench.run.session import EntryWorkers
from modbench.spec import Spec


@dataclass
class _Measuring:
    """One Dask worker's measuring child, and the run whose spec it is measuring."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    workers: EntryWorkers | None = None
    run_tag: str | None = None


_by_worker: dict[str, _Measuring] = {}
_registry_lock = threading.Lock()


def measure_task(spec: Spec, options: RunOptions, run_tag: str) -> Record:
    """The record of ``spec``, measured in a child process of this Dask worker."""
    from distributed import get_worker

    _allow_children()
    state = _state(get_worker().address)
    with state.lock:  # one measurement per worker, whatever its thread count
        if state.workers is None or state.workers.options != options:
            if state.workers is not None:
                state.workers.stop()
            state.workers = EntryWorkers(options)
        state.run_tag = run_tag
        try:
            return state.workers.measure(spec)
        finally:
            state.run_tag = None


def stop_run(run_tag: str, dask_worker: Any) -> bool:
    """Kill the child measuring a spec of run ``run_tag`` on this worker, if any (Ctrl-C on the client); its task then ends."""
    state = _state(dask_worker.address)
    child = state.workers.worker if state.workers is not None else None
    if state.run_tag != run_tag or child is None:
        return False
    try:
        os.kill(child.process.pid, signal.SIGKILL)  # the task sees its child die and returns
    except ProcessLookupError:
        return False
    return True


def _state(address: str) -> _Measuring:
    with _registry_lock:
        return _by_worker.setdefault(address, _Measuring())


def _allow_children() -> None:
    """Let this worker process start a child.

    Dask's nanny starts its worker as a daemonic process, and ``multiprocessing`` refuses children
    to a daemonic process (so that they cannot outlive it). A measuring child dies with its parent
    anyway (``PR_SET_PDEATHSIG`` and a watchdog thread, see :mod:`modbench.run.worker`), so the
    flag is lifted for this process; the nanny still ends the worker as before.
    """
    process = multiprocessing.current_process()
    if process.daemon:
        process._config["daemon"] = False  # the public setter refuses a process that has started

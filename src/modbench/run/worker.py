"""Measure one spec, here or in a child process, and turn whatever goes wrong into a record.

* **Isolation.** A :class:`Worker` is a child process forked from a ``forkserver`` that has
  imported torch, the catalog and the metrics but never run an operator (so no OpenMP or CUDA
  state is forked): a fresh worker costs a fork, not a second of imports, which is what makes a
  fresh worker per entry affordable. The worker takes the parent's current directory and
  environment. Where there is no forkserver (Windows), workers are spawned. The parent waits
  for its result with the time limit; an overrun is
  killed (``timeout``), a child that dies (a segfault, an abort) is ``failed`` with the exit
  signal, an exception in the measurement is ``failed``, or ``oom`` for an out-of-memory error.
* **The time limit counts the measurement only.** The child imports torch and the catalog and
  builds the entry's target, then says "started"; the limit runs from there. Start-up has its own
  bound (:data:`STARTUP_LIMIT_S`).
* **The child dies with its parent**: on Linux the kernel kills it when the process that forked
  it exits (``PR_SET_PDEATHSIG``), and everywhere a watchdog thread exits it when its parent
  changes. The forkserver exits as soon as the modbench process is gone, so the chain holds.
* **The child's stdout is the parent's stderr** (redirected at the file-descriptor level), so an
  entry or a plugin that prints cannot corrupt ``--format json`` on the parent's stdout.
* **Interrupts belong to the parent**: SIGINT is blocked while the child starts (a blocked
  signal mask is inherited across ``exec``) and ignored after, so Ctrl-C never prints a child's
  traceback; the parent records the measurement in flight as ``interrupted``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

import torch

from modbench.catalog import load_plugin
from modbench.environment import current_environment
from modbench.errors import UsageError
from modbench.metrics.allocator import hold_freed_memory
from modbench import forkserver
from modbench.metrics.core import measure_spec
from modbench.metrics.pairs import PairSpec, measure_pair
from modbench.metrics.sentinel import QuietReferences, adopt_references
from modbench.metrics.steps import pinned_threads
from modbench.metrics.target import skip_constructor_checks
from modbench.records import Record
from modbench.spec import Spec
from modbench.text import first_line

# Importing torch and the catalog in a fresh interpreter takes seconds on a loaded machine; this
# bounds how long a child may take to pick up a spec, separately from the per-entry time limit.
STARTUP_LIMIT_S = 300.0

_OOM_MESSAGE = re.compile(r"out of memory|can't allocate memory", re.IGNORECASE)
_PR_SET_PDEATHSIG = 1
_WAIT_SLICE_S = 0.2  # how long the parent waits on a child between checks for a Ctrl-C


def execute(spec: Spec | PairSpec) -> Record | list[Record]:
    """Measure ``spec`` in this process; an exception becomes a ``failed`` or ``oom`` record.

    A :class:`~modbench.metrics.pairs.PairSpec` gives one record per member (all failed together).
    The caller's intra-op thread count is put back afterwards, whatever the entry did to it.
    """
    try:
        with pinned_threads(torch.get_num_threads()):
            return measure_pair(spec) if isinstance(spec, PairSpec) else measure_spec(spec)
    except Exception as error:  # every failure is recorded with its reason; none stops the run
        record = failure_record(spec, failure_status(error), describe(error))
    if spec.settings.device == "cuda":
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


def failure_record(spec: Spec | PairSpec, status: str, reason: str) -> Record | list[Record]:
    """The record of a measurement that did not complete (one per member of a pair): key, environment, status, reason."""
    if isinstance(spec, PairSpec):
        return [Record(key=member.key, env=current_environment(member.settings.device), status=status, error=reason)
                for member in spec.specs]
    return Record(key=spec.key, env=current_environment(spec.settings.device), status=status, error=reason)


class _Timeout(Exception):
    pass


class Worker:
    """A child process that measures the specs it is sent, one at a time."""

    def __init__(self, plugins: Sequence[str] = (), references: QuietReferences = ()) -> None:
        context = forkserver.context()
        self._conn, child_conn = context.Pipe()
        where = (os.getcwd(), dict(os.environ))
        self.process = context.Process(
            target=_worker_main, args=(child_conn, tuple(plugins), where, references), name="modbench-worker", daemon=True
        )
        with forkserver.sigint_blocked():
            self.process.start()
        child_conn.close()

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def measure(self, spec: Spec | PairSpec, time_limit: float | None) -> Record | list[Record]:
        """The record of ``spec``; a timeout or a dead process kills this worker and is recorded."""
        try:
            self._conn.send(spec)
            self._receive(STARTUP_LIMIT_S)  # "started": the time limit counts from here
        except _Timeout:
            self.stop()
            return failure_record(spec, "failed", f"the measuring process did not start within {STARTUP_LIMIT_S:g} s")
        except (EOFError, OSError):
            return self._died(spec)
        try:
            return self._receive(time_limit)
        except _Timeout:
            self.stop()
            return failure_record(spec, "timeout", f"exceeded the per-entry time limit of {time_limit:g} s; killed")
        except (EOFError, OSError):
            return self._died(spec)

    def stop(self) -> None:
        """Kill the process (it may be stuck in native code, where nothing gentler reaches it)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self._conn.close()

    def _died(self, spec: Spec | PairSpec) -> Record | list[Record]:
        self.stop()
        return failure_record(spec, "failed", f"the measuring process died ({_exit_reason(self.process.exitcode)})")

    def _receive(self, limit: float | None) -> Any:
        """The child's next message, waiting at most ``limit`` seconds (``None``: no limit).

        The wait is cut into slices of :data:`_WAIT_SLICE_S`: a Ctrl-C the kernel hands to another
        thread of this process (the progress display's) only sets Python's flag, and a single long
        ``poll`` would sleep through it until the entry's time limit ran out.
        """
        deadline = None if limit is None else time.monotonic() + limit
        while True:
            left = _WAIT_SLICE_S if deadline is None else min(_WAIT_SLICE_S, deadline - time.monotonic())
            if self._conn.poll(max(0.0, left)):
                return self._conn.recv()
            if deadline is not None and time.monotonic() >= deadline:
                raise _Timeout


def _exit_reason(code: int | None) -> str:
    if code == -signal.SIGKILL:
        return "killed by SIGKILL, which is what the kernel's out-of-memory killer sends"
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"


def _die_with_parent() -> None:
    """Exit when the parent does: the kernel's parent-death signal on Linux, and a watchdog thread everywhere."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="modbench-parent-watchdog", daemon=True).start()


def _worker_main(conn: Connection, plugins: tuple[str, ...], where: tuple[str, dict[str, str]], references: QuietReferences) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides what an interrupt means
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked since the start; pending ones are dropped
    _die_with_parent()
    directory, environment = where  # the parent's now, not the forkserver's from when it started
    os.chdir(directory)
    os.environ.clear()
    os.environ.update(environment)
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # what entries print must not reach the parent's stdout
    for plugin in plugins:
        load_plugin(plugin)
    skip_constructor_checks()  # each target is built for real right after: that build checks it
    hold_freed_memory()  # before anything is timed, the sentinel's own reference included
    adopt_references(references)  # the run's quiet reference, not one taken now, perhaps on a busy machine
    while True:
        try:
            spec = conn.recv()
            with contextlib.suppress(Exception):  # a target that cannot be built is execute's to record
                spec.target()  # built before "started": the time limit is the measurement's
            conn.send("started")
            conn.send(execute(spec))
        except (EOFError, BrokenPipeError, ConnectionResetError):  # the parent is gone
            return

"""The forkserver every measuring child is forked from, and starting it early.

A measuring child is forked from a ``forkserver`` that has imported torch, the catalog, the
metrics and ``torch._dynamo`` (see :mod:`modbench.run.worker`): about 4 s of imports on this
project's 2-core machine, paid once per modbench process. multiprocessing starts the server when
the first child is asked for, after the command has done its own imports (about 3 s), so the
two come one after the other. :func:`start_early` starts it as soon as the command line says it
will measure, and the server's imports run beside the command's own on another core.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.context
import signal
from collections.abc import Iterator

# What the server imports before it forks anything. torch._dynamo is imported lazily by torch on
# the first forward under a dispatch mode (the FLOP counter), which cost every fresh child seconds;
# modbench.forkserver_exit makes the server skip tearing all that down when the command ends.
PRELOAD = ["modbench.run.worker", "torch._dynamo", "modbench.forkserver_exit"]


def context() -> multiprocessing.context.BaseContext:
    """The forkserver context with :data:`PRELOAD` set; ``spawn`` where there is no forkserver (Windows)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    server = multiprocessing.get_context("forkserver")
    server.set_forkserver_preload(PRELOAD)
    return server


def start_early() -> None:
    """Start the forkserver now, in the background; nothing to do where there is none."""
    if context().get_start_method() != "forkserver":
        return
    from multiprocessing import forkserver

    with sigint_blocked():  # a Ctrl-C while the server imports would print its traceback; it ignores SIGINT after
        forkserver.ensure_running()


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Block SIGINT in this thread while a process is started (the mask is inherited across ``exec``); a Ctrl-C meanwhile is delivered after."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)

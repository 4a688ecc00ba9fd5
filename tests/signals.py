"""Ctrl-C in tests that send SIGINT: a background job of a shell without job control (a CI step, a
``nohup … &``) starts with SIGINT ignored, its children inherit that, and Python then installs no
KeyboardInterrupt handler. These put back what a terminal gives a command."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


def restore_sigint() -> None:
    """For ``preexec_fn``: the child takes SIGINT with the default action, so Python turns it into KeyboardInterrupt."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@contextlib.contextmanager
def keyboard_interrupt_on_sigint() -> Iterator[None]:
    """In this process, for the block: SIGINT raises KeyboardInterrupt, as in an interactive run."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

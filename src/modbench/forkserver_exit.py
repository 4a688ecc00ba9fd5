"""Imported by the forkserver only (it is in :data:`modbench.forkserver.PRELOAD`): the server ends without tearing torch down.

The forkserver holds the command's stdout and stderr, like every child. When the command ends,
the server sees its parent gone and exits, and a normal interpreter exit then tears down torch and
``torch._dynamo`` module by module: about a second here, during which whoever reads the command's
output (a pipe into ``jq``, ``subprocess.run``) still waits for the end of it. The server has
nothing to flush or save, so it leaves at once instead. Its measuring children are unaffected:
each ends through ``os._exit`` anyway, without running exit handlers.

No other module imports this one; importing it anywhere else would end that process abruptly at exit.
"""

from __future__ import annotations

import atexit
import os
import sys


def _leave_now() -> None:
    """Flush what the server may have written, then end the process without the interpreter's teardown."""
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    os._exit(0)


atexit.register(_leave_now)

"""The forkserver starts before a measuring command's own imports, and only for a command that measures; the command ends without the final collection."""

from __future__ import annotations

import subprocess
import sys

import pytest

from modbench.cli import COMMANDS, MEASURING, will_measure


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["measure", "ghost"], True),
        (["--plugin", "measure", "report"], True),  # a plugin file may be called anything
        (["--plugin", "x.py", "compare", "ghost", "conv2d"], True),
        (["claims"], True),
        (["claims", "--from", "reports/results"], False),  # judges saved results: nothing to measure
        (["measure", "--help"], False),
        (["list"], False),
        (["history"], False),
        (["profile", "ghost"], False),  # profiles in its own process
        (["--version"], False),
        ([], False),
    ],
)
def test_only_a_measuring_command_line_starts_the_forkserver(argv: list[str], expected: bool) -> None:
    assert will_measure(argv) is expected


def test_every_measuring_command_exists() -> None:
    assert MEASURING <= set(COMMANDS)


def test_the_exit_shortcut_is_loaded_by_the_forkserver_only() -> None:
    # Imported anywhere else, it would end that process without its own exit code.
    code = (
        "import sys, modbench.cli, modbench.api, modbench.run.worker, modbench.forkserver\n"
        "assert 'modbench.forkserver_exit' in modbench.forkserver.PRELOAD\n"
        "sys.exit(3 if 'modbench.forkserver_exit' in sys.modules else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


@pytest.mark.parametrize(("argv", "status"), [(["list", "--family", "block"], 0), (["measure", "no_such_entry"], 2)])
def test_the_command_exits_with_its_status_and_its_objects_frozen(argv: list[str], status: int) -> None:
    # Frozen objects are skipped by the collection at exit; the status is main's.
    code = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: sys.stderr.write(f'frozen {gc.get_freeze_count() > 0}'))\n"
        f"sys.argv = ['modbench', *{argv!r}]\n"
        "from modbench.cli import console\n"
        "console()"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == status
    assert done.stderr.endswith("frozen True")


def test_a_process_with_the_exit_shortcut_flushes_its_output_and_leaves_at_once() -> None:
    code = "import sys, modbench.forkserver_exit\nsys.stdout.write('kept')\nsys.exit(3)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout == "kept"
    assert done.returncode == 0  # os._exit(0) ran at exit, before the interpreter's own teardown and exit code

"""The forkserver starts before a measuring command's own imports, and only for a command that measures."""

from __future__ import annotations

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

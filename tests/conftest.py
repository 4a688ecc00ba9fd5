"""Shared fixtures: an isolated registry, and a CLI runner that captures output and exit status."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from modbench.catalog import registry
from modbench.cli import main


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, registry.Entry]]:
    """The built-in catalog, in a copy that a test may add entries to without leaking them."""
    registry.list_entries()  # load the built-in families first
    entries = dict(registry._entries)
    monkeypatch.setattr(registry, "_entries", entries)
    yield entries


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``modbench ARGS...`` in-process; argparse's SystemExit becomes an exit code.

    It runs in a temporary directory, so default outputs (``results/``, ``reports/``) never land
    in the checkout.
    """
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str) -> CliResult:
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke

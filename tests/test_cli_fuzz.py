"""A property-based fuzz of the command line: whatever the arguments, one line or a result, never a
traceback, and an exit status of 0 (done), 1 (some measurement failed) or 2 (a usage error).

The CLI is called in-process (its ``main``) with output captured. Measurements are kept cheap: the
metrics offered are parameter counts and the entries tiny, and entries are measured in this
process rather than in a worker (the fuzz is about argument handling, not isolation, which
``test_runner_faults`` covers).
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modbench.run import session, worker
from modbench.cli import main

ENTRIES = ["relu", "linear", "silu", "swish", "dropout", "embedding", "no_such_entry", "lin*", "[", ""]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
PATHS = ["", "r", "r/deeper", "\x00", "/dev/null", "/proc/no/such", ".", "-"]
# The values each option is tried with: the edges a user (or a script) reaches, then any text.
EDGES = {
    "--batch": ["1", "2", "1,2", "0", "-1", "99999999999999999999999", "1e3", ",", "1,,2", "abc"],
    "--threads": ["1", "2", "0", "-1", "99999", "abc"],
    "--time-limit": ["inf", "-inf", "nan", "1e300", "-1", "0", "5", "1e-9", "abc"],
    "--hw": ["8", "0", "-1", "99999999999"],
    "--set": ["in_features=4", "features=7", "sizes=7", "x=1", "=", "in_features=abc", "in_features=-1",
              "in_features=99999999999", "in_features=[1]", "in_features=nan"],
    "--input-shape": ["1x4", "2x4", "8x3x64x64", "0x4", "x", "1x-1", "99999999999x4", "4"],
    "--mode": ["infer", "train", "infer,train", ",", "", "infer,,", "INFER", "bogus"],
    "--device": ["cpu", "CPU", "cuda", "", "tpu"],
    "--dtype": ["fp32", "fp16", "bf16", "", "int8"],
    "--metrics": ["params", "params,params", ",", "", "bogus", "PARAMS"],
    "--format": ["table", "json", "csv", "markdown", "", "xml"],
    "--family": ["block", "model", "", "x"],
    "--tag": ["activation", "attention", "", "nope", "*"],
    "--exclude": ["*", "[", "re*", ""],
    "--resume": ["nope", "", "r", "r/x.jsonl", "/dev/null"],
    "--results-dir": PATHS, "--out": PATHS, "--from": PATHS, "--asv-results": PATHS, "--repo": PATHS,
    "--alpha": ["0.05", "1.5", "nan", "inf", "0", "-0.1"],
    "--min-effect": ["0.1", "-1", "nan", "inf", "0"],
}


def _option(name: str) -> st.SearchStrategy[list[str]]:
    value = st.one_of(st.sampled_from(EDGES.get(name, [""])), st.sampled_from(EDGES.get(name, [""])), TEXT)
    return value.map(lambda text: [name, text])


def _command(name: str, options: list[str], positional: st.SearchStrategy[list[str]]) -> st.SearchStrategy[list[str]]:
    chosen = st.lists(st.sampled_from(options).flatmap(_option), max_size=4).map(lambda pairs: [a for p in pairs for a in p])
    flags = st.lists(st.sampled_from(["--quick", "--help", "--list", "--render-only"]), max_size=1)
    return st.tuples(positional, chosen, flags).map(lambda parts: [name, *parts[0], *parts[1], *parts[2]])


NAMES = st.lists(st.one_of(st.sampled_from(ENTRIES[:6]), st.sampled_from(ENTRIES), TEXT), min_size=1, max_size=2)
SETTINGS = ["--set", "--hw", "--batch", "--mode", "--device", "--dtype", "--threads", "--time-limit", "--metrics",
            "--format", "--results-dir", "--input-shape"]
ARGV = st.one_of(
    _command("list", ["--family", "--tag", "--exclude", "--format"], st.lists(st.sampled_from(ENTRIES), max_size=2)),
    _command("measure", [*SETTINGS, "--resume"], NAMES.map(lambda names: [*names, "--metrics", "params"])),
    _command("compare", SETTINGS, st.tuples(st.sampled_from(ENTRIES), st.sampled_from(ENTRIES)).map(lambda ab: [*ab, "--metrics", "params"])),
    _command("claims", ["--format", "--results-dir", "--from", "--threads", "--device"], st.just(["--list"])),
    _command("report", ["--out", "--threads", "--device", "--time-limit"], st.just(["--render-only"])),
    _command("history", ["--asv-results", "--results-dir", "--out", "--alpha", "--min-effect", "--format", "--repo"], st.just([])),
    st.lists(st.one_of(TEXT, st.sampled_from(["--plugin", "--version", "-h", "measure", "list"])), max_size=3),
)


class _InProcessWorker:
    """Measures in this process, but hands the record over a pipe waited on with the time limit, as
    the real worker's parent does: the fuzz exercises argument handling, not process isolation."""

    def __init__(self, plugins: object = (), references: object = ()) -> None:
        self.alive = True
        self._receive, self._send = multiprocessing.Pipe(duplex=False)

    def measure(self, spec: object, time_limit: float | None) -> object:
        self._send.send(worker.execute(spec))
        if not self._receive.poll(time_limit):
            raise AssertionError("a record already sent was not there")
        return self._receive.recv()

    def stop(self) -> None:
        self.alive = False
        self._receive.close()
        self._send.close()


@contextlib.contextmanager
def _captured() -> Iterator[tuple[io.StringIO, io.StringIO]]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        yield out, err


@pytest.fixture
def in_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(session, "Worker", _InProcessWorker)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(argv=ARGV)
def test_no_arguments_make_a_traceback_or_a_strange_exit(in_process: Path, argv: list[str]) -> None:
    with _captured() as (out, err):
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse: --help, --version and its usage errors
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 2)
        except BaseException:  # noqa: BLE001 - anything escaping main is the failure being looked for
            pytest.fail(f"modbench {argv!r} raised:\n{traceback.format_exc()}")
    assert code in (0, 1, 2), (argv, code, err.getvalue()[-2000:])
    assert "Traceback" not in err.getvalue() + out.getvalue(), (argv, err.getvalue()[-2000:])
    if code == 2:
        lines = [line for line in err.getvalue().splitlines() if line.startswith("modbench") and "error" in line]
        assert len(lines) >= 1, (argv, err.getvalue())

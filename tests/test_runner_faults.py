"""Nothing is lost: an entry that raises, overruns its time limit, runs out of memory or crashes its
process, a SIGINT in the middle of a run, a killed run and ``--resume``.

The faults come from ``tests/plugins/faults.py``, loaded with ``--plugin`` as a user's file would be.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

from modbench.commands.progress import BarProgress, progress_for
from modbench.metrics.target import module_target
from modbench.results import read_run
from modbench.run.plan import RunOptions, plan_specs
from modbench.run.session import run_specs
from modbench.run.worker import failure_status
from modbench.run.worker import Worker
from modbench.spec import Settings
from tests.signals import keyboard_interrupt_on_sigint, restore_sigint

PLUGIN = str(Path(__file__).parent / "plugins" / "faults.py")
QUICK = ["--quick", "--metrics", "params,latency"]


def run_file(results: Path) -> Path:
    (path,) = results.glob("*.jsonl")
    return path


def statuses(path: Path) -> dict[str, str]:
    return {r.key.entry: r.status for r in read_run(path).latest()}


def test_every_fault_is_recorded_with_its_reason_and_the_rest_is_kept(
    cli: Callable, isolated_registry: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODBENCH_FAULT_SLEEP", "60")
    names = ["fault_ok", "fault_raise", "fault_sleep", "fault_cuda_oom", "fault_cpu_oom", "fault_segfault", "fault_ok_too"]
    result = cli("--plugin", PLUGIN, "measure", *names, *QUICK, "--time-limit", "3",
                 "--results-dir", str(tmp_path), "--format", "json")
    assert result.code == 1
    records = {r["entry"]: r for r in json.loads(result.out)}
    assert list(records) == names
    assert records["fault_ok"]["status"] == records["fault_ok_too"]["status"] == "ok"
    assert records["fault_ok_too"]["latency_ms"] > 0  # measured by a fresh process after the crash
    expected = {
        "fault_raise": ("failed", "deliberate failure in forward"),
        "fault_sleep": ("timeout", "time limit of 3 s"),
        "fault_cuda_oom": ("oom", "OutOfMemoryError: CUDA out of memory"),
        "fault_cpu_oom": ("oom", "can't allocate memory"),
        "fault_segfault": ("failed", "SIGSEGV"),
    }
    failure_lines = [line for line in result.err.splitlines() if not line.startswith("modbench: [")]
    for name, (status, reason) in expected.items():
        assert records[name]["status"] == status, records[name]
        assert reason in records[name]["error"]
        assert sum(line.startswith(f"modbench: {name} ") and reason in line for line in failure_lines) == 1
    assert statuses(run_file(tmp_path)) == {name: r["status"] for name, r in records.items()}


def start(results: Path, *args: str, sleep: str) -> subprocess.Popen[str]:
    env = {**os.environ, "MODBENCH_FAULT_SLEEP": sleep}
    command = [sys.executable, "-m", "modbench.cli", "--plugin", PLUGIN, "measure", *args, *QUICK, "--results-dir", str(results)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=restore_sigint)


def wait_for_records(process: subprocess.Popen[str], results: Path, count: int, timeout: float = 180.0) -> Path:
    """The run file once it holds ``count`` records (the header line is not one)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        paths = list(results.glob("*.jsonl"))
        if paths and len(paths[0].read_text().splitlines()) > count:
            return paths[0]
        if process.poll() is not None:
            raise AssertionError(f"the run ended (exit {process.returncode}) early: {process.communicate()[1]}")
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the run did not write {count} records within {timeout} s: {process.communicate()[1]}")


def resume(cli: Callable, path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("MODBENCH_FAULT_SLEEP", "0")
    return cli("--plugin", PLUGIN, "measure", "--resume", path.stem, "--results-dir", str(path.parent), "--format", "json")


def test_sigint_keeps_what_was_measured_and_resume_measures_only_the_rest(
    cli: Callable, isolated_registry: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = start(tmp_path, "fault_ok", "fault_sleep", "fault_ok_too", sleep="60")
    path = wait_for_records(process, tmp_path, 1)
    time.sleep(1.0)  # fault_sleep is now in flight
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert f"--resume {path.stem}" in err
    assert statuses(path) == {"fault_ok": "ok", "fault_sleep": "interrupted"}

    result = resume(cli, path, monkeypatch)
    assert result.code == 0, result.err
    assert [r["entry"] for r in json.loads(result.out)] == ["fault_ok", "fault_sleep", "fault_ok_too"]
    assert set(statuses(path).values()) == {"ok"}
    measured = [r.key.entry for r in read_run(path).records]
    assert measured.count("fault_ok") == 1  # not measured again


def test_resume_after_the_run_was_killed_completes_it(
    cli: Callable, isolated_registry: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    process = start(tmp_path, "fault_ok", "fault_sleep", "fault_ok_too", "--batch", "1,2", sleep="60")
    path = wait_for_records(process, tmp_path, 2)
    os.killpg(process.pid, signal.SIGKILL)  # the run and its measuring process, as a kill -9 of the session would
    process.communicate(timeout=30)
    assert statuses(path) == {"fault_ok": "ok"}

    result = resume(cli, path, monkeypatch)
    assert result.code == 0, result.err
    latest = read_run(path).latest()
    assert len(latest) == 6 and all(r.ok for r in latest)
    assert [r.key.entry for r in read_run(path).records].count("fault_ok") == 2  # batches 1 and 2, once each


def test_resume_is_refused_with_entry_names_or_for_an_unknown_run(cli: Callable, tmp_path: Path) -> None:
    mixed = cli("measure", "linear", "--resume", "x", "--results-dir", str(tmp_path))
    assert mixed.code == 2 and "drop the entry names" in mixed.err
    unknown = cli("measure", "--resume", "20990101T000000Z-none", "--results-dir", str(tmp_path))
    assert unknown.code == 2 and "no run" in unknown.err and len(unknown.err.strip().splitlines()) == 1


class Interrupting(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        raise KeyboardInterrupt


def test_in_process_runs_record_failures_and_interrupts_too() -> None:
    sources = [
        module_target(nn.Linear(4, 4), torch.randn(1, 4), name="fine"),
        module_target(nn.Linear(4, 4), torch.randn(1, 3), name="bad_shape"),
        module_target(Interrupting(), torch.randn(1, 4), name="interrupting"),
        module_target(nn.Linear(4, 4), torch.randn(1, 4), name="never_reached"),
    ]
    specs = plan_specs(sources, [1], [Settings(metrics=("params",))])
    outcome = run_specs(specs, options=RunOptions(isolate=False))
    assert outcome.interrupted
    assert [(r.key.entry, r.status) for r in outcome.records] == [
        ("fine", "ok"), ("bad_shape", "failed"), ("interrupting", "interrupted"),
    ]


def test_out_of_memory_is_recognised_through_the_cause_chain() -> None:
    try:
        try:
            torch.empty(1 << 46, dtype=torch.uint8)
        except RuntimeError as error:
            raise ValueError("while building") from error
    except ValueError as wrapped:
        assert failure_status(wrapped) == "oom"
    assert failure_status(RuntimeError("shape mismatch")) == "failed"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_a_bar_on_a_terminal_and_plain_lines_otherwise() -> None:
    specs = plan_specs([module_target(nn.Linear(4, 4), torch.randn(1, 4), name="tiny")], [1, 2], [Settings(metrics=("params",))])
    assert isinstance(progress_for(Terminal()), BarProgress)
    terminal = Terminal()
    run_specs(specs, options=RunOptions(isolate=False), progress=progress_for(terminal))
    assert "tiny" in terminal.getvalue()
    pipe = io.StringIO()
    run_specs(specs, options=RunOptions(isolate=False), progress=progress_for(pipe))
    assert pipe.getvalue().splitlines() == ["modbench: [1/2] tiny (batch 1, infer): ok", "modbench: [2/2] tiny (batch 2, infer): ok"]


def test_a_ctrl_c_taken_by_another_thread_still_ends_the_wait_on_a_child() -> None:
    """The kernel may hand SIGINT to any thread; the parent's wait on its child must notice it within a slice, not at the time limit."""
    waiting = object.__new__(Worker)  # only its connection is used: a child that never answers
    waiting._conn, silent_child = multiprocessing.Pipe()
    other = threading.Thread(target=lambda: (time.sleep(0.3), signal.pthread_kill(threading.get_ident(), signal.SIGINT)))
    started = time.monotonic()
    other.start()
    with keyboard_interrupt_on_sigint(), pytest.raises(KeyboardInterrupt):
        waiting._receive(30.0)
    other.join()
    assert time.monotonic() - started < 5.0
    silent_child.close()

"""Entries cannot skew each other, the caller, or the output: fresh workers, dying with their parent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from torch import nn

import modbench

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = str(ROOT / "tests" / "plugins" / "hostile.py")


def modbench_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``modbench ARGS`` in a separate process, so what its children write to the real stdout is seen."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "modbench.cli", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=300)


def test_what_an_entry_prints_does_not_corrupt_json_output(tmp_path: Path) -> None:
    run = modbench_cli("--plugin", PLUGIN, "measure", "hostile_print", "--metrics", "params", "--format", "json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    [record] = json.loads(run.stdout)
    assert record["status"] == "ok"
    assert "hostile plugin imported" in run.stderr and "hostile forward output" in run.stderr


def test_every_entry_gets_a_fresh_worker_unless_reuse_is_asked_for(tmp_path: Path) -> None:
    pids: dict[str, set[str]] = {}
    for flags in ((), ("--reuse-worker",)):
        pid_file = tmp_path / f"pids{len(flags)}"
        run = modbench_cli("--plugin", PLUGIN, "measure", "pid_a", "pid_b", "--metrics", "params", *flags,
                           cwd=tmp_path, env={"MODBENCH_PID_FILE": str(pid_file)})
        assert run.returncode == 0, run.stderr
        pids[" ".join(flags)] = set(pid_file.read_text().split())
    assert len(pids[""]) == 2  # one process per entry (each writes its pid once per forward it runs)
    assert len(pids["--reuse-worker"]) == 1


def test_an_entry_that_changes_the_thread_count_is_not_timed_at_the_pinned_count(
    cli: Callable, isolated_registry: dict, tmp_path: Path
) -> None:
    timed = cli("--plugin", PLUGIN, "measure", "hostile_threads", "--threads", "2", "--metrics", "params,latency", "--quick",
                "--format", "json", "--results-dir", str(tmp_path))
    assert timed.code == 1
    [record] = json.loads(timed.out)
    assert record["status"] == "failed" and "changed the CPU thread count to 1" in record["error"]


def test_an_entry_that_changes_the_thread_count_is_still_counted(cli: Callable, isolated_registry: dict, tmp_path: Path) -> None:
    counted = cli("--plugin", PLUGIN, "measure", "hostile_threads", "--threads", "2", "--metrics", "params",
                  "--format", "json", "--results-dir", str(tmp_path))
    assert counted.code == 0 and json.loads(counted.out)[0]["params"] == 4 * 4 + 4


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see the orphan")
def test_a_worker_dies_with_its_parent(tmp_path: Path) -> None:
    code = ("from modbench.run.worker import Worker; import os, signal, time; w = Worker(); "
            "print(w.process.pid, flush=True); time.sleep(1); os.kill(os.getpid(), signal.SIGKILL)")
    parent = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                            capture_output=True, text=True, timeout=120)
    child = int(parent.stdout.split()[0])
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _gone(child)


@pytest.mark.parametrize("limit", ["inf", "nan", "1e300", "0"])
def test_an_impossible_time_limit_is_a_usage_error_and_leaves_no_run(cli: Callable, tmp_path: Path, limit: str) -> None:
    result = cli("measure", "linear", "--metrics", "params", "--time-limit", limit, "--results-dir", str(tmp_path / "r"))
    assert result.code == 2 and "--time-limit" in result.err and len(result.err.strip().splitlines()) == 1
    assert not list(tmp_path.glob("r/*.jsonl"))


def test_the_time_limit_does_not_count_the_workers_start_up(cli: Callable, tmp_path: Path) -> None:
    result = cli("measure", "ghost", "--metrics", "params", "--time-limit", "1", "--results-dir", str(tmp_path))
    assert result.code == 0, result.err


class _Editing(nn.Linear):
    """Edits its own weight and the thread count in every forward, as a careless module might."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        torch.set_num_threads(1)
        with torch.no_grad():
            self.weight.add_(1.0)
        return super().forward(x)


def test_the_api_leaves_the_callers_module_grads_and_threads_as_they_were() -> None:
    module = _Editing(8, 8)
    module(torch.randn(2, 8)).sum().backward()
    grad, weight = module.weight.grad.clone(), module.weight.detach().clone()
    threads = max(2, torch.get_num_threads())
    torch.set_num_threads(threads)
    frame = modbench.measure(module, torch.randn(2, 8), metrics=["params", "flops"], mode="train")
    assert frame["status"].tolist() == ["ok"]
    assert torch.equal(module.weight.grad, grad) and torch.equal(module.weight.detach(), weight)
    assert torch.get_num_threads() == threads

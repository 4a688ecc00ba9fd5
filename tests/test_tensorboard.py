"""The traces ``modbench profile`` writes, served by a real TensorBoard with the PyTorch Profiler plugin.

One TensorBoard subprocess per module, on 127.0.0.1 and a free port, in its own process group; it
is stopped by its PID (and group) whatever happens. Only a missing TensorBoard skips these tests: a
missing or broken torch-tb-profiler fails them, since then the traces open nowhere.

On a CPU trace the plugin offers Overview, Operator, Trace, Memory and Module; Kernel (and the
GPU parts of Overview) need CUDA kernels in the trace.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from modbench.cli import main

pytest.importorskip("tensorboard", reason="TensorBoard is not installed (pip install tensorboard torch-tb-profiler)")

pytestmark = pytest.mark.slow

STARTUP_TIMEOUT_S = 60.0
LOAD_TIMEOUT_S = 90.0
ENTRIES = ("ghost", "conv2d")
ACTIVE_STEPS = 3
PLUGIN = "/data/plugin/pytorch_profiler"


@dataclass(frozen=True)
class Server:
    """A running TensorBoard and the folder of summaries ``modbench profile`` wrote beside its logdir."""

    url: str
    report_dir: Path

    def get(self, path: str, **params: str) -> bytes:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=30) as response:
            body = response.read()
            return gzip.decompress(body) if response.headers.get("Content-Encoding") == "gzip" else body

    def json(self, path: str, **params: str) -> Any:
        return json.loads(self.get(path, **params))


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, check: Any, timeout: float, process: subprocess.Popen[bytes], log: Path) -> Any:
    """Poll ``check()`` until it returns something truthy; fail with the server's log if it dies or times out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"TensorBoard exited with {process.returncode} while waiting for {what}:\n{log.read_text()[-2000:]}")
        with contextlib.suppress(OSError, ValueError):
            result = check()
            if result:
                return result
        time.sleep(0.5)
    pytest.fail(f"TensorBoard gave no {what} within {timeout:.0f} s:\n{log.read_text()[-2000:]}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop TensorBoard by its PID and process group (its run loaders are child processes)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=10)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("tensorboard")
    logdir, report_dir = root / "traces", root / "profiles"
    with contextlib.redirect_stdout(io.StringIO()):
        code = main([
            "profile", *ENTRIES, "--hw", "8", "--set", "in_channels=8", "--set", "out_channels=8",
            "--active", str(ACTIVE_STEPS), "--logdir", str(logdir), "--report-dir", str(report_dir),
        ])
    assert code == 0

    port = free_port()
    tmpdir = root / "tmp"
    tmpdir.mkdir()
    log = root / "tensorboard.log"
    env = {**os.environ, "TMPDIR": str(tmpdir)}  # TensorBoard writes .tensorboard-info under TMPDIR
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port)],
            stdout=sink, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
    try:
        tensorboard = Server(url=f"http://127.0.0.1:{port}", report_dir=report_dir)
        wait_for("plugin listing", lambda: tensorboard.json("/data/plugins_listing"), STARTUP_TIMEOUT_S, process, log)
        expected = {f"{entry}_cpu_infer" for entry in ENTRIES}

        def loaded() -> bool:
            runs = tensorboard.json(f"{PLUGIN}/runs")
            return not runs["loading"] and expected <= set(runs["runs"])

        wait_for("loaded runs", loaded, LOAD_TIMEOUT_S, process, log)
        yield tensorboard
    finally:
        stop(process)
    assert process.poll() is not None


def profile_params(entry: str) -> dict[str, str]:
    return {"run": f"{entry}_cpu_infer", "worker": f"{entry}_cpu", "span": "1"}


def test_plugin_loaded_and_runs_listed(server: Server) -> None:
    plugins = server.json("/data/plugins_listing")
    assert plugins["pytorch_profiler"]["enabled"] is True
    runs = server.json(f"{PLUGIN}/runs")
    assert runs["loading"] is False
    assert {f"{entry}_cpu_infer" for entry in ENTRIES} <= set(runs["runs"])


@pytest.mark.parametrize("entry", ENTRIES)
def test_views_workers_spans(server: Server, entry: str) -> None:
    run = f"{entry}_cpu_infer"
    views = server.json(f"{PLUGIN}/views", run=run)
    assert {"Overview", "Operator", "Trace", "Memory", "Module"} <= set(views)
    assert "Kernel" not in views  # GPU kernels only
    assert server.json(f"{PLUGIN}/workers", run=run, view="Overview") == [f"{entry}_cpu"]
    assert server.json(f"{PLUGIN}/spans", run=run, worker=f"{entry}_cpu") == ["1"]


@pytest.mark.parametrize("entry", ENTRIES)
def test_overview(server: Server, entry: str) -> None:
    overview = server.json(f"{PLUGIN}/overview", **profile_params(entry))
    assert {"title": "Device Type", "value": "CPU"} in overview["environments"]
    assert len(overview["steps"]["rows"]) == ACTIVE_STEPS
    step_time = overview["performance"][0]
    assert step_time["name"] == "Average Step Time" and step_time["value"] > 0


@pytest.mark.parametrize("entry", ENTRIES)
def test_operator_view_matches_our_summary(server: Server, entry: str) -> None:
    params = profile_params(entry)
    pie = server.json(f"{PLUGIN}/operation", group_by="Operation", **params)
    assert pie["device_self_time"] is None  # no GPU in a CPU trace
    assert any(name == "aten::conv2d" for name, _ in pie["host_total_time"]["rows"])

    table = {row["name"]: row for row in server.json(f"{PLUGIN}/operation/table", group_by="Operation", **params)["data"]}
    ours = pd.read_csv(server.report_dir / f"{entry}_cpu_infer.csv").set_index("name")
    top = ours.index[0]  # most self CPU time per step in our summary
    assert table[top]["calls"] == ours.loc[top, "calls"] * ACTIVE_STEPS
    assert table[top]["host_self_duration"] == pytest.approx(ours.loc[top, "self_cpu_us"] * ACTIVE_STEPS, rel=0.01, abs=1)

    by_shape = server.json(f"{PLUGIN}/operation/table", group_by="OperationAndInputShape", **params)["data"]
    assert any(row["name"] == "aten::conv2d" and "[1, 8, 8, 8]" in row["input_shape"] for row in by_shape)


@pytest.mark.parametrize("entry", ENTRIES)
def test_trace_memory_and_module_views(server: Server, entry: str) -> None:
    params = profile_params(entry)
    trace = json.loads(server.get(f"{PLUGIN}/trace", **params))
    assert any(event.get("name") == "aten::conv2d" for event in trace["traceEvents"])

    memory = server.json(f"{PLUGIN}/memory", **params)
    assert memory["rows"]["CPU"]
    curve = server.json(f"{PLUGIN}/memory_curve", **params)
    assert curve["rows"]["CPU"]

    modules = server.json(f"{PLUGIN}/module", **params)
    assert modules["data"] and modules["data"][0]["host_duration"] > 0

    assert server.json(f"{PLUGIN}/kernel", **params) is None  # Kernel view: GPU only

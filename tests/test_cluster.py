"""``--cluster``: a real Dask scheduler and two worker processes on 127.0.0.1, driven through the CLI.

Every record arrives once; a worker killed mid-run loses nothing (its task is retried on the
other); Ctrl-C keeps what arrived and ``--resume`` on the cluster finishes the run; ``local:N``
measures the same keys. Every process started here is stopped by its PID, and checked gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from modbench.environment import machine_id
from modbench.results import read_run
from tests.ports import free_port
from tests.signals import restore_sigint

distributed = pytest.importorskip("distributed", reason="the cluster extra (dask[distributed]) is not installed")
psutil = pytest.importorskip("psutil", reason="psutil comes with distributed")

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = str(ROOT / "tests" / "plugins" / "faults.py")
DASK = [sys.executable, "-m"]  # then distributed.cli.dask_scheduler or distributed.cli.dask_worker
SLEEP_S = "1.5"  # fault_sleep's forward, on the workers: long enough to be killed in the middle of
COUNTS = ["--metrics", "params,flops"]
TIMEOUT_S = 120


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MODBENCH_FAULT_SLEEP": SLEEP_S}


@dataclass
class Cluster:
    address: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    seen: set[int] = field(default_factory=set)  # every PID of the cluster's process trees, to check none is left

    def start(self, name: str, *args: str, cwd: Path) -> None:
        self.processes[name] = subprocess.Popen(
            [*DASK, *args], cwd=cwd, env=environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    def note_descendants(self) -> None:
        for process in self.processes.values():
            with _gone_ok():
                self.seen |= {p.pid for p in psutil.Process(process.pid).children(recursive=True)} | {process.pid}

    def worker(self, client: object, pid: int) -> str:
        """The address of the worker whose process is ``pid``."""
        return next(address for address, worker_pid in client.run(os.getpid).items() if worker_pid == pid)

    def stop(self) -> None:
        self.note_descendants()
        for process in reversed(list(self.processes.values())):
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        deadline = time.monotonic() + 20
        while (left := [pid for pid in self.seen if _alive(pid)]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"processes left behind by the cluster: {left}"


class _gone_ok:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, *_: object) -> bool:
        return kind is not None and issubclass(kind, psutil.Error)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A scheduler, a worker under a nanny (as the README starts one) and a worker without one."""
    where = tmp_path_factory.mktemp("cluster")
    port = free_port()
    running = Cluster(f"tcp://127.0.0.1:{port}")
    try:
        running.start("scheduler", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard", cwd=where)
        worker = ["--nthreads", "1", "--resources", "measure=1", "--host", "127.0.0.1", "--no-dashboard"]
        running.start("nanny", "distributed.cli.dask_worker", running.address, *worker, cwd=where)
        running.start("worker", "distributed.cli.dask_worker", running.address, *worker, "--no-nanny", cwd=where)
        with distributed.Client(running.address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield running
    finally:
        running.stop()


def modbench(*args: str, cwd: Path, wait: bool = True) -> subprocess.Popen | subprocess.CompletedProcess:
    command = [sys.executable, "-m", "modbench.cli", "--plugin", PLUGIN, *args]
    if not wait:
        return subprocess.Popen(
            command, cwd=cwd, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=restore_sigint,
        )
    return subprocess.run(command, cwd=cwd, env=environment(), capture_output=True, text=True, timeout=TIMEOUT_S)


def record_lines(path: Path) -> list[dict]:
    return [row for row in map(json.loads, path.read_text().splitlines()) if row.get("kind") == "record"]


def planned_keys(path: Path) -> list[tuple[str, int]]:
    header = json.loads(path.read_text().splitlines()[0])
    return [(item["entry"], item["batch"]) for item in header["plan"]]


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def run_file(results: Path) -> Path:
    wait_for(lambda: any(results.glob("*.jsonl")), "the run file")
    (path,) = results.glob("*.jsonl")
    return path


def test_a_sweep_on_the_cluster_arrives_once_per_key_with_the_workers_environment(cluster: Cluster, tmp_path: Path) -> None:
    done = modbench("measure", "fault_ok", "fault_ok_too", "linear", "relu", "--batch", "1,2", *COUNTS,
                    "--cluster", cluster.address, "--results-dir", "results", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    path = run_file(tmp_path / "results")
    lines = record_lines(path)
    keys = [(row["entry"], row["batch"]) for row in lines]
    assert sorted(keys) == sorted(planned_keys(path)) and len(keys) == 8  # each planned key once, nothing else
    assert {row["status"] for row in lines} == {"ok"}
    assert {row["params"] for row in lines if row["entry"] == "linear"} == {512 * 512 + 512}
    assert {row["machine_id"] for row in lines} == {machine_id()}  # stamped by the worker, on this machine
    assert [(r["entry"], r["batch"]) for r in json.loads(done.stdout)] == planned_keys(path)  # the table in plan order


def test_ctrl_c_keeps_what_arrived_and_resume_on_the_cluster_finishes(cluster: Cluster, tmp_path: Path) -> None:
    with distributed.Client(cluster.address, timeout=30) as client:
        client.wait_for_workers(2, timeout=60)
        run = modbench("measure", "fault_sleep", "--batch", "1,2,3,4", *COUNTS, "--cluster", cluster.address,
                       "--results-dir", "results", cwd=tmp_path, wait=False)
        try:
            path = run_file(tmp_path / "results")
            wait_for(lambda: len(record_lines(path)) >= 1, "a first record")
            run.send_signal(signal.SIGINT)
            _, err = run.communicate(timeout=60)
        finally:
            if run.poll() is None:
                run.kill()
                run.wait(timeout=10)
        assert run.returncode == 130, err
        kept = {(r["entry"], r["batch"]) for r in record_lines(path) if r["status"] == "ok"}
        assert 1 <= len(kept) < 4
        before = len(record_lines(path))
        wait_for(lambda: not any(client.processing().values()), "the cluster to stop measuring the run", timeout=20)
    resumed = modbench("measure", "--resume", path.stem, "--cluster", cluster.address, "--results-dir", "results", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    latest = read_run(path).latest()
    assert sorted((r.key.entry, r.key.batch) for r in latest) == sorted(planned_keys(path))
    assert all(r.ok for r in latest)
    measured_again = [(r["entry"], r["batch"]) for r in record_lines(path)[before:]]
    assert not set(measured_again) & kept  # resume measured only what was missing


def test_a_worker_killed_mid_run_loses_nothing(cluster: Cluster, tmp_path: Path) -> None:
    run = modbench("measure", "fault_sleep", "fault_ok", "--batch", "1,2,3", *COUNTS, "--cluster", cluster.address,
                   "--results-dir", "results", cwd=tmp_path, wait=False)
    try:
        path = run_file(tmp_path / "results")
        victim = cluster.processes["worker"]
        with distributed.Client(cluster.address, timeout=30) as client:
            address = cluster.worker(client, victim.pid)
            wait_for(lambda: record_lines(path) and client.processing().get(address), "a task in flight on the worker")
            cluster.note_descendants()
            victim.kill()  # mid-task: its measuring child dies with it
            victim.wait(timeout=10)
        _, err = run.communicate(timeout=TIMEOUT_S)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=10)
    assert run.returncode == 0, err
    keys = [(row["entry"], row["batch"]) for row in record_lines(path)]
    assert sorted(keys) == sorted(planned_keys(path))  # every key once: the lost task was measured on the other worker
    assert {row["status"] for row in record_lines(path)} == {"ok"}


def test_local_cluster_measures_every_key_with_its_closed_form_counts(tmp_path: Path) -> None:
    done = modbench("measure", "linear", "fault_ok", "--batch", "1,3", *COUNTS, "--cluster", "local:2",
                    "--results-dir", "results", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["entry"], r["batch"]) for r in rows] == [("linear", 1), ("linear", 3), ("fault_ok", 1), ("fault_ok", 3)]
    for row in rows:
        features = row["config"].get("in_features") or row["config"]["features"]
        assert row["params"] == features * features + features
        assert row["macs"] == row["batch"] * features * features
    assert len(record_lines(run_file(tmp_path / "results"))) == 4
    assert {row["threads"] for row in rows} == {1}  # a count-only sweep pins one thread per task: no oversubscribed cores

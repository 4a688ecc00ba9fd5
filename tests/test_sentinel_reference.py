"""The run's quiet reference: taken once in the parent at the run's start, a floor under every worker's own.

The parent's calibration is replaced by a fixed reference (no timing); the last test sends a
reference no real check can exceed (1000 s) to a real worker and checks that its record was
judged against it: the slowdown is then close to -100 %.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from modbench.metrics import sentinel as sentinel_module
from modbench.metrics.sentinel import Sentinel, adopt_references, quiet_references, shared_sentinel
from modbench.records import Record
from modbench.run.plan import RunOptions
from modbench.run import session
from modbench.run.worker import Worker, failure_record
from modbench.spec import EntrySpec, Settings, Spec

TINY = EntrySpec.of("relu", {"channels": 4, "hw": 8})


@pytest.fixture
def fresh_sentinels(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[int, Sentinel]]:
    """This process's sentinels, emptied for the test and put back after."""
    shared: dict[int, Sentinel] = {}
    monkeypatch.setattr(sentinel_module, "_SHARED", shared)
    yield shared


def test_a_worker_calibrates_its_own_reference_with_the_runs_as_floor(fresh_sentinels: dict[int, Sentinel], monkeypatch: pytest.MonkeyPatch) -> None:
    own = {1: 0.006, 2: 0.002}

    def calibrate(self: Sentinel, repeats: int = 0) -> float:
        self.reference_s = own[self.threads]
        return self.reference_s

    monkeypatch.setattr(Sentinel, "calibrate", calibrate)
    adopt_references(((1, 0.004), (2, 0.003)))
    assert shared_sentinel(1).reference_s == 0.006  # the worker's own, slower than the parent's: its checks compare with it
    assert shared_sentinel(2).reference_s == 0.003  # never below the run's start reference
    assert quiet_references([2, 1, 2]) == ((1, 0.006), (2, 0.003))  # once per thread count, in order


class FakeWorker:
    """Stands in for the worker process: records what it was started with, measures nothing."""

    started: list[tuple[Any, ...]] = []

    def __init__(self, plugins: tuple[str, ...] = (), references: Any = ()) -> None:
        FakeWorker.started.append((plugins, references))
        self.alive = True

    def measure(self, spec: Spec, time_limit: float | None) -> Record:
        return failure_record(spec, "failed", "not measured: a stand-in worker")

    def stop(self) -> None:
        self.alive = False


def test_the_run_calibrates_once_in_the_parent_and_starts_every_worker_with_it(
    fresh_sentinels: dict[int, Sentinel], monkeypatch: pytest.MonkeyPatch
) -> None:
    calibrations: list[int] = []

    def calibrate(self: Sentinel, repeats: int = 0) -> float:
        calibrations.append(self.threads)
        self.reference_s = 0.0025
        return self.reference_s

    monkeypatch.setattr(Sentinel, "calibrate", calibrate)
    monkeypatch.setattr(session, "Worker", FakeWorker)
    FakeWorker.started = []
    timed = Settings(metrics=("latency",), quick=True, threads=1)
    counted = Settings(metrics=("params",), threads=2)
    specs = [Spec(TINY, 1, timed), Spec(EntrySpec.of("swish", {"channels": 4, "hw": 8}), 1, timed), Spec(TINY, 2, counted)]
    outcome = session.run_specs(specs, None, RunOptions())
    assert len(outcome.records) == 3
    assert calibrations == [1]  # once, in this process, for the one thread count that is timed
    assert [references for _, references in FakeWorker.started] == [((1, 0.0025),)] * 3  # a fresh worker per entry, each given it


def test_a_real_worker_judges_against_the_reference_it_was_given() -> None:
    spec = Spec(TINY, 1, Settings(metrics=("latency",), quick=True, threads=1))
    worker = Worker((), ((1, 1e3),))  # a floor of 1000 s: every check is far faster
    try:
        record = worker.measure(spec, None)
    finally:
        worker.stop()
    assert isinstance(record, Record) and record.ok, record.error
    assert not record.noisy and record.sentinel_slowdown is not None and record.sentinel_slowdown < -0.99

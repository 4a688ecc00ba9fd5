"""The noise sentinel, driven by a fake clock and a scripted /proc: deterministic, no real timing."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from modbench.metrics.sentinel import (
    CHECK_REPEATS,
    NOISE_THRESHOLD,
    REFERENCE_REPEATS,
    CpuSnapshot,
    Sentinel,
    SentinelReading,
    SystemProc,
    load_between,
)


class FakeMachine:
    """A clock that the workload advances by a scripted duration, and a /proc whose counters follow it.

    ``other_cores`` is how many cores other processes keep busy; this process uses one core while
    the workload runs. The counters move with the fake clock, so load and time agree.
    """

    def __init__(self, durations: Iterator[float], other_cores: float = 0.0, cpus: int = 2) -> None:
        self.now = 0.0
        self.durations = durations
        self.other_cores = other_cores
        self.cpus = cpus
        self.own = 0.0
        self.last = 0.0
        self.busy = 0.0

    def clock(self) -> float:
        return self.now

    def workload(self) -> None:
        duration = next(self.durations)
        self.now += duration
        self.own += duration

    def snapshot(self) -> CpuSnapshot:
        self.busy += (self.now - self.last) * self.other_cores
        self.last = self.now
        busy = self.busy + self.own
        return CpuSnapshot(busy, self.now * self.cpus - busy, 0.0, self.own, self.cpus, 1.0)


def sentinel(durations: list[float], other_cores: float = 0.0, threads: int = 1, retries: int = 2) -> tuple[Sentinel, FakeMachine]:
    machine = FakeMachine(iter(durations), other_cores)
    return Sentinel(threads, workload=machine.workload, clock=machine.clock, proc=machine, retries=retries, warmup=0), machine


def busy_measure(machine: FakeMachine, seconds: float = 1.0) -> float:
    machine.now += seconds
    machine.own += seconds
    return seconds


QUIET = [1.0] * REFERENCE_REPEATS  # the reference: quiet timings of the workload
CHECK = CHECK_REPEATS


def test_the_reference_is_the_calibration_median_and_a_faster_check_median_lowers_it() -> None:
    probe, _ = sentinel([1.3, 1.1, 1.2, 0.5, 1.4, 1.25, 1.15] + [0.9, 0.95, 0.9, 0.3, 1.0])
    assert probe.calibrate() == pytest.approx(1.2)  # the one lucky 0.5 does not become the reference
    assert probe.slowdown() == pytest.approx(0.0)  # the check's median 0.9 is now the fastest median seen
    assert probe.reference_s == pytest.approx(0.9)


def test_the_warm_up_runs_before_each_timing_are_not_timed() -> None:
    machine = FakeMachine(iter([9.0, 9.0] + QUIET + [9.0, 9.0] + [1.1] * CHECK))
    probe = Sentinel(1, workload=machine.workload, clock=machine.clock, proc=machine, warmup=2)
    assert probe.calibrate() == pytest.approx(1.0)
    assert probe.slowdown() == pytest.approx(0.1)


def test_one_slow_timing_in_a_check_does_not_make_it_noisy() -> None:
    probe, machine = sentinel(QUIET + [1.0, 3.0, 1.0, 1.0, 1.0] * 2, retries=0)
    probe.calibrate()
    _, reading = probe.watch(lambda: busy_measure(machine))
    assert reading.slowdown == pytest.approx(0.0) and not reading.noisy


def test_a_quiet_measurement_is_clean_after_one_attempt() -> None:
    probe, machine = sentinel(QUIET + [1.02] * (2 * CHECK))
    probe.calibrate()
    result, reading = probe.guarded(lambda: busy_measure(machine))
    assert result == 1.0
    assert reading.slowdown == pytest.approx(0.02) and not reading.noisy and reading.attempts == 1
    assert reading.other_cores == pytest.approx(0.0) and reading.reasons() == [] and reading.advice() is None


def test_a_slowed_sentinel_is_retried_and_a_quiet_retry_is_kept() -> None:
    probe, machine = sentinel(QUIET + [1.3] * (2 * CHECK) + [1.05] * (2 * CHECK))
    probe.calibrate()
    _, reading = probe.guarded(lambda: busy_measure(machine))
    assert not reading.noisy and reading.attempts == 2 and reading.slowdown == pytest.approx(0.05)


def test_a_sentinel_slowed_on_every_attempt_marks_the_quietest_noisy() -> None:
    probe, machine = sentinel(QUIET + [1.5] * (2 * CHECK) + [1.2] * (2 * CHECK) + [1.4] * (2 * CHECK))
    probe.calibrate()
    _, reading = probe.guarded(lambda: busy_measure(machine))
    assert reading.noisy and reading.attempts == 3
    assert reading.slowdown == pytest.approx(0.2)  # the quietest of the three attempts
    assert reading.reasons() == [f"sentinel 20% slower than quiet, past the {NOISE_THRESHOLD:.0%} threshold"]


def test_the_slower_check_of_before_and_after_counts() -> None:
    probe, machine = sentinel(QUIET + [1.0] * CHECK + [1.25] * CHECK, retries=0)
    probe.calibrate()
    _, reading = probe.watch(lambda: busy_measure(machine))
    assert reading.slowdown == pytest.approx(0.25) and reading.noisy


def test_just_under_the_threshold_is_clean_and_just_over_is_noisy() -> None:
    for slowdown, noisy in ((NOISE_THRESHOLD - 0.01, False), (NOISE_THRESHOLD + 0.01, True)):
        probe, machine = sentinel(QUIET + [1 + slowdown] * (2 * CHECK), retries=0)
        probe.calibrate()
        assert probe.watch(lambda: busy_measure(machine))[1].noisy is noisy


def test_other_work_on_the_pinned_cores_is_noisy_even_with_a_fast_sentinel_and_gives_thread_advice() -> None:
    probe, machine = sentinel(QUIET + [1.0] * (6 * CHECK), other_cores=1.0, threads=2)
    probe.calibrate()
    _, reading = probe.guarded(lambda: busy_measure(machine))
    assert reading.other_cores == pytest.approx(1.0)
    assert reading.free_cores == pytest.approx(1.0) and reading.contended and reading.noisy and reading.attempts == 3
    assert reading.reasons() == ["other work kept 1.0 of 2 cores busy"]
    assert "pin --threads 1" in reading.advice()


def test_one_busy_core_leaves_a_one_thread_measurement_clean() -> None:
    probe, machine = sentinel(QUIET + [1.0] * (2 * CHECK), other_cores=1.0, threads=1)
    probe.calibrate()
    _, reading = probe.guarded(lambda: busy_measure(machine))
    assert not reading.contended and not reading.noisy and reading.advice() is None


def test_no_free_core_at_all_advises_a_quieter_machine() -> None:
    reading = SentinelReading(0.5, 2.0, 0.0, 3.0, 2, 1, 3, True)
    assert reading.advice() == "only 0.0 of 2 cores were free for 1 pinned thread(s): rerun on a quieter machine"


def test_load_between_two_snapshots() -> None:
    before = CpuSnapshot(busy_s=10.0, idle_s=10.0, steal_s=0.0, own_s=1.0, cpus=2, load_average=0.5)
    after = CpuSnapshot(busy_s=13.0, idle_s=10.6, steal_s=0.4, own_s=2.0, cpus=2, load_average=1.5)
    load = load_between(before, after)
    assert load.other_cores == pytest.approx((3.0 - 1.0) / 2.0)  # 4 CPU-seconds over 2 CPUs: 2 s of wall time
    assert load.steal == pytest.approx(0.1) and load.load_average == 1.5
    assert math.isnan(load_between(before, before).other_cores)  # no tick passed: unknown, not zero


def test_proc_stat_is_read_in_seconds_of_cpu_time(tmp_path: Path) -> None:
    (tmp_path / "stat").write_text("cpu  100 0 50 800 50 0 0 25 0 0\ncpu0 50 0 25 400 25 0 0 12 0 0\ncpu1 50 0 25 400 25 0 0 13 0 0\nintr 1\n")
    (tmp_path / "loadavg").write_text("1.25 0.50 0.25 2/100 1234\n")
    proc = SystemProc(tmp_path)
    snapshot = proc.snapshot()
    assert snapshot.cpus == 2 and snapshot.load_average == 1.25
    assert snapshot.busy_s == pytest.approx(150 * proc.tick_s) and snapshot.idle_s == pytest.approx(850 * proc.tick_s)
    assert snapshot.steal_s == pytest.approx(25 * proc.tick_s)


def test_without_proc_load_is_unknown_and_never_reads_as_contended(tmp_path: Path) -> None:
    snapshot = SystemProc(tmp_path / "missing").snapshot()
    assert math.isnan(snapshot.busy_s)
    reading = SentinelReading(0.0, math.nan, math.nan, math.nan, 2, 2, 1, False)
    assert not reading.contended and reading.reasons() == []
    assert reading.to_dict()["other_cores"] is None


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="threads"):
        Sentinel(0, workload=lambda: None)
    with pytest.raises(ValueError, match="retries"):
        Sentinel(1, workload=lambda: None, retries=-1)

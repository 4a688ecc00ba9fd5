"""A noise sentinel: is the machine as fast now as it was when the run started?

A timing taken while other work shares the cores is slower, and nothing in the timing itself says
so. The sentinel is a small fixed calibration workload (a matrix product, compute-bound, and a
large copy, memory-bound) timed at the same thread count as the measurement:

* once when the run starts, several times; their median is the *quiet reference* (and any later
  check with a faster median lowers it, so a run that started busy still converges on the quiet
  speed);
* just before and just after each measurement, several times; its **slowdown** is the slower
  check's median against the reference (0.0: as fast as quiet; 0.3: 30 % slower).

Each timing follows :data:`WARMUP_REPEATS` untimed runs of the workload: right after a
measurement its first runs are slower (caches and the thread pool hold the measurement's state).
Measured here, interleaved with idle checks in one process: after 3 untimed runs a check read a
median 4–24 % slower than an idle one, after 10 runs −3 to +6 %, so 10 it is (about 15 ms at two
threads, 30 ms at one, per check). Reference and checks
are both medians: a reference taken as the fastest single timing would set
a lucky outlier against a typical check, and on a 2-vCPU virtual machine, where a two-thread
region now and then waits for a descheduled vCPU, that flags quiet measurements as noisy.

While the measurement runs, ``/proc/stat`` is read at its start and end: the CPU time of every
process but this one gives the cores **other work** kept busy, and the hypervisor's ``steal``
column the share of CPU time taken from this machine. ``/proc/loadavg`` is recorded too.

A measurement is **noisy** when the sentinel is slowed past :data:`NOISE_THRESHOLD` (15 %: well
outside the spread of the sentinel between checks on a quiet machine, which
``benchmarks/stability.py`` measures and reports), or when other work left fewer cores free than
threads are pinned (a parallel region then waits for whichever thread the scheduler took away). A
noisy measurement is retried (:data:`DEFAULT_RETRIES` times); if every attempt is noisy, the
quietest is kept and marked noisy, so it is never shown as clean.

The clock, the workload and the ``/proc`` reader are parameters, so tests drive the sentinel with a
fake clock and scripted load and are deterministic.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import torch

from modbench.metrics.allocator import hold_freed_memory

if TYPE_CHECKING:
    from modbench.records import Record

# A measurement is noisy when the sentinel runs more than 15 % slower than its process's quiet reference
# (calibrated when the worker starts, never below the run's start reference; see adopt_references): well outside the sentinel's own spread between
# checks on a quiet machine, which benchmarks/stability.py measures. See the module docstring.
NOISE_THRESHOLD = 0.15
DEFAULT_RETRIES = 2
REFERENCE_REPEATS = 7
CHECK_REPEATS = 5
WARMUP_REPEATS = 10
# How much of a core other work may use beyond the cores left free before pinned threads contend.
CORE_SLACK = 0.5

T = TypeVar("T")


@dataclass(frozen=True)
class CpuSnapshot:
    """Cumulative CPU seconds, all CPUs together, as ``/proc/stat`` counts them, and this process's own."""

    busy_s: float  # user + nice + system + irq + softirq (guest time is inside user)
    idle_s: float  # idle + iowait
    steal_s: float
    own_s: float  # this process's CPU time (every thread), which is not "other work"
    cpus: int
    load_average: float  # 1-minute load average from /proc/loadavg


class ProcReader(Protocol):
    """Where the sentinel reads system load from; tests pass a scripted one."""

    def snapshot(self) -> CpuSnapshot: ...


class SystemProc:
    """Reads ``/proc/stat`` and ``/proc/loadavg`` (Linux); elsewhere, load is unknown and reported as ``nan``."""

    def __init__(self, root: Path = Path("/proc")) -> None:
        self.root = root
        self.tick_s = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01

    def snapshot(self) -> CpuSnapshot:
        times = os.times()
        own = times.user + times.system
        try:
            lines = (self.root / "stat").read_text().splitlines()
            load = float((self.root / "loadavg").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return CpuSnapshot(math.nan, math.nan, math.nan, own, os.cpu_count() or 1, math.nan)
        fields = [float(value) * self.tick_s for value in lines[0].split()[1:]]
        fields += [0.0] * (8 - len(fields))
        user, nice, system, idle, iowait, irq, softirq, steal = fields[:8]
        cpus = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
        return CpuSnapshot(user + nice + system + irq + softirq, idle + iowait, steal, own, max(cpus, 1), load)


@dataclass(frozen=True)
class LoadSample:
    """What ``/proc`` said about the machine between two snapshots."""

    other_cores: float  # cores kept busy by every process but this one, on average
    steal: float  # share of all CPU time stolen by the hypervisor
    load_average: float
    cpus: int


def load_between(before: CpuSnapshot, after: CpuSnapshot) -> LoadSample:
    """The load of other work between ``before`` and ``after`` (``nan`` where ``/proc`` was unreadable or no tick passed)."""
    total = (after.busy_s - before.busy_s) + (after.idle_s - before.idle_s) + (after.steal_s - before.steal_s)
    if not total > 0:
        return LoadSample(math.nan, math.nan, after.load_average, after.cpus)
    wall = total / after.cpus  # seconds that passed, as the CPUs' counters saw them
    others = (after.busy_s - before.busy_s) - (after.own_s - before.own_s)
    return LoadSample(
        other_cores=max(others, 0.0) / wall,
        steal=(after.steal_s - before.steal_s) / total,
        load_average=after.load_average,
        cpus=after.cpus,
    )


@dataclass(frozen=True)
class SentinelReading:
    """The noise state of one measurement, stored with its record."""

    slowdown: float  # sentinel time around the measurement / quiet reference - 1
    other_cores: float  # cores other work kept busy during the measurement
    steal: float
    load_average: float
    cpus: int
    threads: int
    attempts: int  # 1 + retries spent
    noisy: bool
    threshold: float = NOISE_THRESHOLD

    @property
    def free_cores(self) -> float:
        """Cores left to this measurement by other work (``nan`` where load is unknown)."""
        return self.cpus - self.other_cores

    @property
    def contended(self) -> bool:
        """Whether other work left fewer cores free than threads are pinned (beyond :data:`CORE_SLACK`)."""
        return not math.isnan(self.other_cores) and self.free_cores < self.threads - CORE_SLACK

    def reasons(self) -> list[str]:
        """Why the measurement is noisy, in words (empty when it is clean)."""
        reasons = []
        if self.slowdown > self.threshold:
            reasons.append(f"sentinel {self.slowdown:.0%} slower than quiet, past the {self.threshold:.0%} threshold")
        if self.contended:
            reasons.append(f"other work kept {self.other_cores:.1f} of {self.cpus} cores busy")
        if self.steal > 0.05:
            reasons.append(f"{self.steal:.0%} of CPU time stolen by the hypervisor")
        return reasons

    def advice(self) -> str | None:
        """A ``--threads`` suggestion when fewer cores were free than threads pinned, else ``None``."""
        if not self.contended:
            return None
        free = math.floor(self.free_cores + CORE_SLACK)
        where = f"only {max(self.free_cores, 0.0):.1f} of {self.cpus} cores were free for {self.threads} pinned thread(s)"
        if 1 <= free < self.threads:
            return f"{where}: pin --threads {free}, or rerun on a quieter machine"
        return f"{where}: rerun on a quieter machine"

    def fill(self, record: Record) -> None:
        """Set a :class:`~modbench.records.Record`'s noise fields from this reading (unknown load stays ``None``)."""
        values = self.to_dict()
        record.sentinel_slowdown = values["slowdown"]
        record.other_cores_busy = values["other_cores"]
        record.cpu_steal = values["steal"]
        record.load_average = values["load_average"]
        record.sentinel_attempts = self.attempts
        record.noisy = self.noisy

    def to_dict(self) -> dict[str, Any]:
        """Plain values for a record; ``nan`` (load unknown) becomes ``None``."""
        return {key: (None if isinstance(value, float) and math.isnan(value) else value) for key, value in asdict(self).items()}


def default_workload(threads: int) -> Callable[[], None]:
    """The calibration workload: a 256×256 matrix product 4 times (compute) and a 16 MiB copy (memory).

    About 2.5 ms on one quiet core here, half of it each part; fixed sizes and seeded values, so
    its time only changes with the machine.
    """
    generator = torch.Generator().manual_seed(0)
    left = torch.randn(256, 256, generator=generator)
    right = torch.randn(256, 256, generator=generator)
    source = torch.randn(4 * 1024 * 1024, generator=generator)
    target = torch.empty_like(source)

    def run() -> None:
        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
        try:
            for _ in range(4):
                torch.mm(left, right)
            target.copy_(source)
        finally:
            torch.set_num_threads(previous)

    return run


class Sentinel:
    """Times the calibration workload at run start and around each measurement; see the module docstring."""

    def __init__(
        self,
        threads: int,
        *,
        workload: Callable[[], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        proc: ProcReader | None = None,
        threshold: float = NOISE_THRESHOLD,
        retries: int = DEFAULT_RETRIES,
        warmup: int = WARMUP_REPEATS,
    ) -> None:
        if threads < 1:
            raise ValueError(f"threads must be at least 1, got {threads}")
        if retries < 0:
            raise ValueError(f"retries must be 0 or more, got {retries}")
        self.threads = threads
        self.workload = workload or default_workload(threads)
        self.clock = clock
        self.proc = proc or SystemProc()
        self.threshold = threshold
        self.retries = retries
        self.warmup = warmup
        self.reference_s = math.inf
        self.floor_s = 0.0  # the reference never drops below this (the run's start reference; see adopt_references)

    def calibrate(self, repeats: int = REFERENCE_REPEATS) -> float:
        """Take the quiet reference: the median of ``repeats`` timings of the workload (seconds)."""
        self._time(repeats)
        return self.reference_s

    def slowdown(self) -> float:
        """The workload's time now against the quiet reference, minus 1 (calibrates first if needed)."""
        if math.isinf(self.reference_s):
            self.calibrate()
        return self._time(CHECK_REPEATS) / self.reference_s - 1.0

    def watch(self, measure: Callable[[], T]) -> tuple[T, SentinelReading]:
        """Run ``measure`` once between two sentinel checks, reading ``/proc`` before the first and after the last.

        The load window takes in the checks, so that even a measurement of a few milliseconds spans
        enough of the kernel's 10 ms ticks for the load of other work to mean something.
        """
        start = self.proc.snapshot()
        before = self.slowdown()
        result = measure()
        after = self.slowdown()
        end = self.proc.snapshot()
        load = load_between(start, end)
        reading = SentinelReading(
            slowdown=max(before, after),
            other_cores=load.other_cores,
            steal=load.steal,
            load_average=load.load_average,
            cpus=load.cpus,
            threads=self.threads,
            attempts=1,
            noisy=False,
            threshold=self.threshold,
        )
        return result, replace(reading, noisy=bool(reading.reasons()))

    def guarded(self, measure: Callable[[], T]) -> tuple[T, SentinelReading]:
        """:meth:`watch` ``measure``, retried while noisy; returns the first clean attempt, else the quietest, marked noisy."""
        attempts: list[tuple[T, SentinelReading]] = []
        for _ in range(self.retries + 1):
            result, reading = self.watch(measure)
            attempts.append((result, reading))
            if not reading.noisy:
                break
        result, reading = min(attempts, key=lambda attempt: (attempt[1].noisy, attempt[1].slowdown))
        return result, replace(reading, attempts=len(attempts))

    def _time(self, repeats: int) -> float:
        """The median of ``repeats`` timings of the workload; a median faster than the reference lowers it."""
        for _ in range(self.warmup):
            self.workload()
        times = []
        for _ in range(repeats):
            start = self.clock()
            self.workload()
            times.append(self.clock() - start)
        median = sorted(times)[len(times) // 2]
        self.reference_s = max(self.floor_s, min(self.reference_s, median))
        return median



_SHARED: dict[int, Sentinel] = {}


def shared_sentinel(threads: int) -> Sentinel:
    """This process's sentinel at ``threads`` threads: the run's quiet reference when one was adopted, else calibrated now.

    Every measurement a process makes at one thread count is checked against the same quiet
    reference, which only gets faster as the run goes on (see :meth:`Sentinel._time`).
    """
    if threads not in _SHARED:
        sentinel = Sentinel(threads)
        sentinel.calibrate()
        _SHARED[threads] = sentinel
    return _SHARED[threads]


QuietReferences = tuple[tuple[int, float], ...]
"""(threads, the sentinel's quiet reference in seconds) for each thread count a run times at."""


def quiet_references(threads: Iterable[int]) -> QuietReferences:
    """Calibrate the sentinel here, once per thread count, at the start of a run: the references every worker adopts.

    A worker calibrating for itself would take its reference whenever it starts, perhaps while
    the machine is already busy, and then judge its measurements against a slow reference; one
    reference taken at the run's start makes every record's slowdown comparable.
    The allocator is set as the workers set theirs (:mod:`modbench.metrics.allocator`), so the
    reference is taken under the same memory behaviour as the checks it is compared with.
    """
    hold_freed_memory()
    return tuple((count, shared_sentinel(count).reference_s) for count in sorted(set(threads)))


def adopt_references(references: QuietReferences) -> None:
    """Calibrate this process's sentinels at start-up, with the run's quiet references as their floor (a worker does this).

    The run's reference alone is not comparable with a fresh worker's checks: on this 2-core
    machine, quiet, a fresh worker runs the workload a median 23 % (90th percentile 41 %) slower
    than the parent that calibrated it, so judging against the parent's reference marked 161 of
    202 quiet measurements of a ``modbench report`` noisy. A worker's own reference (taken with
    its own caches and thread pool) is therefore the one its checks are compared with; the run's
    reference is a floor, so a worker that calibrates faster than the run's start cannot judge
    against a lucky timing either.
    """
    for threads, reference in references:
        sentinel = shared_sentinel(threads)
        sentinel.floor_s = reference
        sentinel.reference_s = max(sentinel.reference_s, reference)


def under_load(records: Iterable[Record]) -> tuple[int, int]:
    """(how many, of how many): the ``ok`` records with a latency, and those of them marked noisy.

    The report's header, its CLI warning and every command's warning count the same way.
    """
    timed = [record for record in records if record.ok and record.latency is not None]
    return sum(bool(record.noisy) for record in timed), len(timed)


def load_count(records: Iterable[Record]) -> str:
    """``2 of 40 latency measurements taken under load``: the count the report's header and the CLI's warning print."""
    noisy, timed = under_load(records)
    return f"{noisy} of {timed} latency measurements taken under load"


def noise_mark(noisy: bool | None, slowdown: float | None = None) -> str:
    """How a table marks a row timed under load: ``noisy (sentinel +32 %)``; empty for a clean or untimed row."""
    if not noisy:
        return ""
    return "noisy" + (f" (sentinel {slowdown:+.0%})" if slowdown is not None else "")


def noise_warning(records: Sequence[Record]) -> str | None:
    """One line for the CLI when any record's latency was taken under load: how many, the worst, and advice."""
    noisy = [record for record in records if record.ok and record.latency is not None and record.noisy]
    if not noisy:
        return None
    worst = max(noisy, key=lambda record: record.sentinel_slowdown or 0.0)
    busy = [record.other_cores_busy for record in noisy if record.other_cores_busy is not None]
    cpus = os.cpu_count() or 1
    threads = max(record.key.threads for record in noisy)
    line = f"{load_count(records)}, marked noisy (sentinel up to {worst.sentinel_slowdown or 0.0:.0%} slower than quiet"
    line += f", other work on up to {max(busy):.1f} of {cpus} cores)" if busy else ")"
    free = math.floor(cpus - max(busy, default=0.0) + CORE_SLACK)
    if busy and 1 <= free < threads:
        return line + f": rerun on a quieter machine, or pin --threads {free}"
    return line + ": rerun on a quieter machine before trusting those times"

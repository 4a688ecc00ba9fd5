"""What to measure, as frozen data, and the one key a measurement of it is stored under.

* :class:`EntrySpec`: a catalog entry at a config (overrides of its defaults) and, optionally,
  an input shape replacing its example input. Plain data, so a child process rebuilds the module
  from it and a run header can plan it.
* :class:`Settings`: the knobs: which measurements, device, dtype, mode, CPU threads, quick timing.
* :class:`Spec`: a subject (an ``EntrySpec``, or a :class:`~modbench.metrics.target.Target` built
  from a module given as a Python object) at one batch size under one ``Settings``. Its ``key``
  (a :class:`~modbench.records.RecordKey`) is derived here and nowhere else: the runner, the run
  file, resume, the result set, claims and history all meet on it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from modbench.catalog import get_entry
from modbench.errors import UsageError, closest
from modbench.metrics.registry import CROSS_CHECKS, MEASUREMENTS, TIMED_MEASUREMENTS
from modbench.metrics.state import MODES
from modbench.metrics.target import Target, entry_target, with_input_shape
from modbench.metrics.variants import AMP_DTYPES, COMPILE_MODES, check_knobs
from modbench.records import RecordKey, canonical_config

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class Settings:
    """How to measure: which measurements, where, at which precision, in which mode, on how many threads,
    which second counter (if any) cross-checks the MACs, the execution knobs, and how precise an
    interleaved latency ratio must be (``precision``: rounds go on until each ratio's 95 % interval
    is that tight, within a cap; ``None``: the plan's fixed rounds).

    ``channels_last``, ``compile`` and ``amp`` are the execution knobs of :mod:`modbench.metrics.variants`.
    """

    metrics: tuple[str, ...] = MEASUREMENTS
    device: str = "cpu"
    dtype: str = "fp32"
    mode: str = "infer"
    threads: int | None = None  # None: default_threads(metrics), set at init; an int from then on
    quick: bool = False
    cross_check: str | None = None
    channels_last: bool = False
    compile: str | None = None
    amp: str | None = None
    precision: float | None = None  # interleaved latencies: time until each ratio's 95 % interval is within ±this

    def __post_init__(self) -> None:
        check_metrics(self.metrics)
        if self.threads is None:
            object.__setattr__(self, "threads", default_threads(self.metrics))
        if self.cross_check is not None:
            check_choice("cross-check", self.cross_check, CROSS_CHECKS)
        check_choice("device", self.device, DEVICES)
        check_choice("dtype", self.dtype, tuple(DTYPES))
        check_choice("mode", self.mode, MODES)
        if self.threads < 1:
            raise UsageError(f"threads must be a positive integer, got {self.threads}")
        if self.precision is not None:
            check_precision(self.precision)
        if self.compile is not None:
            check_choice("--compile mode", self.compile, COMPILE_MODES)
        if self.amp is not None:
            check_choice("--amp precision", self.amp, tuple(AMP_DTYPES))
        check_knobs(self.device, self.dtype, self.compile, self.amp)


def default_threads(metrics: Sequence[str]) -> int:
    """The CPU threads a measurement pins when none are asked for: every core but one when it is
    timed, every core when it only counts (counts do not depend on threads).

    A parallel region waits for its slowest thread, so a timing pinned to every core is stalled
    whenever anything else runs on any of them: the run's own parent process, the noise
    sentinel's sampling, the system, or the host scheduling another guest on one virtual CPU. On
    this project's 2-vCPU machine the Ghost / conv2d latency ratio varied 11.6 % and 22.7 % between
    five quiet processes at 2 threads, and 3.4 % at 1 (``reports/stability_timing.md``). A core
    left free absorbs that; ``--threads`` still pins any count, and is recorded either way.
    "Cores" are torch's intra-op default (``torch.get_num_threads()``: the physical cores, or
    ``OMP_NUM_THREADS``).
    """
    return timing_threads() if TIMED_MEASUREMENTS.intersection(metrics) else torch.get_num_threads()


def timing_threads() -> int:
    """Every core but one (at least one): the threads a timing pins by default, see :func:`default_threads`."""
    return max(1, torch.get_num_threads() - 1)


def check_precision(precision: float) -> float:
    """``precision`` once it is a fraction above 0 and below 0.5 (a ratio's relative half-width: 0.03 = ±3 %)."""
    if not 0.0 < precision < 0.5:
        raise UsageError(f"precision is a fraction above 0 and below 0.5, got {precision!r}; e.g. --precision 0.03 for ±3 %")
    return precision


def check_device_here(device: str) -> None:
    """A usage error when ``device`` is CUDA and this machine has none.

    Not a check of :class:`Settings`: a cluster run plans CUDA specs on a client without a GPU
    for workers that have one (:mod:`modbench.run.cluster`); only measuring here needs the device.
    """
    if device == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for but no CUDA device is available; use --device cpu")


def check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    """``metrics`` as a tuple once each is a known measurement; none at all is a usage error too."""
    chosen = tuple(metrics)
    if not chosen:
        raise UsageError(f"no metric given; choose from: {', '.join(MEASUREMENTS)} (e.g. --metrics params,flops)")
    for metric in chosen:
        check_choice("metric", metric, MEASUREMENTS)
    return chosen


def check_choice(what: str, value: str, choices: tuple[str, ...]) -> None:
    """A usage error naming the closest choices unless ``value`` is one of ``choices``."""
    if value not in choices:
        hints = closest(value, choices) or list(choices)
        raise UsageError(f"unknown {what} {value!r}; choose from: {', '.join(choices)} (closest: {', '.join(hints)})")


@dataclass(frozen=True)
class EntrySpec:
    """A catalog entry at a config, as plain data: a child process rebuilds the target from it."""

    name: str
    overrides: tuple[tuple[str, Any], ...] = ()
    input_shape: tuple[int, ...] | None = None

    @classmethod
    def of(cls, name: str, overrides: dict[str, Any] | None = None, input_shape: Sequence[int] | None = None) -> EntrySpec:
        return cls(name, tuple(sorted((overrides or {}).items())), tuple(input_shape) if input_shape else None)

    @property
    def config(self) -> dict[str, Any]:
        """The entry's full config with the overrides applied (checked, without building anything), and the input shape given."""
        return with_input_shape(get_entry(self.name).config(dict(self.overrides)), self.input_shape)

    def target(self) -> Target:
        return _entry_target(self)


@functools.lru_cache(maxsize=8)
def _entry_target(spec: EntrySpec) -> Target:
    # Cached: a batch sweep or several modes of one entry would otherwise validate it each time.
    return entry_target(spec.name, dict(spec.overrides), spec.input_shape)


Subject = EntrySpec | Target
"""What a spec measures: a catalog entry (rebuilt anywhere) or a module given as an object (this process only)."""


@dataclass(frozen=True)
class Spec:
    """One measurement to make: a subject at one batch size under one ``Settings``, and its key."""

    subject: Subject
    batch: int
    settings: Settings
    key: RecordKey = field(init=False, compare=False)

    def __post_init__(self) -> None:
        config = self.subject.config
        key = RecordKey(
            entry=self.subject.name,
            config=canonical_config(config),
            batch=self.batch,
            device=self.settings.device,
            dtype=self.settings.dtype,
            mode=self.settings.mode,
            threads=self.settings.threads,
            channels_last=self.settings.channels_last,
            compile=self.settings.compile,
            amp=self.settings.amp,
        )
        object.__setattr__(self, "key", key)

    @property
    def portable(self) -> bool:
        """Whether another process can rebuild the subject (a catalog entry), so it can be isolated and planned."""
        return isinstance(self.subject, EntrySpec)

    def target(self) -> Target:
        return self.subject.target() if isinstance(self.subject, EntrySpec) else self.subject

    @property
    def label(self) -> str:
        where = "" if self.key.device == "cpu" and self.key.dtype == "fp32" else f" {self.key.device} {self.key.dtype}"
        knobs = "".join(f", {knob}" for knob in self.key.knobs)
        return f"{self.key.entry} (batch {self.key.batch}, {self.key.mode}{where}{knobs})"

    def to_plan(self) -> dict[str, Any]:
        """This spec as JSON-able data for a run header; only catalog entries can be planned."""
        if not isinstance(self.subject, EntrySpec):
            raise TypeError("only catalog entries can be planned; a module given as an object lives in this process")
        settings = asdict(self.settings)
        settings["metrics"] = list(settings["metrics"])
        return {
            "entry": self.subject.name,
            "overrides": dict(self.subject.overrides),
            "input_shape": list(self.subject.input_shape) if self.subject.input_shape else None,
            "batch": self.batch,
            "settings": settings,
        }

    @classmethod
    def from_plan(cls, item: dict[str, Any]) -> Spec:
        """The inverse of :meth:`to_plan`."""
        subject = EntrySpec.of(item["entry"], item["overrides"], item["input_shape"])
        settings = Settings(**{**item["settings"], "metrics": tuple(item["settings"]["metrics"])})
        return cls(subject, item["batch"], settings)

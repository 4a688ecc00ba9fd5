"""The one record type: what was measured (a frozen key), the values, and where.

A record's key says *what* was measured (entry, config, batch, device, dtype, mode, threads); its
environment says *where and when* (device and CPU model, versions, git commit, machine id, time).
Records from any number of runs and machines merge into one table because every row carries both.
Every value is optional: a record holds whatever metrics were asked for, and a failed measurement
keeps its key, its status and the reason.

A latency is kept as its raw per-call samples (:class:`Latency`, like ``raw_times`` of
``torch.utils.benchmark.Measurement``); its median, inter-quartile range and sample count are
derived from them, so any reader (claims, report, history, asv) can compute other statistics, such
as a confidence interval, from the same data. The run file stores the samples too.

This module imports nothing heavy (no torch, pandas or fvcore): records load anywhere.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from typing import Any

from modbench.stats import median_ci

STATUSES = ("ok", "failed", "timeout", "oom", "interrupted")

KNOB_FIELDS = ("channels_last", "compile", "amp")
"""The key's execution knobs (:mod:`modbench.metrics.variants`): off is ``False`` or ``None``."""


def canonical_config(config: dict[str, Any]) -> str:
    """A config as sorted, compact JSON: hashable, and equal for equal configs."""
    return json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True, order=True)
class RecordKey:
    """What was measured. Two records with equal keys measured the same thing."""

    entry: str
    config: str
    batch: int
    device: str
    dtype: str
    mode: str
    threads: int
    channels_last: bool = False
    compile: str | None = None
    amp: str | None = None

    @property
    def config_dict(self) -> dict[str, Any]:
        return json.loads(self.config)

    def unplaced(self) -> RecordKey:
        """This key without where it ran (device and threads blanked): what was measured, whatever measured it.

        The claims judge each device apart and leave the thread count to the run, so they find a
        side's records by this: every record of one side shares it, on every device.
        """
        return replace(self, device="", threads=0)

    @property
    def knobs(self) -> tuple[str, ...]:
        """The execution knobs in force, as a user would write them (``channels_last``, ``compile=default``, ``amp=bf16``)."""
        knobs = ["channels_last"] if self.channels_last else []
        knobs += [f"{name}={value}" for name, value in (("compile", self.compile), ("amp", self.amp)) if value is not None]
        return tuple(knobs)

    def series_label(self) -> str:
        """Every field as ``name=value``, config last: the key as one string, naming a history series.

        The execution knobs make another series; they are named only when on, so older labels stay.
        """
        shown = ("entry", "batch", "mode", "device", "dtype", "threads")
        knobs = [f"{name}={getattr(self, name)}" for name in KNOB_FIELDS if getattr(self, name) not in (None, False)]
        return ", ".join([f"{name}={getattr(self, name)}" for name in shown] + knobs + [f"config={self.config}"])


@dataclass(frozen=True)
class Environment:
    """Where and when a record was measured."""

    device_name: str
    cpu_model: str
    torch_version: str
    modbench_version: str
    git_commit: str | None
    machine_id: str
    timestamp: str
    allocator: str | None = None  # what the measuring process's malloc did with freed memory (None: not recorded)


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile of ``values`` with linear interpolation (numpy's and torch's default method)."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Latency:
    """The per-call times of one timed step, and the statistics derived from them.

    Each sample is one timed block divided by the ``calls_per_sample`` calls it ran. ``stored``
    is only for a record read from a run file written before samples were kept: the
    ``(median_s, iqr_s, runs)`` it saved, which then stand in for the samples. ``round_s`` is set
    when the step was timed in interleaved rounds with another (:mod:`modbench.metrics.pairs`): the
    median per-call time of each round, which pairs round by round with the other record's.
    """

    samples_s: tuple[float, ...]
    calls_per_sample: int = 1
    stored: tuple[float, float, int] | None = None
    round_s: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.samples_s and self.stored is None:
            raise ValueError("a latency needs at least one sample")

    @property
    def n(self) -> int:
        """How many samples (timed blocks) there are."""
        return len(self.samples_s)

    @property
    def runs(self) -> int:
        """How many calls were timed in all (warm-up and calibration excluded)."""
        return self.stored[2] if self.stored is not None else self.n * self.calls_per_sample

    @property
    def median_s(self) -> float:
        return self.stored[0] if self.stored is not None else quantile(self.samples_s, 0.5)

    @property
    def iqr_s(self) -> float:
        if self.stored is not None:
            return self.stored[1]
        return quantile(self.samples_s, 0.75) - quantile(self.samples_s, 0.25)

    @property
    def ci_s(self) -> tuple[float, float]:
        """Bootstrap 95 % interval of the median: unbounded from one sample, or from an old file that kept no samples."""
        if self.stored is not None:
            return (-math.inf, math.inf)
        return median_ci(self.samples_s)

    @property
    def median_ms(self) -> float:
        return self.median_s * 1e3

    @property
    def iqr_ms(self) -> float:
        return self.iqr_s * 1e3

    def throughput(self, batch: int) -> float:
        """Samples per second at ``batch`` samples per call."""
        return batch / self.median_s

    def to_dict(self) -> dict[str, Any]:
        """The fields a run file keeps: the derived columns, and the samples they come from."""
        return {
            "latency_ms": self.median_ms,
            "latency_iqr_ms": self.iqr_ms,
            "runs": self.runs,
            "latency_samples_s": list(self.samples_s) if self.stored is None else None,
            "latency_calls_per_sample": self.calls_per_sample,
            "latency_round_s": list(self.round_s) or None,
        }

    @classmethod
    def from_dict(cls, flat: dict[str, Any]) -> Latency | None:
        """The latency in a flat record (``None`` if it has none); a record without samples keeps its stored summary."""
        for name in ("latency_ms", "latency_iqr_ms", "runs", "latency_calls_per_sample"):
            if not _number_or_none(flat.get(name)):
                raise TypeError(f"{name} has the wrong type")
        for name in ("latency_samples_s", "latency_round_s"):
            times = flat.get(name)
            if times is not None and not (isinstance(times, list) and all(_number_or_none(t) and t is not None for t in times)):
                raise TypeError(f"{name} has the wrong type")
        samples, rounds = flat.get("latency_samples_s"), flat.get("latency_round_s")
        calls = flat.get("latency_calls_per_sample") or 1
        if samples:
            return cls(tuple(float(s) for s in samples), int(calls), round_s=tuple(float(r) for r in rounds or ()))
        if flat.get("latency_ms") is None:
            return None
        iqr = flat.get("latency_iqr_ms")
        stored = (flat["latency_ms"] / 1e3, (iqr or 0.0) / 1e3, int(flat.get("runs") or 0))
        return cls((), int(calls), stored)


def _number_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


LATENCY_COLUMNS = ("latency_ms", "latency_iqr_ms", "runs", "latency_samples_s", "latency_calls_per_sample", "latency_round_s")
"""The flat columns a :class:`Latency` becomes (see :meth:`Latency.to_dict`)."""


@dataclass
class Record:
    """One measurement: key, environment, status, and the metric values (None = not measured)."""

    key: RecordKey
    env: Environment
    status: str = "ok"
    error: str | None = None
    params: int | None = None
    params_trainable: int | None = None
    buffers: int | None = None
    param_bytes: int | None = None
    macs: int | None = None
    macs_fvcore: int | None = None
    flops: int | None = None
    flops_matmul: int | None = None
    flops_elementwise: int | None = None
    flops_backward: int | None = None
    unsupported_ops: list[str] = field(default_factory=list)
    zero_cost_ops: list[str] = field(default_factory=list)
    unpriced_ops: list[str] = field(default_factory=list)
    counter_note: str | None = None
    latency: Latency | None = None
    throughput: float | None = None
    compile_s: float | None = None
    gflops_achieved: float | None = None
    peak_bytes: int | None = None
    activation_bytes: int | None = None
    # The noise sentinel around the latency (modbench.metrics.sentinel); None when no latency was timed.
    sentinel_slowdown: float | None = None
    other_cores_busy: float | None = None
    cpu_steal: float | None = None
    load_average: float | None = None
    sentinel_attempts: int | None = None
    noisy: bool | None = None
    pair: str | None = None  # shared by the records of one interleaved pair (their latency_round_s pair up)

    @property
    def latency_ms(self) -> float | None:
        return self.latency.median_ms if self.latency is not None else None

    @property
    def latency_iqr_ms(self) -> float | None:
        return self.latency.iqr_ms if self.latency is not None else None

    @property
    def runs(self) -> int | None:
        return self.latency.runs if self.latency is not None else None

    def to_dict(self) -> dict[str, Any]:
        """A flat dict: key fields (config as a dict), status, values (a latency as its columns), environment fields."""
        flat: dict[str, Any] = asdict(self.key)
        flat["config"] = self.key.config_dict
        for item in fields(self):
            if item.name == "latency":
                flat.update(self.latency.to_dict() if self.latency is not None else dict.fromkeys(LATENCY_COLUMNS))
            elif item.name not in ("key", "env"):
                flat[item.name] = getattr(self, item.name)
        flat.update(asdict(self.env))
        return flat

    @classmethod
    def from_dict(cls, flat: dict[str, Any]) -> Record:
        """Inverse of :meth:`to_dict`; unknown fields (from newer versions) are ignored."""
        env_names = {item.name for item in fields(Environment)}
        # The knobs came later: a record written before them has them at their defaults.
        key_values = {
            item.name: flat[item.name] if item.default is MISSING else flat.get(item.name, item.default)
            for item in fields(RecordKey)
        }
        if not isinstance(key_values["config"], str):
            key_values["config"] = canonical_config(key_values["config"])
        values = {
            item.name: flat[item.name]
            for item in fields(cls)
            if item.name not in ("key", "env", "latency") and item.name in flat
        }
        values["latency"] = Latency.from_dict(flat)
        return cls(
            key=RecordKey(**key_values),
            env=Environment(**{name: flat.get(name) for name in env_names}),
            **values,
        )

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def value_columns() -> list[str]:
    """The flat value columns of a record, in :meth:`Record.to_dict` order."""
    names: list[str] = []
    for item in fields(Record):
        if item.name == "latency":
            names += LATENCY_COLUMNS
        elif item.name not in ("key", "env"):
            names.append(item.name)
    return names

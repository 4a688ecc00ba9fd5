"""The one record type: what was measured (a frozen key), the values, and where.

A record's key says *what* was measured (entry, config, batch, device, dtype, mode, threads); its
environment says *where and when* (device and CPU model, versions, git commit, machine id, time).
Records from any number of runs and machines merge into one table because every row carries both.
Every value is optional: a record holds whatever metrics were asked for, and a failed measurement
keeps its key, its status and the reason.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any

STATUSES = ("ok", "failed", "timeout", "oom", "interrupted")


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

    @property
    def config_dict(self) -> dict[str, Any]:
        return json.loads(self.config)


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
    unsupported_ops: list[str] = field(default_factory=list)
    zero_cost_ops: list[str] = field(default_factory=list)
    counter_note: str | None = None
    latency_ms: float | None = None
    latency_iqr_ms: float | None = None
    runs: int | None = None
    throughput: float | None = None
    gflops_achieved: float | None = None
    peak_bytes: int | None = None
    activation_bytes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """A flat dict: key fields (config as a dict), status, values, environment fields."""
        flat: dict[str, Any] = asdict(self.key)
        flat["config"] = self.key.config_dict
        for item in fields(self):
            if item.name not in ("key", "env"):
                flat[item.name] = getattr(self, item.name)
        flat.update(asdict(self.env))
        return flat

    @classmethod
    def from_dict(cls, flat: dict[str, Any]) -> Record:
        """Inverse of :meth:`to_dict`; unknown fields (from newer versions) are ignored."""
        key_names = {item.name for item in fields(RecordKey)}
        env_names = {item.name for item in fields(Environment)}
        key_values = {name: flat[name] for name in key_names}
        if not isinstance(key_values["config"], str):
            key_values["config"] = canonical_config(key_values["config"])
        values = {
            item.name: flat[item.name]
            for item in fields(cls)
            if item.name not in ("key", "env") and item.name in flat
        }
        return cls(
            key=RecordKey(**key_values),
            env=Environment(**{name: flat.get(name) for name in env_names}),
            **values,
        )

    @property
    def ok(self) -> bool:
        return self.status == "ok"

"""Turn a profile's ``key_averages()`` into per-operator rows: top operators, and two profiles op by op.

Only dispatcher operators run by the host (``namespace::name``: ``aten::conv2d``,
``autograd::engine::…``) are kept. With stacks recorded the profiler also reports every Python call
(``module.py(12): forward``, ``<built-in method …>``), ``nn.Module: …`` scopes and
``ProfilerStep#N``; on CUDA it lists each kernel too (``void at::native::…``), whose time is
already the launching operator's device time. All of these overlap the operators, so mixing them in
would count the same microseconds twice.

Every value is per profiled step (the totals divided by the number of active steps), so profiles
taken with different schedules compare directly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from torch.autograd import DeviceType


class EventAverage(Protocol):
    """What :func:`op_stats` reads from ``torch.autograd.profiler_util.FunctionEventAvg``."""

    key: str
    device_type: DeviceType
    count: int
    self_cpu_time_total: float
    cpu_time_total: float
    self_device_time_total: float
    self_cpu_memory_usage: int
    cpu_memory_usage: int
    self_device_memory_usage: int
    flops: int


@dataclass(frozen=True)
class OpStat:
    """One operator's cost per profiled step: time in µs, memory in bytes (net: allocated − freed).

    Bytes and FLOPs are rounded to whole numbers per step; calls stay fractional, since an operator
    can run in only some of the steps (a cache filled once).
    """

    name: str
    calls: float
    self_cpu_us: float
    cpu_total_us: float
    self_device_us: float
    self_cpu_memory_bytes: int
    cpu_memory_bytes: int
    self_device_memory_bytes: int
    flops: int


def is_operator(event: EventAverage) -> bool:
    """True for dispatcher operators (always named ``namespace::name``) as the host runs them."""
    return event.device_type == DeviceType.CPU and "::" in event.key


def op_stats(events: Iterable[EventAverage], steps: int) -> list[OpStat]:
    """The operators among ``events`` (a profile's ``key_averages()``), per step of ``steps`` active steps."""
    if steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps}")
    return [
        OpStat(
            name=event.key,
            calls=event.count / steps,
            self_cpu_us=event.self_cpu_time_total / steps,
            cpu_total_us=event.cpu_time_total / steps,
            self_device_us=event.self_device_time_total / steps,
            self_cpu_memory_bytes=round(event.self_cpu_memory_usage / steps),
            cpu_memory_bytes=round(event.cpu_memory_usage / steps),
            self_device_memory_bytes=round(event.self_device_memory_usage / steps),
            flops=round(event.flops / steps),
        )
        for event in events
        if is_operator(event)
    ]


def _share(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0


def top_by_time(stats: Sequence[OpStat], limit: int = 10, device: bool = False) -> list[dict[str, Any]]:
    """The ``limit`` operators with the most self CPU time (self device time first when ``device``).

    Shares are of the self time summed over all operators, so they add up to 100 % over the full list.
    """
    metric = "self_device_us" if device else "self_cpu_us"
    cpu_total = sum(stat.self_cpu_us for stat in stats)
    device_total = sum(stat.self_device_us for stat in stats)
    ranked = sorted(stats, key=lambda stat: getattr(stat, metric), reverse=True)[:limit]
    rows = []
    for stat in ranked:
        row: dict[str, Any] = {
            "op": stat.name,
            "calls": stat.calls,
            "self_cpu_us": stat.self_cpu_us,
            "self_cpu_pct": _share(stat.self_cpu_us, cpu_total),
            "cpu_total_us": stat.cpu_total_us,
        }
        if device:
            row["self_cuda_us"] = stat.self_device_us
            row["self_cuda_pct"] = _share(stat.self_device_us, device_total)
        rows.append(row)
    return rows


def top_by_memory(stats: Sequence[OpStat], limit: int = 10, device: bool = False) -> list[dict[str, Any]]:
    """The ``limit`` operators that allocate the most memory themselves (CUDA memory first when ``device``).

    Self memory is what torch.profiler reports: bytes allocated minus bytes freed inside the operator,
    not its children, so an operator that frees a workspace it asked a child for can be negative.
    Operators that neither allocate nor free are left out: most operators only call others that do.
    """
    metric = "self_device_memory_bytes" if device else "self_cpu_memory_bytes"
    moving = [stat for stat in stats if getattr(stat, metric)]
    ranked = sorted(moving, key=lambda stat: getattr(stat, metric), reverse=True)[:limit]
    rows = []
    for stat in ranked:
        row: dict[str, Any] = {
            "op": stat.name,
            "calls": stat.calls,
            "self_cpu_memory_bytes": stat.self_cpu_memory_bytes,
            "cpu_memory_bytes": stat.cpu_memory_bytes,
        }
        if device:
            row["self_cuda_memory_bytes"] = stat.self_device_memory_bytes
        rows.append(row)
    return rows


def compare_ops(
    first: Sequence[OpStat],
    second: Sequence[OpStat],
    names: tuple[str, str],
    device: bool = False,
) -> list[dict[str, Any]]:
    """Op by op, where two profiles spend their self time: each side's µs and share, and second − first.

    Operators present in only one profile count 0 on the other side. Rows are sorted by the larger
    of the two times, and a last ``(total)`` row sums every operator.
    """
    metric = "self_device_us" if device else "self_cpu_us"
    unit = "cuda_us" if device else "cpu_us"
    a_name, b_name = names
    if a_name == b_name:
        raise ValueError(f"the two profiles need different names, got {a_name!r} twice")
    a_times = {stat.name: getattr(stat, metric) for stat in first}
    b_times = {stat.name: getattr(stat, metric) for stat in second}
    a_total, b_total = sum(a_times.values()), sum(b_times.values())

    def row(op: str, a_time: float, b_time: float) -> dict[str, Any]:
        return {
            "op": op,
            f"{a_name}_{unit}": a_time,
            f"{a_name}_pct": _share(a_time, a_total),
            f"{b_name}_{unit}": b_time,
            f"{b_name}_pct": _share(b_time, b_total),
            f"{b_name}_minus_{a_name}_{unit}": b_time - a_time,
        }

    ops = sorted(set(a_times) | set(b_times), key=lambda op: (-max(a_times.get(op, 0.0), b_times.get(op, 0.0)), op))
    rows = [row(op, a_times.get(op, 0.0), b_times.get(op, 0.0)) for op in ops]
    rows.append(row("(total)", a_total, b_total))
    return rows

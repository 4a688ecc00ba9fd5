"""Claims' view of a results table: a measured value per side, metric and device, or why there is none.

Only rows with status ``ok`` at fp32 count. When a side was measured more than once, the
latest row (by timestamp, then by position) wins. Counts (params, MACs, FLOPs) do not depend on
the device, so a count from any device serves; latency and memory must come from the device
being judged.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from modbench.catalog import get_entry
from modbench.claims.schema import Side
from modbench.metrics.registry import DEVICE_METRICS, SPREAD_COLUMNS
from modbench.records import canonical_config


@functools.cache
def side_config(side: Side) -> dict[str, Any]:
    """A side's full config: the entry's defaults with the side's overrides (an extra's own config)."""
    if side.extra is not None:
        return dict(side.config)
    return get_entry(side.entry).config(side.overrides)


@functools.cache
def side_key(side: Side) -> str:
    """The canonical config string a side's rows are stored under."""
    return canonical_config(side_config(side))


@dataclass(frozen=True)
class Measured:
    """A measured value with the spread of its samples (``spread`` = IQR; 0 for counts).

    ``runs`` is how many timed calls a scattering value rests on (``None`` for counts);
    ``samples`` the per-call times when the record kept them.
    """

    value: float
    spread: float = 0.0
    runs: int | None = None
    samples: tuple[float, ...] = ()

    @property
    def low(self) -> float:
        return self.value - self.spread / 2

    @property
    def high(self) -> float:
        return self.value + self.spread / 2


def _present(value: Any) -> bool:
    """Whether a cell holds a number (not None, not NaN)."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _samples(row: dict[str, Any], metric: str) -> tuple[float, ...]:
    raw = row.get(f"{metric}_samples")
    return tuple(float(v) for v in raw) if isinstance(raw, (list, tuple)) else ()


class Results:
    """A results table indexed for lookups by side, metric and device."""

    def __init__(self, frame: pd.DataFrame) -> None:
        keep = pd.Series(True, index=frame.index)
        for column, wanted in (("status", "ok"), ("dtype", "fp32")):
            if column in frame.columns:
                keep &= frame[column] == wanted
        rows = frame[keep].copy()
        self._index: dict[tuple[str, str, int, str], list[dict[str, Any]]] = {}
        if rows.empty:
            self._rows = pd.DataFrame(columns=["entry", "config_key", "batch", "mode", "device"])
            return
        rows["config_key"] = [c if isinstance(c, str) else canonical_config(c) for c in rows["config"]]
        if "timestamp" in rows.columns:
            rows = rows.sort_values("timestamp", kind="stable")
        self._rows = rows
        for record in rows.to_dict("records"):
            key = (record["entry"], record["config_key"], int(record["batch"]), record["mode"])
            self._index.setdefault(key, []).append(record)

    def value(self, side: Side, metric: str, device: str) -> tuple[Measured | None, str | None]:
        """(measured, None) when ``side`` has ``metric``; (None, why not) otherwise."""
        name = side.describe()
        if metric not in self._rows.columns:
            return None, f"{metric} not measured"
        measured = [r for r in self._index.get((side.entry, side_key(side), side.batch, side.mode), []) if _present(r.get(metric))]
        if metric in DEVICE_METRICS:
            here = [r for r in measured if r["device"] == device]
            if not here:
                elsewhere = sorted({r["device"] for r in measured})
                where = f" (measured on {', '.join(elsewhere)} only)" if elsewhere else ""
                return None, f"{metric} of {name} not measured on {device}{where}"
            measured = here
        elif any(r["device"] == device for r in measured):
            measured = [r for r in measured if r["device"] == device]
        if not measured:
            return None, f"{metric} of {name} not measured"
        row = measured[-1]
        spread_column = SPREAD_COLUMNS.get(metric)
        if spread_column is None:
            return Measured(float(row[metric])), None
        spread, runs = row.get(spread_column), row.get("runs")
        return (
            Measured(
                float(row[metric]),
                float(spread) if _present(spread) else 0.0,
                int(runs) if _present(runs) else None,
                _samples(row, metric),
            ),
            None,
        )

    def number(self, side: Side, metric: str, device: str) -> float:
        """The value alone, NaN when missing (for tables, which show a gap)."""
        found, _ = self.value(side, metric, device)
        return found.value if found is not None else math.nan

    @property
    def devices(self) -> list[str]:
        """Devices with at least one latency or memory number, CPU first."""
        timed = self._rows[[c for c in DEVICE_METRICS if c in self._rows.columns]].notna().any(axis=1)
        return sorted(set(self._rows.loc[timed, "device"]), key=lambda d: (d != "cpu", d)) if len(self._rows) else []

    @property
    def rows(self) -> pd.DataFrame:
        """The ok fp32 rows, with their canonical ``config_key``."""
        return self._rows


def ratio(candidate: float, baseline: float) -> float:
    """candidate / baseline; 0/0 is 1 (equal), x/0 is infinite."""
    if baseline == 0:
        return 1.0 if candidate == 0 else math.inf
    return candidate / baseline

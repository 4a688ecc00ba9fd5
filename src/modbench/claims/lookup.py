"""Claims' view of a result set: a measured value per side, metric and device, or why there is none.

Only records with status ``ok`` at fp32 count. When a side was measured more than once, the
latest record (by timestamp, then by the order added) wins. Counts (params, MACs, FLOPs) do not depend on
the device, so a count from any device serves; latency and memory must come from the device
being judged. Two sides timed together (a pair task, :mod:`modbench.metrics.pairs`) are found as
the two records that share one pair id (:meth:`Results.paired`): a side compared with several
others is in several pairs, and each comparison reads its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from modbench.claims.schema import Side
from modbench.claims.sides import side_record_key
from modbench.metrics.registry import DEVICE_METRICS
from modbench.records import Record, RecordKey
from modbench.resultset import ResultSet


@dataclass(frozen=True)
class Measured:
    """A measured value with the spread of its samples (``spread`` = IQR; 0 for counts).

    ``runs`` is how many timed calls a scattering value rests on (``None`` for counts);
    ``samples`` the per-call times when the record kept them; ``record`` the record the value
    was read from (its pair id and round times pair it with another side, its noise state).
    """

    value: float
    spread: float = 0.0
    runs: int | None = None
    samples: tuple[float, ...] = ()
    record: Record | None = field(default=None, compare=False, repr=False)

    @property
    def noisy(self) -> bool:
        """Whether the noise sentinel saw load while the value was timed."""
        return bool(self.record is not None and self.record.noisy)

    @property
    def low(self) -> float:
        return self.value - self.spread / 2

    @property
    def high(self) -> float:
        return self.value + self.spread / 2


def _measured(record: Record, metric: str) -> Measured | None:
    """``metric`` of ``record`` (with the latency's spread, run count and samples), or None if it has none."""
    if metric == "latency_ms":
        latency = record.latency
        if latency is None:
            return None
        return Measured(latency.median_ms, latency.iqr_ms, latency.runs, tuple(t * 1e3 for t in latency.samples_s), record)
    value = getattr(record, metric, None)
    return Measured(float(value), record=record) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


class Results:
    """A result set indexed for claims: by record key less device and threads (:meth:`RecordKey.unplaced`).

    A side's records are found under the key its spec gives (:func:`~modbench.claims.sides.side_record_key`),
    each device's among them. Only ``ok`` records at fp32 count; of several records of one side,
    the latest (by timestamp, then by the order they were added) wins.
    """

    def __init__(self, results: ResultSet) -> None:
        self._results = results
        self._index: dict[RecordKey, list[Record]] = {}
        for record in results:
            if record.ok and record.key.dtype == "fp32":
                self._index.setdefault(record.key.unplaced(), []).append(record)
        for records in self._index.values():
            records.sort(key=lambda record: record.env.timestamp or "")

    def _records(self, side: Side) -> list[Record]:
        return self._index.get(side_record_key(side), [])

    def value(self, side: Side, metric: str, device: str) -> tuple[Measured | None, str | None]:
        """(measured, None) when ``side`` has ``metric``; (None, why not) otherwise."""
        name = side.describe()
        found = [
            (record.key.device, measured)
            for record in self._records(side)
            if (measured := _measured(record, metric)) is not None
        ]
        if metric in DEVICE_METRICS:
            here = [m for d, m in found if d == device]
            if not here:
                elsewhere = sorted({d for d, _ in found})
                where = f" (measured on {', '.join(elsewhere)} only)" if elsewhere else ""
                return None, f"{metric} of {name} not measured on {device}{where}"
            return here[-1], None
        if not found:
            return None, f"{metric} of {name} not measured"
        here = [m for d, m in found if d == device]
        return (here or [m for _, m in found])[-1], None

    def paired(self, candidate: Side, baseline: Side, metric: str, device: str) -> tuple[Measured, Measured] | None:
        """``metric`` of both sides from the latest pair task that timed them together on ``device``.

        The two records share one pair id; when the sides were paired in several runs (or one
        of them with other sides too), the candidate's latest record that has a partner wins.
        ``None`` when no such pair was measured (old runs, or sides measured apart).
        """
        partners = {
            record.pair: measured
            for record in self._records(baseline)
            if record.pair is not None and record.key.device == device and (measured := _measured(record, metric)) is not None
        }
        found = [
            (measured, partners[record.pair])
            for record in self._records(candidate)
            if record.pair in partners and record.key.device == device and (measured := _measured(record, metric)) is not None
        ]
        return found[-1] if found else None

    def number(self, side: Side, metric: str, device: str) -> float:
        """The value alone, NaN when missing (for tables, which show a gap)."""
        found, _ = self.value(side, metric, device)
        return found.value if found is not None else math.nan

    @property
    def devices(self) -> list[str]:
        """Devices with at least one latency or memory number, CPU first."""
        timed = {
            record.key.device
            for records in self._index.values()
            for record in records
            if any(_measured(record, metric) is not None for metric in DEVICE_METRICS)
        }
        return sorted(timed, key=lambda d: (d != "cpu", d))

    def records(self, device: str) -> list[Record]:
        """The ok fp32 records measured on ``device``, oldest first."""
        return sorted((r for rs in self._index.values() for r in rs if r.key.device == device), key=lambda r: r.env.timestamp or "")

    @property
    def results(self) -> ResultSet:
        """The result set this index was built from (every record, failed ones too)."""
        return self._results


def ratio(candidate: float, baseline: float) -> float:
    """candidate / baseline; 0/0 is 1 (equal), x/0 is infinite."""
    if baseline == 0:
        return 1.0 if candidate == 0 else math.inf
    return candidate / baseline

"""Records from any number of runs, indexed by their key: what claims, report and history read.

A :class:`ResultSet` holds typed :class:`~modbench.records.Record` objects (latency samples and all)
and finds them by :class:`~modbench.records.RecordKey`, the key a :class:`~modbench.spec.Spec`
derives. A key measured in several runs (two machines, or a run and its resume) keeps every
record; :meth:`ResultSet.get` returns the one added last. DataFrames are an export view
(:meth:`ResultSet.to_frame`, for the Python API and CSV), built on demand: this module does not
import pandas.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modbench.records import Record, RecordKey

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Result:
    """One record and the run it came from (``None``: measured in memory, never saved)."""

    record: Record
    run: str | None = None


class ResultSet:
    """Records indexed by key, in the order they were added."""

    def __init__(self, records: Iterable[Record] = (), run: str | None = None) -> None:
        self._results: list[Result] = []
        self._by_key: dict[RecordKey, list[Result]] = {}
        self.add(records, run)

    def add(self, records: Iterable[Record], run: str | None = None) -> None:
        """Add ``records`` (measured in ``run``); a key already present keeps its earlier records too."""
        for record in records:
            result = Result(record, run)
            self._results.append(result)
            self._by_key.setdefault(record.key, []).append(result)

    @classmethod
    def from_runs(cls, sources: str | Path | Iterable[str | Path], latest: bool = True) -> ResultSet:
        """Every record of the run files in ``sources`` (files, or directories of them); see :func:`modbench.results.read_runs`."""
        from modbench.results import read_runs

        results = cls()
        for log in read_runs(sources):
            results.add(log.latest() if latest else log.records, log.run_id)
        return results

    def get(self, key: RecordKey) -> Record | None:
        """The record of ``key`` added last, or ``None`` when it was never measured."""
        found = self._by_key.get(key)
        return found[-1].record if found else None

    def all(self, key: RecordKey) -> list[Record]:
        """Every record of ``key``, oldest first."""
        return [result.record for result in self._by_key.get(key, [])]

    def select(self, **fields: Any) -> list[Record]:
        """The latest record of every key whose fields equal ``fields`` (e.g. ``entry="ghost", device="cpu"``)."""
        return [
            found[-1].record
            for key, found in self._by_key.items()
            if all(getattr(key, name) == value for name, value in fields.items())
        ]

    def keys(self) -> list[RecordKey]:
        return list(self._by_key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __iter__(self) -> Iterator[Record]:
        return (result.record for result in self._results)

    def __len__(self) -> int:
        return len(self._results)

    def to_frame(self) -> pd.DataFrame:
        """Every record as one DataFrame row with its run (the fixed columns of :data:`modbench.results.COLUMNS`)."""
        import pandas as pd

        from modbench.results import records_frame

        frames = [
            records_frame([result.record for result in group], run=run)
            for run, group in itertools.groupby(self._results, key=lambda result: result.run)
        ]
        return pd.concat(frames, ignore_index=True) if frames else records_frame([])

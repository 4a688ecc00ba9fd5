"""Result sets from hand-written rows, for the claims' and the report's tests.

A row is a flat dict as ``Record.to_dict()`` lays it out; key fields a test leaves out default to
fp32, 2 threads and status ok, and environment fields to None.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modbench.records import Record
from modbench.resultset import ResultSet


def result_set(rows: Iterable[dict[str, Any]]) -> ResultSet:
    return ResultSet(Record.from_dict({"dtype": "fp32", "threads": 2, "status": "ok", **row}) for row in rows)

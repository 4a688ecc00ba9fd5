"""Read an asv results directory into the history table.

The layout (asv 0.6, results format ``"version": 2``): ``<results>/benchmarks.json`` describes
each benchmark (type, unit, parameter names); ``<results>/<machine>/machine.json`` names the
machine; every other ``<results>/<machine>/*.json`` holds one commit in one environment. Its
``results`` map each benchmark to a row whose fields ``result_columns`` names: ``result`` (one
median per parameter combination), ``params`` (the values of each parameter, as reprs; the
combinations are their product in order), ``stats_q_25`` / ``stats_q_75`` (quartiles of the samples), and ``samples`` (only
with ``asv run --record-samples``). Files are read as JSON rather than through asv, which is a
development tool and need not be installed where the history is read.
"""

from __future__ import annotations

import ast
import itertools
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from modbench.errors import UsageError
from modbench.history.table import COLUMNS, empty_history
from modbench.notices import warn

RESULTS_FORMAT = 2
SKIPPED_FILES = ("machine.json", "benchmarks.json")
# asv's benchmark types and the units it gives them; a track_ benchmark's unit is its own.
KIND_BY_TYPE = {"time": "time", "peakmemory": "memory", "memory": "memory", "track": "count"}
TYPE_BY_PREFIX = {"time_": "time", "peakmem_": "peakmemory", "mem_": "memory", "track_": "track"}
UNIT_BY_TYPE = {"time": "seconds", "peakmemory": "bytes", "memory": "bytes"}


class _Unreadable(Exception):
    """Why one asv file (or one benchmark in it) cannot be read; it is skipped with a warning."""


class _PartlyRead(_Unreadable):
    """Some values of a benchmark were unreadable; ``rows`` holds the readable ones."""

    def __init__(self, rows: list[dict[str, Any]], problem: str) -> None:
        super().__init__(problem)
        self.rows = rows


def read_asv_results(results_dir: str | Path) -> pd.DataFrame:
    """Every result in ``results_dir`` as history rows (failed and skipped combinations left out).

    A file asv did not write as expected (not JSON, not UTF-8, an older format, a field missing or
    of the wrong type) is skipped with one warning naming it, and the others are read.
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise UsageError(f"no asv results directory at {str(root)!r}; run `asv run` first (docs/asv.md)")
    benchmarks = _benchmarks(root / "benchmarks.json")
    rows: list[dict[str, Any]] = []
    for machine_file in sorted(root.glob("*/machine.json")):
        machine = _machine_name(machine_file)
        for path in sorted(machine_file.parent.glob("*.json")):
            if path.name in SKIPPED_FILES:
                continue
            try:
                rows.extend(_file_rows(path, machine, benchmarks))
            except _Unreadable as problem:
                warn(f"{path}: {problem}; skipped, the other asv results are read")
    return pd.DataFrame(rows, columns=COLUMNS) if rows else empty_history()


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as error:
        raise _Unreadable("not UTF-8 text, so not an asv JSON file") from error
    except json.JSONDecodeError as error:
        raise _Unreadable(f"not JSON ({error.msg} at line {error.lineno})") from error
    except OSError as error:
        raise _Unreadable(f"cannot be read ({error.strerror or error})") from error


def _benchmarks(path: Path) -> dict[str, dict[str, Any]]:
    """``benchmarks.json`` (each benchmark's type, unit, parameter names); without it, types come from names."""
    if not path.is_file():
        return {}
    try:
        data = _load_json(path)
    except _Unreadable as problem:
        warn(f"{path}: {problem}; benchmark types and units are guessed from their names")
        return {}
    if not isinstance(data, dict):
        warn(f"{path}: not a JSON object of benchmarks; benchmark types and units are guessed from their names")
        return {}
    return {name: spec for name, spec in data.items() if isinstance(spec, dict)}


def _machine_name(path: Path) -> str:
    """The machine a folder holds results of: ``machine.json``'s name, else the folder's."""
    try:
        data = _load_json(path)
    except _Unreadable as problem:
        warn(f"{path}: {problem}; the folder name is used as the machine name")
        return path.parent.name
    name = data.get("machine") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        warn(f"{path}: no machine name in it; the folder name is used as the machine name")
        return path.parent.name
    return name


def _file_rows(path: Path, machine: str, benchmarks: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    data = _load_json(path)
    if not isinstance(data, dict):
        raise _Unreadable("not a JSON object, so not an asv result file")
    if data.get("version") != RESULTS_FORMAT:
        raise _Unreadable(f"asv results format {data.get('version')!r}, not {RESULTS_FORMAT}; run `asv update` to convert it")
    columns, results = data.get("result_columns"), data.get("results")
    if not isinstance(columns, list) or not isinstance(results, dict):
        raise _Unreadable("no result_columns list or results map")
    commit, env = data.get("commit_hash"), data.get("env_name", "")
    if not isinstance(commit, str) or not commit or not isinstance(env, str):
        raise _Unreadable("no commit_hash (or an env_name that is not text)")
    date = _date(data.get("date"))
    rows, bad = [], []
    for name, fields in results.items():
        try:
            rows.extend(_benchmark_rows(name, fields, columns, benchmarks.get(name, {}), {
                "source": "asv", "machine": machine, "env": env, "commit": commit, "date": date,
            }))
        except _PartlyRead as partly:
            rows.extend(partly.rows)
            bad.append(f"{name}: {partly}")
        except _Unreadable as problem:
            bad.append(f"{name}: {problem}")
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        warn(f"{path}: benchmark {bad[0]}; skipped{more}")
    return rows


def _date(value: Any) -> pd.Timestamp:
    """asv's date (milliseconds since the epoch) as a UTC timestamp."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _Unreadable(f"date {value!r} is not a time in milliseconds since 1970")
    try:
        return pd.Timestamp(value, unit="ms", tz="UTC")
    except (ValueError, OverflowError) as error:
        raise _Unreadable(f"date {value!r} is out of range") from error


def _benchmark_rows(name: str, fields: Any, columns: list[Any], spec: dict[str, Any], where: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of one benchmark in one result file: one per parameter combination with a finite value."""
    if not isinstance(fields, list):
        raise _Unreadable("its result row is not a list")
    field = dict(zip(columns, fields))
    params = field.get("params") or [[]]
    if not isinstance(params, list) or not all(isinstance(values, list) for values in params):
        raise _Unreadable("its params are not lists of values")
    bench_type = spec.get("type") if isinstance(spec.get("type"), str) else _type_from_name(name)
    unit = spec.get("unit") if isinstance(spec.get("unit"), str) else UNIT_BY_TYPE.get(bench_type, "unit")
    param_names = spec.get("param_names") if isinstance(spec.get("param_names"), list) else None
    rows, not_numbers = [], 0
    for index, combo in enumerate(itertools.product(*params)):
        stored = _at(field.get("result"), index)
        value = _number(stored)
        if value is None:  # asv's null or NaN: failed, skipped or timed out at this commit
            not_numbers += stored is not None and not (isinstance(stored, float) and math.isnan(stored))
            continue
        samples = _at(field.get("samples"), index)
        numbers = [_number(sample) for sample in samples] if isinstance(samples, list) else []
        rows.append({
            **where,
            "benchmark": name,
            "params": _params_label(param_names, tuple(map(str, combo))),
            "kind": KIND_BY_TYPE.get(bench_type, "count"),
            "unit": unit,
            "value": value,
            "iqr": _iqr(_number(_at(field.get("stats_q_25"), index)), _number(_at(field.get("stats_q_75"), index))),
            "samples": tuple(numbers) if numbers and None not in numbers else None,
        })
    if not_numbers:
        raise _PartlyRead(rows, f"{not_numbers} result(s) that are not numbers")
    return rows


def _number(value: Any) -> float | None:
    """A finite number asv stored, else ``None`` (asv writes null or NaN for a failed combination)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _type_from_name(name: str) -> str:
    function = name.rsplit(".", 1)[-1]
    return next((kind for prefix, kind in TYPE_BY_PREFIX.items() if function.startswith(prefix)), "track")


def _at(values: Any, index: int) -> Any:
    """The ``index``-th item of an asv per-combination list (``None`` where asv stored nothing)."""
    if values is None:
        return None
    if not isinstance(values, list):
        return values if index == 0 else None
    return values[index] if index < len(values) else None


def _iqr(q25: float | None, q75: float | None) -> float:
    """The interquartile range; 0 where asv kept no quartiles (a track_ value is exact)."""
    return float(q75) - float(q25) if q25 is not None and q75 is not None else 0.0


def _params_label(names: list[str] | None, combo: tuple[str, ...]) -> str:
    """``entry=ghost, batch=1`` from asv's reprs (``"'ghost'"``, ``"1"``)."""
    labels = names or [f"param{i + 1}" for i in range(len(combo))]
    return ", ".join(f"{name}={_unrepr(value)}" for name, value in zip(labels, combo))


def _unrepr(value: str) -> str:
    try:
        return str(ast.literal_eval(value))
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):  # not a repr asv wrote
        return value

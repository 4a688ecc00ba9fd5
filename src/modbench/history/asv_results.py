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

RESULTS_FORMAT = 2
SKIPPED_FILES = ("machine.json", "benchmarks.json")
# asv's benchmark types and the units it gives them; a track_ benchmark's unit is its own.
KIND_BY_TYPE = {"time": "time", "peakmemory": "memory", "memory": "memory", "track": "count"}
TYPE_BY_PREFIX = {"time_": "time", "peakmem_": "peakmemory", "mem_": "memory", "track_": "track"}
UNIT_BY_TYPE = {"time": "seconds", "peakmemory": "bytes", "memory": "bytes"}


def read_asv_results(results_dir: str | Path) -> pd.DataFrame:
    """Every result in ``results_dir`` as history rows (failed and skipped combinations left out)."""
    root = Path(results_dir)
    if not root.is_dir():
        raise UsageError(f"no asv results directory at {str(root)!r}; run `asv run` first (docs/asv.md)")
    benchmarks = _load_json(root / "benchmarks.json") if (root / "benchmarks.json").is_file() else {}
    rows: list[dict[str, Any]] = []
    for machine_file in sorted(root.glob("*/machine.json")):
        machine = _load_json(machine_file).get("machine", machine_file.parent.name)
        for path in sorted(machine_file.parent.glob("*.json")):
            if path.name not in SKIPPED_FILES:
                rows.extend(_file_rows(path, machine, benchmarks))
    return pd.DataFrame(rows, columns=COLUMNS) if rows else empty_history()


def _load_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise UsageError(f"{path} is not a readable asv JSON file ({error})") from error


def _file_rows(path: Path, machine: str, benchmarks: dict[str, Any]) -> list[dict[str, Any]]:
    data = _load_json(path)
    if data.get("version") != RESULTS_FORMAT:
        raise UsageError(
            f"{path} is in asv results format {data.get('version')!r}, not {RESULTS_FORMAT}; "
            "run `asv update` to convert it"
        )
    columns = data["result_columns"]
    date = pd.Timestamp(data["date"], unit="ms", tz="UTC")
    rows = []
    for name, fields in data["results"].items():
        field = dict(zip(columns, fields))
        bench_type = benchmarks.get(name, {}).get("type") or _type_from_name(name)
        unit = benchmarks.get(name, {}).get("unit") or UNIT_BY_TYPE.get(bench_type, "unit")
        combos = list(itertools.product(*field.get("params") or [[]]))
        for index, combo in enumerate(combos):
            value = _at(field.get("result"), index)
            if value is None or not math.isfinite(value):
                continue  # failed, skipped or timed out at this commit
            samples = _at(field.get("samples"), index)
            rows.append({
                "source": "asv",
                "machine": machine,
                "env": data["env_name"],
                "benchmark": name,
                "params": _params_label(benchmarks.get(name, {}).get("param_names"), combo),
                "kind": KIND_BY_TYPE.get(bench_type, "count"),
                "unit": unit,
                "commit": data["commit_hash"],
                "date": date,
                "value": float(value),
                "iqr": _iqr(_at(field.get("stats_q_25"), index), _at(field.get("stats_q_75"), index)),
                "samples": tuple(float(s) for s in samples) if samples else None,
            })
    return rows


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
    except (ValueError, SyntaxError):
        return value

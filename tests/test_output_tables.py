"""Tables for people: SI-prefixed numbers with units, no columns of gaps, a table that fits the terminal."""

from __future__ import annotations

import pytest

from modbench.output import render
from modbench.quantities import format_quantity


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (14_651_400, "MACs", "14.65 M"),
        (845, "parameters", "845"),
        (2.5e9, "FLOPs", "2.5 G"),
        (0.0009049, "ms", "904.9 ns"),
        (0.25, "ms", "250 µs"),
        (15_950.0, "ms", "15.95 s"),
        (999.97, "ms", "1 s"),
        (0, "ms", "0 ms"),
        (57_447, "bytes", "56.1 KiB"),
        (3 * 2**20, "bytes", "3 MiB"),
        (512, "bytes", "512 B"),
        (1234.5, "samples/s", "1.234 k/s"),
        (3.2, "GFLOP/s", "3.2 GFLOP/s"),
        (float("inf"), "ms", "∞"),
    ],
)
def test_a_quantity_reads_with_its_prefix_and_unit(value: float, unit: str, text: str) -> None:
    assert format_quantity(value, unit) == text


def test_a_column_nobody_measured_is_not_shown() -> None:
    rows = [{"entry": "relu", "params": 0, "latency_ms": None, "error": None}, {"entry": "silu", "params": 0, "latency_ms": None, "error": ""}]
    header = render(rows, "table").splitlines()[0].split()
    assert header == ["entry", "params"]
    assert "latency_ms" in render(rows, "csv")  # programs still get every field


def test_units_apply_to_tables_not_to_json_or_csv() -> None:
    rows = [{"entry": "ghost", "macs": 14_651_400, "latency_ms": 0.0009049}]
    units = {"macs": "MACs", "latency_ms": "ms"}
    assert "14.65 M" in render(rows, "table", units=units) and "904.9 ns" in render(rows, "markdown", units=units)
    assert "14651400" in render(rows, "csv", units=units) and "14651400" in render(rows, "json", units=units)


def test_a_table_wider_than_the_terminal_drops_its_last_columns_and_names_them() -> None:
    rows = [{f"column_{i}": f"value number {i}" for i in range(12)}]
    text = render(rows, "table", width=80)
    *table, note = text.splitlines()
    assert all(len(line) <= 80 for line in table)
    assert "column_11" in note and "--columns" in note and "column_11" not in table[0]
    assert "column_11" in render(rows, "table", width=None)  # a pipe gets the whole table
